package scriptengine_test

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	scriptengine "github.com/scriptengine/scriptengine/clients/go"
	v1 "github.com/scriptengine/scriptengine/gen/go/scriptengine/v1"
)

// Watch watches again after the server goes away; the new stream's EXISTING snapshot brings the
// caller up to date.
func TestWatchResumesAcrossServerRestart(t *testing.T) {
	addr := "127.0.0.1:" + strconv.Itoa(freePort(t))
	args := []string{"--grpc-address", addr, "--set", "discovery.enabled=false"}
	first := startServer(t, "", args...)
	c := dial(t, addr)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	var restarts atomic.Int32
	next, stop := iterPull(c.Watch(ctx, scriptengine.WatchOptions{
		ServiceType: "Worker",
		OnRestart:   func() { restarts.Add(1) },
		// However long the next server takes to start (10 reconnects last about 16 s at most).
		MaxReconnects: 1000,
	}))
	var reading sync.WaitGroup // a next() still running when the test fails ends with ctx, before stop()
	defer func() { cancel(); reading.Wait(); stop() }()
	describe := func(change *v1.WatchServicesResponse, err error, ok bool) string {
		if err != nil {
			return "error: " + err.Error()
		}
		if !ok {
			return "done"
		}
		return change.GetKind().String() + " " + change.GetRegistration().GetService().GetServiceId()
	}
	type result struct {
		change *v1.WatchServicesResponse
		err    error
		ok     bool
	}
	pull := func() <-chan result {
		ch := make(chan result, 1)
		reading.Add(1)
		go func() { defer reading.Done(); change, err, ok := next(); ch <- result{change, err, ok} }()
		return ch
	}
	register := func(c *scriptengine.Client, id, endpoint string) error {
		_, err := c.Registry.RegisterService(ctx, &v1.RegisterServiceRequest{
			Service: &v1.ServiceInfo{ServiceId: id, ServiceType: "Worker", Endpoint: endpoint},
		})
		return err
	}

	firstChange := pull() // opens the watch
	if err := register(c, "w-1", "127.0.0.1:9001"); err != nil {
		t.Fatal(err)
	}
	r := <-firstChange
	if got := describe(r.change, r.err, r.ok); !slices.Contains([]string{"CHANGE_KIND_EXISTING w-1", "CHANGE_KIND_REGISTERED w-1"}, got) {
		t.Fatalf("first change: %s", got)
	}
	pending := pull() // waiting on the stream when the server stops
	first.Stop()
	startServer(t, "", args...)
	direct := dial(t, addr)
	for attempt := 1; ; attempt++ {
		err := register(direct, "w-2", "127.0.0.1:9002")
		if err == nil {
			break
		}
		if !errors.Is(err, scriptengine.ErrUnavailable) || attempt >= 5 {
			t.Fatal(err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	// The new server has its own data directory: its snapshot holds only w-2.
	r = <-pending
	if got := describe(r.change, r.err, r.ok); !slices.Contains([]string{"CHANGE_KIND_EXISTING w-2", "CHANGE_KIND_REGISTERED w-2"}, got) {
		t.Fatalf("after the restart: %s", got)
	}
	if restarts.Load() < 2 {
		t.Fatalf("watched %d times, want a re-watch", restarts.Load())
	}
}

// A watch stream that ends CANCELLED though neither ctx nor Close cancelled it was reset: the
// iteration watches again and yields the new stream's snapshot. Close ends it quietly.
func TestWatchResumesAfterCancelledNotOfItsOwnDoing(t *testing.T) {
	fake, addr := startResettingServer(t)
	c := dial(t, addr)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	next, stop := iterPull(c.Watch(ctx, scriptengine.WatchOptions{}))
	defer stop()
	for _, want := range []string{"w-1", "w-2"} {
		if change, err, ok := next(); err != nil || !ok || change.GetRegistration().GetService().GetServiceId() != want {
			t.Fatalf("change %s: %v, %v, %v", want, change, err, ok)
		}
	}
	if n := fake.watches.Load(); n != 2 {
		t.Fatalf("%d streams, want 2", n)
	}
	closeWhileIterating(t, c, func() (error, bool) { _, err, ok := next(); return err, ok })
	if n := fake.watches.Load(); n != 2 {
		t.Fatalf("%d streams, want 2 (no new watch after Close)", n)
	}
}
