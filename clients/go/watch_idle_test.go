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

// headerServer's watches send their headers, then end UNAVAILABLE after a moment with no change:
// streams the server took. refuse makes them end at once without headers instead.
type headerServer struct {
	v1.UnimplementedRegistryServiceServer
	refuse  atomic.Bool
	watches atomic.Int32
}

func (s *headerServer) WatchServices(_ *v1.WatchServicesRequest, stream grpc.ServerStreamingServer[v1.WatchServicesResponse]) error {
	s.watches.Add(1)
	if !s.refuse.Load() {
		if err := stream.SendHeader(metadata.MD{}); err != nil {
			return err
		}
		time.Sleep(50 * time.Millisecond)
	}
	return status.Error(codes.Unavailable, "going away")
}

// A stream whose headers arrived was re-established, however short it lived; streams that fail
// without them still give up after MaxReconnects in a row.
func TestWatchStreamWithHeadersIsNoFailedReconnect(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fake := &headerServer{}
	srv := grpc.NewServer()
	v1.RegisterRegistryServiceServer(srv, fake)
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(srv.Stop)
	c := dial(t, ln.Addr().String())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ended := watchEnd(ctx, c, scriptengine.WatchOptions{MaxReconnects: 1})
	deadline := time.After(20 * time.Second)
	for fake.watches.Load() < 6 {
		select {
		case err := <-ended:
			t.Fatalf("the watch ended after %d streams, each with headers: %v", fake.watches.Load(), err)
		case <-deadline:
			t.Fatalf("%d streams in 20 s", fake.watches.Load())
		case <-time.After(20 * time.Millisecond):
		}
	}
	fake.refuse.Store(true)
	before := fake.watches.Load()
	select {
	case err := <-ended:
		if status.Code(err) != codes.Unavailable {
			t.Fatalf("the refused watch ended with %v, want UNAVAILABLE", err)
		}
		// The stream running when refusing began, then at most MaxReconnects+1 refused ones.
		if n := fake.watches.Load() - before; n > 2 {
			t.Fatalf("%d streams after the refusals began, want at most 2 (MaxReconnects 1)", n)
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("the watch did not give up on refused streams (%d streams)", fake.watches.Load())
	}
}
