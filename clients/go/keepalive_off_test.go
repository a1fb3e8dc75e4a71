package scriptengine_test

import (
	"context"
	"encoding/binary"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/keepalive"

	scriptengine "github.com/scriptengine/scriptengine/clients/go"
	v1 "github.com/scriptengine/scriptengine/gen/go/scriptengine/v1"
)

// pingCounter counts the HTTP/2 PING frames (not acks) clients send to the server it listens for.
type pingCounter struct {
	net.Listener
	pings atomic.Int32
}

func (l *pingCounter) Accept() (net.Conn, error) {
	conn, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &framesIn{Conn: conn, pings: &l.pings, skip: len("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")}, nil
}

// framesIn reads the client's HTTP/2 frames as the server reads them.
type framesIn struct {
	net.Conn
	pings *atomic.Int32
	mu    sync.Mutex
	skip  int // preface bytes still to pass
	buf   []byte
}

func (c *framesIn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.mu.Lock()
	defer c.mu.Unlock()
	data := p[:n]
	if c.skip > 0 {
		k := min(c.skip, len(data))
		c.skip -= k
		data = data[k:]
	}
	c.buf = append(c.buf, data...)
	for len(c.buf) >= 9 {
		length := int(binary.BigEndian.Uint32(append([]byte{0}, c.buf[:3]...)))
		if len(c.buf) < 9+length {
			break
		}
		if c.buf[3] == 0x6 && c.buf[4]&0x1 == 0 { // PING, not an ACK
			c.pings.Add(1)
		}
		c.buf = c.buf[9+length:]
	}
	return n, err
}

// A zero keepalive Time sends no pings (as TS's keepalive: false): grpc-go raises any Time under
// 10 s to 10 s, so it used to ping every 10 s instead, with grpc-go's 20 s timeout. The default
// (30 s) pings in the same wait, which shows the count sees keepalive pings. It runs in a synctest
// bubble over fakeNet: the seconds it waits are the bubble's, which pass only once every goroutine
// waits, so grpc-go's own pings (a bandwidth probe when data comes) are sent before it starts
// counting, however slow the machine.
func TestZeroKeepaliveSendsNoPings(t *testing.T) {
	for name, tc := range map[string]struct {
		params keepalive.ClientParameters
		pings  bool
	}{
		"zero Time": {keepalive.ClientParameters{}, false},
		"default":   {scriptengine.DefaultKeepalive, true},
	} {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				n := newFakeNet()
				n.setUp()
				counter := &pingCounter{Listener: n}
				srv := grpc.NewServer(grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: time.Second, PermitWithoutStream: true}))
				v1.RegisterEventServiceServer(srv, startedEvents{})
				n.serveOn(t, srv, counter)

				c := dialFake(t, n, scriptengine.WithKeepalive(tc.params))
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				stream, err := c.Events.Subscribe(ctx, &v1.SubscribeRequest{})
				if err != nil {
					t.Fatal(err)
				}
				for range 2 { // started, then the event; the stream then stays open and quiet
					if _, err := stream.Recv(); err != nil {
						t.Fatal(err)
					}
				}
				synctest.Wait() // grpc-go's bandwidth probe, if any, is sent: counted from here
				before := counter.pings.Load()
				// Past the 10 s a raised Time would wait on a quiet stream, and the default's 30 s.
				time.Sleep(45 * time.Second)
				if got := counter.pings.Load() - before; (got > 0) != tc.pings {
					t.Fatalf("%d keepalive pings, want some: %v", got, tc.pings)
				}
			})
		})
	}
}
