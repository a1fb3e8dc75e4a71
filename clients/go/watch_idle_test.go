package scriptengine_test

import (
	"context"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	scriptengine "github.com/scriptengine/scriptengine/clients/go"
	v1 "github.com/scriptengine/scriptengine/gen/go/scriptengine/v1"
)

// watchEnd runs a watch in the background; its channel gets the iteration's error when it ends.
func watchEnd(ctx context.Context, c *scriptengine.Client, opts scriptengine.WatchOptions) <-chan error {
	ended := make(chan error, 1)
	go func() {
		var last error
		for _, err := range c.Watch(ctx, opts) {
			last = err
		}
		ended <- last
	}()
	return ended
}

// A watch that matches no registration gets no change, yet each reconnect that opened a stream
// worked: the server's SYNCED says so at once (OnSynced, never yielded), so connections dropped one
// after another (a proxy recycling them), however soon, do not add up to MaxReconnects, which counts
// failed reconnects in a row.
func TestIdleWatchOutlivesDroppedConnections(t *testing.T) {
	srv := startServer(t, "", "--set", "discovery.enabled=false")
	proxy := newCutProxy(t, srv.GRPC)
	c := dial(t, proxy.ln.Addr().String())
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var restarts, synced, yielded atomic.Int32
	ended := make(chan error, 1)
	go func() {
		var last error
		for _, err := range c.Watch(ctx, scriptengine.WatchOptions{
			ServiceType: "Nothing", MaxReconnects: 1,
			OnRestart: func() { restarts.Add(1) },
			OnSynced:  func() { synced.Add(1) },
		}) {
			yielded.Add(1)
			last = err
		}
		ended <- last
	}()
	// waitSynced waits for the n-th stream's SYNCED; the watch must not end meanwhile.
	waitSynced := func(n int32) {
		t.Helper()
		deadline := time.After(10 * time.Second)
		for synced.Load() < n {
			select {
			case err := <-ended:
				t.Fatalf("the watch ended before stream %d synced (%d streams): %v", n, restarts.Load(), err)
			case <-deadline:
				t.Fatalf("stream %d did not sync within 10 s (%d streams)", n, restarts.Load())
			case <-time.After(5 * time.Millisecond):
			}
		}
	}
	for cut := int32(1); cut <= 3; cut++ {
		waitSynced(cut) // cut at once, long before the 1 s rule for older servers
		proxy.Cut()
	}
	waitSynced(4)
	select {
	case err := <-ended:
		t.Fatalf("the watch ended after 3 cuts (%d streams), each reconnect having worked: %v", restarts.Load(), err)
	case <-time.After(200 * time.Millisecond):
	}
	if r, s, y := restarts.Load(), synced.Load(), yielded.Load(); r != 4 || s != 4 || y != 0 {
		t.Fatalf("%d streams, %d synced, %d values yielded after 3 cuts, want 4, 4, 0 (SYNCED is not yielded)", r, s, y)
	}
}

// hungServer's watches send nothing (only their headers when headers is set, as a proxy may), and
// end UNAVAILABLE after a second and a half: a hung server, or a proxy with no backend.
type hungServer struct {
	v1.UnimplementedRegistryServiceServer
	headers bool
	watches atomic.Int32
}

func (s *hungServer) WatchServices(_ *v1.WatchServicesRequest, stream grpc.ServerStreamingServer[v1.WatchServicesResponse]) error {
	s.watches.Add(1)
	if s.headers {
		if err := stream.SendHeader(metadata.MD{}); err != nil {
			return err
		}
	}
	select {
	case <-stream.Context().Done():
	case <-time.After(1500 * time.Millisecond):
	}
	return status.Error(codes.Unavailable, "no backend")
}

// A stream that brought no message (not SYNCED, not a change) is a failed reconnect however long it
// lasted and whether or not headers came: the watch gives up after MaxReconnects of them in a row.
// It used to count a stream with headers, or one that lasted a second, as working, and retried forever.
func TestWatchGivesUpOnStreamsThatBringNothing(t *testing.T) {
	for _, headers := range []bool{false, true} {
		t.Run(map[bool]string{false: "no headers", true: "headers"}[headers], func(t *testing.T) {
			t.Parallel()
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			fake := &hungServer{headers: headers}
			srv := grpc.NewServer()
			v1.RegisterRegistryServiceServer(srv, fake)
			go func() { _ = srv.Serve(ln) }()
			t.Cleanup(srv.Stop)
			c := dial(t, ln.Addr().String())
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			select {
			case err := <-watchEnd(ctx, c, scriptengine.WatchOptions{MaxReconnects: 1}):
				if status.Code(err) != codes.Unavailable {
					t.Fatalf("the watch ended with %v, want UNAVAILABLE", err)
				}
				// The first stream and MaxReconnects (1) more.
				if n := fake.watches.Load(); n != 2 {
					t.Fatalf("%d streams, want 2 (MaxReconnects 1)", n)
				}
			case <-time.After(12 * time.Second):
				t.Fatalf("the watch still retried after 12 s (%d streams that brought nothing)", fake.watches.Load())
			}
		})
	}
}
