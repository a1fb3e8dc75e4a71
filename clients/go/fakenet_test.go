package scriptengine_test

import (
	"context"
	"errors"
	"net"
	"sync"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"

	scriptengine "github.com/scriptengine/scriptengine/clients/go"
)

// fakeNet is an in-memory network for a testing/synctest bubble, where time is the bubble's own:
// it passes only when every goroutine in the bubble waits, so what a test reads from time.Now is
// the delays the code asked for, however slow the machine. A dial is refused (and its time noted)
// until up is set; then it is connected, through net.Pipe, to the grpc server serving Listener.
// Everything must be created inside the bubble.
type fakeNet struct {
	mu       sync.Mutex
	up       bool
	attempts []time.Time
	// attempted gets a value for each dial (buffered: a test reads them at its pace).
	attempted chan struct{}
	accepted  chan net.Conn
	closed    chan struct{}
	closeOnce sync.Once
}

func newFakeNet() *fakeNet {
	return &fakeNet{attempted: make(chan struct{}, 1024), accepted: make(chan net.Conn), closed: make(chan struct{})}
}

// dial is the client's dialer (grpc.WithContextDialer).
func (n *fakeNet) dial(ctx context.Context, _ string) (net.Conn, error) {
	n.mu.Lock()
	n.attempts = append(n.attempts, time.Now())
	up := n.up
	n.mu.Unlock()
	n.attempted <- struct{}{}
	if !up {
		return nil, syscall.ECONNREFUSED
	}
	client, server := net.Pipe()
	select {
	case n.accepted <- server:
		return client, nil
	case <-n.closed:
		return nil, syscall.ECONNREFUSED
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (n *fakeNet) setUp() {
	n.mu.Lock()
	n.up = true
	n.mu.Unlock()
}

// waitAttempts waits for n more dials.
func (n *fakeNet) waitAttempts(count int) {
	for range count {
		<-n.attempted
	}
}

// gaps are the times between consecutive dials.
func (n *fakeNet) gaps() []time.Duration {
	n.mu.Lock()
	defer n.mu.Unlock()
	var gaps []time.Duration
	for i := 1; i < len(n.attempts); i++ {
		gaps = append(gaps, n.attempts[i].Sub(n.attempts[i-1]))
	}
	return gaps
}

// Accept, Close and Addr make the network the server's listener.
func (n *fakeNet) Accept() (net.Conn, error) {
	select {
	case c := <-n.accepted:
		return c, nil
	case <-n.closed:
		return nil, net.ErrClosed
	}
}

func (n *fakeNet) Close() error {
	n.closeOnce.Do(func() { close(n.closed) })
	return nil
}

func (n *fakeNet) Addr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1} }

// serve runs srv on the network until the test's function returns (inside the bubble, which waits
// for every goroutine of it to end).
func (n *fakeNet) serve(t *testing.T, srv *grpc.Server) { n.serveOn(t, srv, n) }

// serveOn is serve through ln, a listener that wraps the network's (to watch what the server reads).
func (n *fakeNet) serveOn(t *testing.T, srv *grpc.Server, ln net.Listener) {
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	t.Cleanup(func() {
		srv.Stop()
		n.Close()
		if err := <-served; err != nil && !errors.Is(err, grpc.ErrServerStopped) {
			t.Errorf("serve: %v", err)
		}
	})
}

// dialFake is a client on the network, closed when the test's function returns.
func dialFake(t *testing.T, n *fakeNet, opts ...scriptengine.Option) *scriptengine.Client {
	t.Helper()
	c, err := scriptengine.Dial("passthrough:///scriptengine", append(opts, scriptengine.WithDialOptions(grpc.WithContextDialer(n.dial)))...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}
