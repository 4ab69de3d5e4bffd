package elasticache

import (
	"io"
	"log/slog"
	"net"
	"sync"
	"time"
)

// proxy is a stable local endpoint (the primary or the reader endpoint of a
// replication group). It forwards raw TCP bytes, so TLS runs end to end
// between the client and the redis-server; target picks the backend for each
// new connection, and reset drops existing ones when the backend changes, as
// a DNS flip plus node restart does on AWS.
type proxy struct {
	ln     net.Listener
	target func() string
	log    *slog.Logger

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
	wg     sync.WaitGroup
}

func newProxy(name string, target func() string, log *slog.Logger) (*proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &proxy{ln: ln, target: target, log: log.With("endpoint", name), conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

func (p *proxy) port() int { return p.ln.Addr().(*net.TCPAddr).Port }

func (p *proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.wg.Add(1)
		go p.serve(c)
	}
}

func (p *proxy) serve(client net.Conn) {
	defer p.wg.Done()
	addr := p.target()
	if addr == "" {
		_ = client.Close()
		return
	}
	backend, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		p.log.Debug("endpoint backend unreachable", "backend", addr, "err", err)
		_ = client.Close()
		return
	}
	if !p.track(client, backend) {
		return
	}
	done := make(chan struct{}, 2)
	pipe := func(dst, src net.Conn) {
		_, _ = io.Copy(dst, src)
		// Half-close would keep TLS sessions dangling; close both sides.
		_ = dst.Close()
		_ = src.Close()
		done <- struct{}{}
	}
	go pipe(backend, client)
	go pipe(client, backend)
	<-done
	<-done
	p.untrack(client, backend)
}

func (p *proxy) track(cs ...net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		for _, c := range cs {
			_ = c.Close()
		}
		return false
	}
	for _, c := range cs {
		p.conns[c] = struct{}{}
	}
	return true
}

func (p *proxy) untrack(cs ...net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range cs {
		delete(p.conns, c)
	}
}

// reset closes every open connection; clients reconnect and reach the new
// backend.
func (p *proxy) reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.conns {
		_ = c.Close()
	}
}

func (p *proxy) close() {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	_ = p.ln.Close()
	p.reset()
	p.wg.Wait()
}
