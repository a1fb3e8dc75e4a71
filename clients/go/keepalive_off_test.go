package scriptengine_test

import (
	"context"
	"encoding/binary"
	"net"
	"sync"
	"sync/atomic"
	"testing"
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
// 10 s to 10 s, so it used to ping every 10 s instead, with grpc-go's 20 s timeout.
func TestZeroKeepaliveSendsNoPings(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	counter := &pingCounter{Listener: ln}
	srv := grpc.NewServer()
	v1.RegisterEventServiceServer(srv, startedEvents{})
	go func() { _ = srv.Serve(counter) }()
	t.Cleanup(srv.Stop)

	c := dial(t, ln.Addr().String(), scriptengine.WithKeepalive(keepalive.ClientParameters{}))
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
	// grpc-go measures the bandwidth with a ping when data comes (not keepalive): counted from here.
	time.Sleep(time.Second)
	before := counter.pings.Load()
	// Past the 10 s a raised Time would wait on a quiet stream.
	time.Sleep(13 * time.Second)
	if n := counter.pings.Load() - before; n != 0 {
		t.Fatalf("%d keepalive pings with keepalive off", n)
	}
}
