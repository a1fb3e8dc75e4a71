package scriptengine_test

import (
	"context"
	"errors"
	"runtime"
	"testing"
	"time"

	scriptengine "github.com/scriptengine/scriptengine/clients/go"
	v1 "github.com/scriptengine/scriptengine/gen/go/scriptengine/v1"
)

// A panic or runtime.Goexit (t.Fatal) in a Subscribe or Watch loop body, or in one of their
// callbacks, unwinds through the iteration: its stream used to stay open (the stream's ctx was
// cancelled after run returned, not deferred) until the parent ctx ended, holding a server slot
// (server.max_streams_per_caller), a goroutine and a pool slot. With a limit of 2, three such
// loops would leave no room for another stream.
func TestPanicInALoopEndsItsStream(t *testing.T) {
	srv := startServer(t, "[server]\nmax_streams_per_caller = 2\n")
	c := dial(t, srv.GRPC)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	// Something for each loop to yield: an event and a registration.
	if _, err := c.Run(ctx, "export default () => 1", nil, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Registry.RegisterService(ctx, &v1.RegisterServiceRequest{
		Service: &v1.ServiceInfo{ServiceId: "w-1", ServiceType: "Worker", Endpoint: "127.0.0.1:9001"},
	}); err != nil {
		t.Fatal(err)
	}
	baseline := runtime.NumGoroutine()
	zero := uint64(0)
	boom := func() { panic("a bug in the handler") }
	loops := map[string]func(ctx context.Context, unwind func()){
		"Subscribe body": func(ctx context.Context, unwind func()) {
			for _, err := range c.Subscribe(ctx, scriptengine.SubscribeOptions{AfterSequence: &zero}) {
				if err != nil {
					t.Error(err)
					return
				}
				unwind()
			}
		},
		"Watch body": func(ctx context.Context, unwind func()) {
			for _, err := range c.Watch(ctx, scriptengine.WatchOptions{}) {
				if err != nil {
					t.Error(err)
					return
				}
				unwind()
			}
		},
		"OnStarted": func(ctx context.Context, unwind func()) {
			for range c.Subscribe(ctx, scriptengine.SubscribeOptions{OnStarted: func(*v1.SubscriptionStarted) { unwind() }}) {
			}
		},
		"OnSynced": func(ctx context.Context, unwind func()) {
			for range c.Watch(ctx, scriptengine.WatchOptions{OnSynced: unwind}) {
			}
		},
	}
	for name, loop := range loops {
		for range 3 {
			func() {
				defer func() {
					if recover() == nil {
						t.Errorf("%s: no panic", name)
					}
				}()
				loop(ctx, boom)
			}()
		}
		// runtime.Goexit, as t.Fatal in the loop of a test's helper goroutine does.
		done := make(chan struct{})
		go func() {
			defer close(done)
			loop(ctx, runtime.Goexit)
		}()
		<-done
	}

	// Each stream ends on the client at once; the server releases its slot when it reads the reset.
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > baseline && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > baseline {
		t.Errorf("%d goroutines, %d before the loops", n, baseline)
	}
	for name, open := range map[string]func() error{
		"Subscribe": func() error {
			for _, err := range c.Subscribe(ctx, scriptengine.SubscribeOptions{AfterSequence: &zero, MaxReconnects: -1}) {
				return err
			}
			return errors.New("ended")
		},
		"Watch": func() error {
			for _, err := range c.Watch(ctx, scriptengine.WatchOptions{MaxReconnects: -1}) {
				return err
			}
			return errors.New("ended")
		},
	} {
		err := open()
		for errors.Is(err, scriptengine.ErrResourceExhausted) && time.Now().Before(deadline) {
			time.Sleep(100 * time.Millisecond)
			err = open()
		}
		if err != nil {
			t.Errorf("a new %s after the unwound loops: %v", name, err)
		}
	}
}
