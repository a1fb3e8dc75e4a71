package scriptengine_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	scriptengine "github.com/scriptengine/scriptengine/clients/go"
	v1 "github.com/scriptengine/scriptengine/gen/go/scriptengine/v1"
)

// A reader that falls behind: the server ends its stream RESOURCE_EXHAUSTED EVENTS_LOST (a watch
// past registry.watch_buffer, a subscription past events.subscriber_buffer with on_lag
// "disconnect"). Subscribe and Watch take that as a drop worth resuming.
const laggingTOML = "[events]\nsubscriber_buffer = 2\non_lag = \"disconnect\"\nlog_size = 50\n[registry]\nwatch_buffer = 2\n"

func TestSubscribeResumesAfterFallingBehind(t *testing.T) {
	srv := startServer(t, laggingTOML, "--set", "discovery.enabled=false")
	c := dial(t, srv.GRPC)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	emit := func(id string) error {
		_, err := c.Events.Emit(ctx, &v1.EmitRequest{Event: &v1.ServiceEvent{Event: &v1.ServiceEvent_ScriptExecuted{
			ScriptExecuted: &v1.ScriptExecuted{ScriptId: "lag-" + strings.Repeat("y", 240), ExecutionId: id, Success: true},
		}}})
		return err
	}
	started := make(chan struct{}, 1)
	emitted := make(chan error, 1)
	var starts, lost atomic.Int32
	go func() {
		<-started
		// Well past what the transport buffers between the server's buffer of 2 and the reader.
		pad := strings.Repeat("x", 240)
		for b := range 25 {
			var wg sync.WaitGroup
			errs := make(chan error, 200)
			for i := range 200 {
				wg.Add(1)
				go func() { defer wg.Done(); errs <- emit(fmt.Sprintf("e-%d-%d-%s", b, i, pad)) }()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					emitted <- err
					return
				}
			}
		}
		emitted <- emit("last")
	}()
	n := 0
	for ev, err := range c.Subscribe(ctx, scriptengine.SubscribeOptions{
		EventTypes: []string{"script_executed"},
		OnStarted: func(*v1.SubscriptionStarted) {
			starts.Add(1)
			select {
			case started <- struct{}{}:
			default:
			}
		},
		OnLost: func(l *v1.EventsLost) {
			if l.GetMissedCount() > 0 {
				lost.Add(1)
			}
		},
	}) {
		if err != nil {
			t.Fatalf("after %d events: %v", n, err)
		}
		n++
		if n == 1 { // the reader stalls while the rest pile up
			if err := <-emitted; err != nil {
				t.Fatal(err)
			}
		}
		if ev.GetScriptExecuted().GetExecutionId() == "last" {
			break
		}
	}
	if starts.Load() < 2 || lost.Load() < 1 {
		t.Fatalf("starts %d, losses reported %d: want a resubscription and a lost notice", starts.Load(), lost.Load())
	}
}

func TestWatchResumesAfterFallingBehind(t *testing.T) {
	srv := startServer(t, laggingTOML, "--set", "discovery.enabled=false")
	c := dial(t, srv.GRPC)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	register := func(id string) error {
		_, err := c.Registry.RegisterService(ctx, &v1.RegisterServiceRequest{
			Service: &v1.ServiceInfo{ServiceId: id, ServiceType: "Lag", Endpoint: "127.0.0.1:9001"},
		})
		return err
	}
	registered := make(chan error, 1)
	go func() {
		time.Sleep(200 * time.Millisecond) // the watch is open
		if err := register("w-first"); err != nil {
			registered <- err
			return
		}
		var wg sync.WaitGroup
		errs := make(chan error, 60)
		for i := range 60 {
			wg.Add(1)
			go func() { defer wg.Done(); errs <- register(fmt.Sprintf("w-%d", i)) }()
		}
		wg.Wait()
		close(errs)
		registered <- errors.Join(slicesOf(errs)...)
	}()
	var restarts atomic.Int32
	n, seen := 0, false
	for change, err := range c.Watch(ctx, scriptengine.WatchOptions{ServiceType: "Lag", OnRestart: func() { restarts.Add(1) }}) {
		if err != nil {
			t.Fatalf("after %d changes: %v", n, err)
		}
		n++
		if n == 1 { // the reader stalls while the rest pile up
			if err := <-registered; err != nil {
				t.Fatal(err)
			}
			time.Sleep(300 * time.Millisecond)
		}
		if change.GetRegistration().GetService().GetServiceId() == "w-59" {
			seen = true
		}
		if seen && restarts.Load() >= 2 {
			break
		}
	}
	if !seen || restarts.Load() < 2 {
		t.Fatalf("w-59 seen %v, restarts %d", seen, restarts.Load())
	}
}

func slicesOf(ch <-chan error) []error {
	var out []error
	for err := range ch {
		out = append(out, err)
	}
	return out
}

// laggingServer's every subscription starts, delivers one event when deliver is set, and ends
// EVENTS_LOST; after streams of them one ends cleanly.
type laggingServer struct {
	v1.UnimplementedEventServiceServer
	streams, calls atomic.Int32
	deliver        bool
}

func (s *laggingServer) Subscribe(_ *v1.SubscribeRequest, stream grpc.ServerStreamingServer[v1.SubscribeResponse]) error {
	n := s.calls.Add(1)
	if err := stream.Send(&v1.SubscribeResponse{Message: &v1.SubscribeResponse_Started{Started: &v1.SubscriptionStarted{SubscriptionId: "s"}}}); err != nil {
		return err
	}
	if n > s.streams.Load() {
		return nil
	}
	if s.deliver {
		if err := stream.Send(&v1.SubscribeResponse{Message: &v1.SubscribeResponse_Event{Event: &v1.ServiceEvent{Sequence: uint64(n)}}}); err != nil {
			return err
		}
	}
	st, err := status.New(codes.ResourceExhausted, "subscriber fell behind").WithDetails(&errdetails.ErrorInfo{Reason: "EVENTS_LOST", Domain: scriptengine.ErrorDomain})
	if err != nil {
		panic(err)
	}
	return st.Err()
}

// A fall behind counts toward MaxReconnects only when nothing was delivered since the last resume.
func TestFallingBehindCountsOnlyWithoutProgress(t *testing.T) {
	for _, deliver := range []bool{true, false} {
		t.Run(fmt.Sprintf("deliver=%v", deliver), func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			srv := grpc.NewServer()
			fake := &laggingServer{deliver: deliver}
			fake.streams.Store(5)
			v1.RegisterEventServiceServer(srv, fake)
			go func() { _ = srv.Serve(ln) }()
			t.Cleanup(srv.Stop)
			c := dial(t, ln.Addr().String())
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			after := uint64(0)
			var seqs []uint64
			var last error
			for ev, err := range c.Subscribe(ctx, scriptengine.SubscribeOptions{AfterSequence: &after, MaxReconnects: 2}) {
				if err != nil {
					last = err
					break
				}
				seqs = append(seqs, ev.GetSequence())
			}
			if deliver {
				if last != nil || len(seqs) != 5 || fake.calls.Load() != 6 {
					t.Fatalf("err %v, events %v, streams %d: want 5 events over 6 streams and a clean end", last, seqs, fake.calls.Load())
				}
				return
			}
			var se *scriptengine.Error
			if !errors.As(last, &se) || !errors.Is(last, scriptengine.ErrResourceExhausted) || se.Reason != "EVENTS_LOST" || fake.calls.Load() != 3 {
				t.Fatalf("err %v after %d streams: want ResourceExhausted EVENTS_LOST after 3 (MaxReconnects 2)", last, fake.calls.Load())
			}
		})
	}
}
