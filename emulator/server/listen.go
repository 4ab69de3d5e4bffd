package server

import (
	"net"
	"net/http"
	"sync"
	"time"
)

// Connection bounds of the emulator's HTTP server. With them a connection
// that sends nothing, sends its headers a byte at a time, or idles between
// requests is closed, and a flood of connections waits in the kernel's
// backlog instead of costing a goroutine and buffers each.
const (
	// MaxConns caps open connections; the next waits to be accepted.
	MaxConns = 1024
	// HeaderTimeout bounds reading a request's headers.
	HeaderTimeout = 10 * time.Second
	// IdleTimeout closes a keep-alive connection with no request for this
	// long; AWS SDKs open a new one as needed (AWS's own load balancers
	// close idle connections after 60 s by default too).
	IdleTimeout = 60 * time.Second
	// MaxHeaderBytes caps a request's headers.
	MaxHeaderBytes = 64 << 10
)

// NewHTTPServer is the http.Server the emulator serves h with. Body reads and
// answers are bounded per request by the Router (BodyReadTimeout,
// DefaultWriteTimeout), because one operation (Lambda's Invoke) legitimately
// runs for minutes.
func NewHTTPServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: HeaderTimeout,
		IdleTimeout:       IdleTimeout,
		MaxHeaderBytes:    MaxHeaderBytes,
	}
}

// LimitListener accepts at most n connections at once from ln.
func LimitListener(ln net.Listener, n int) net.Listener {
	return &limitListener{Listener: ln, sem: make(chan struct{}, n), done: make(chan struct{})}
}

type limitListener struct {
	net.Listener
	sem       chan struct{}
	done      chan struct{}
	closeOnce sync.Once
}

func (l *limitListener) Accept() (net.Conn, error) {
	select {
	case l.sem <- struct{}{}:
	case <-l.done:
		return nil, net.ErrClosed
	}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.sem
		return nil, err
	}
	return &limitConn{Conn: c, release: func() { <-l.sem }}, nil
}

// Close also ends an Accept that waits for a place.
func (l *limitListener) Close() error {
	err := l.Listener.Close()
	l.closeOnce.Do(func() { close(l.done) })
	return err
}

type limitConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}
