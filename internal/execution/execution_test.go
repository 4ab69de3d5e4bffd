package execution

import "testing"

func TestMessageReadsTheLambdaErrorDocument(t *testing.T) {
	cases := map[string]string{
		`{"errorMessage":"network pre-flight failed:\n  x","errorType":"NetworkCheckFailed"}`: "network pre-flight failed:\n  x",
		"the replication group did not reach the wanted state":                                "the replication group did not reach the wanted state",
		`{"other":"json"}`: `{"other":"json"}`,
	}
	for cause, want := range cases {
		if got := Message(cause); got != want {
			t.Errorf("Message(%q) = %q, want %q", cause, got, want)
		}
	}
}
