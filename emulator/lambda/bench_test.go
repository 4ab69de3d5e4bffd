package lambda_test

import (
	"testing"
	"time"

	"github.com/ecprov/ecprov/emulator/lambda"
)

// BenchmarkInvokeWarm: an invocation served by a warm instance.
func BenchmarkInvokeWarm(b *testing.B) {
	svc := benchService(b)
	if _, _, err := svc.Invoke(ctx, "fn", []byte(`{"mode":"ok"}`)); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, fnErr, err := svc.Invoke(ctx, "fn", []byte(`{"mode":"ok"}`)); err != nil || fnErr != "" {
			b.Fatal(err, fnErr)
		}
	}
}

// BenchmarkInvokeCold: an invocation that starts an RIE and the bootstrap;
// init-ms is the RIE's INIT duration, start-ms the RIE's start-up.
func BenchmarkInvokeCold(b *testing.B) {
	svc := benchService(b)
	for b.Loop() {
		// Re-creating the function retires its warm instance.
		if err := svc.CreateFunction(lambda.Function{Name: "fn", BootstrapPath: bootstrapPath}); err != nil {
			b.Fatal(err)
		}
		if _, fnErr, err := svc.Invoke(ctx, "fn", []byte(`{"mode":"ok"}`)); err != nil || fnErr != "" {
			b.Fatal(err, fnErr)
		}
	}
	st, _ := svc.Stats("fn")
	b.ReportMetric(avgMs(st.InitDurations), "init-ms")
	b.ReportMetric(avgMs(st.StartDurations), "start-ms")
}

func benchService(b *testing.B) *lambda.Service {
	b.Helper()
	svc, err := lambda.New(lambda.Options{DataDir: b.TempDir(), RIEPath: riePath})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = svc.Close() })
	if err := svc.CreateFunction(lambda.Function{Name: "fn", BootstrapPath: bootstrapPath}); err != nil {
		b.Fatal(err)
	}
	return svc
}

func avgMs(ds []time.Duration) float64 {
	if len(ds) == 0 {
		return 0
	}
	var sum time.Duration
	for _, d := range ds {
		sum += d
	}
	return float64(sum.Microseconds()) / 1e3 / float64(len(ds))
}
