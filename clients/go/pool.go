package scriptengine

import (
	"context"
	"errors"
	"sync"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// CallsPerConnection is how many calls one connection carries at once. A server limits the streams
// open on one HTTP/2 connection (ScriptEngine: 256) and grpc-go queues a call past that, without an
// error, until another ends: long-lived Subscribe and Watch streams would hold every slot and each
// other call would wait out its deadline. 100 is the least SETTINGS_MAX_CONCURRENT_STREAMS RFC 9113
// asks a server to allow, as the TS SDK uses.
const CallsPerConnection = 100

// connPool spreads calls over connections of at most CallsPerConnection calls each: a call goes to
// the first with room, and when none has any another is opened. Extra connections stay for later
// peaks; grpc-go closes their sockets once idle.
type connPool struct {
	open    func() (*grpc.ClientConn, error)
	mu      sync.Mutex
	entries []*poolEntry
	closed  bool
}

type poolEntry struct {
	cc    *grpc.ClientConn
	calls int
}

var _ grpc.ClientConnInterface = (*connPool)(nil)

func newConnPool(open func() (*grpc.ClientConn, error)) (*connPool, error) {
	cc, err := open()
	if err != nil {
		return nil, err
	}
	return &connPool{open: open, entries: []*poolEntry{{cc: cc}}}, nil
}

// acquire takes a slot for one call; release (safe to call twice) gives it back.
func (p *connPool) acquire() (*grpc.ClientConn, func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var e *poolEntry
	for _, c := range p.entries {
		if c.calls < CallsPerConnection {
			e = c
			break
		}
	}
	if e == nil {
		// Opening only parses what the first connection already took, so it does not fail in practice;
		// if it did, the first connection queues the call as before. Once closed, none is opened (close
		// would never close it): the first, closed, fails the call as grpc-go does.
		if p.closed {
			e = p.entries[0]
		} else if cc, err := p.open(); err == nil {
			e = &poolEntry{cc: cc}
			p.entries = append(p.entries, e)
		} else {
			e = p.entries[0]
		}
	}
	e.calls++
	var once sync.Once
	return e.cc, func() {
		once.Do(func() {
			p.mu.Lock()
			e.calls--
			p.mu.Unlock()
		})
	}
}

func (p *connPool) Invoke(ctx context.Context, method string, args, reply any, opts ...grpc.CallOption) error {
	cc, release := p.acquire()
	defer release()
	return cc.Invoke(ctx, method, args, reply, opts...)
}

func (p *connPool) NewStream(ctx context.Context, desc *grpc.StreamDesc, method string, opts ...grpc.CallOption) (grpc.ClientStream, error) {
	cc, release := p.acquire()
	// The stream holds its slot until it ends: read to its end, failed, or its ctx cancelled.
	s, err := cc.NewStream(ctx, desc, method, append(opts, grpc.OnFinish(func(error) { release() }))...)
	if err != nil {
		release()
	}
	return s, err
}

// resetConnectBackoff has every failed connection try again now rather than after its wait.
func (p *connPool) resetConnectBackoff() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, e := range p.entries {
		e.cc.ResetConnectBackoff()
	}
}

// first is the connection opened with the client.
func (p *connPool) first() *grpc.ClientConn { return p.entries[0].cc }

// close closes every connection opened so far. Closing again, or a connection already closed
// through Client.Conn, is no error: grpc-go would return its raw CANCELLED "the client connection
// is closing" status, which reads as a failure though all is closed, as asked.
func (p *connPool) close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil
	}
	p.closed = true
	var errs []error
	for _, e := range p.entries {
		if err := e.cc.Close(); status.Code(err) != codes.Canceled {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
