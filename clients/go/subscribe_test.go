package scriptengine_test

import (
	"context"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	scriptengine "github.com/scriptengine/scriptengine/clients/go"
	v1 "github.com/scriptengine/scriptengine/gen/go/scriptengine/v1"
)

// cutProxy forwards TCP to target until Cut drops every connection; while refusing is set it
// drops every new connection at once.
type cutProxy struct {
	ln       net.Listener
	mu       sync.Mutex
	conns    []net.Conn
	refusing atomic.Bool
}

func newCutProxy(t *testing.T, target string) *cutProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{ln: ln}
	t.Cleanup(func() { ln.Close(); p.Cut() })
	go func() {
		for {
			down, err := ln.Accept()
			if err != nil {
				return
			}
			if p.refusing.Load() {
				down.Close()
				continue
			}
			up, err := net.Dial("tcp", target)
			if err != nil {
				down.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, down, up)
			p.mu.Unlock()
			go func() { _, _ = io.Copy(up, down); up.Close() }()
			go func() { _, _ = io.Copy(down, up); down.Close() }()
		}
	}()
	return p
}

func (p *cutProxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// proxied starts a server and gives a client of it and one through a cutProxy to it.
func proxied(t *testing.T) (proxy *cutProxy, direct, viaProxy *scriptengine.Client) {
	srv := startServer(t, "")
	proxy = newCutProxy(t, srv.GRPC)
	viaProxy, err := scriptengine.Dial(proxy.ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { viaProxy.Close() })
	return proxy, dial(t, srv.GRPC), viaProxy
}

func TestSubscribeResumesAfterDroppedConnection(t *testing.T) {
	proxy, direct, viaProxy := proxied(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	run := func(id string) {
		if _, err := direct.Run(ctx, "1", nil, &scriptengine.RunOptions{Context: &v1.ExecutionContext{ExecutionId: id}}); err != nil {
			t.Fatal(err)
		}
	}
	var zero uint64
	starts := 0
	next, stop := iterPull(viaProxy.Subscribe(ctx, scriptengine.SubscribeOptions{
		EventTypes: []string{"script_executed"}, AfterSequence: &zero,
		OnStarted: func(*v1.SubscriptionStarted) { starts++ },
	}))
	defer stop()

	run("before-cut")
	first, err, _ := next()
	if err != nil || first.GetScriptExecuted().GetExecutionId() != "before-cut" {
		t.Fatalf("first event %v, %v", first, err)
	}
	proxy.Cut()
	run("during-cut-1")
	run("during-cut-2")
	last := first.GetSequence()
	for _, want := range []string{"during-cut-1", "during-cut-2"} {
		ev, err, ok := next()
		if err != nil || !ok {
			t.Fatalf("after the cut: %v", err)
		}
		if got := ev.GetScriptExecuted().GetExecutionId(); got != want || ev.GetSequence() <= last {
			t.Fatalf("got %s (seq %d after %d), want %s", got, ev.GetSequence(), last, want)
		}
		last = ev.GetSequence()
	}
	if starts < 2 {
		t.Fatalf("subscribed %d times, want a resubscription", starts)
	}
}

// A resume after a sequence beyond the server's latest (a reset store) gets RESTART, then all the
// server retains, none of it this type: a connection dropped then resumes from where the server
// went on, so the notice is not repeated.
func TestSubscribeAfterUnknownSequenceReportsTheLossOnce(t *testing.T) {
	proxy, direct, viaProxy := proxied(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	unknown := uint64(1_000_000)
	var reasons []v1.LossReason
	starts := 0
	next, stop := iterPull(viaProxy.Subscribe(ctx, scriptengine.SubscribeOptions{
		EventTypes: []string{"migration_started"}, AfterSequence: &unknown,
		OnLost: func(l *v1.EventsLost) {
			reasons = append(reasons, l.GetReason())
			if len(reasons) == 1 {
				proxy.Cut()
			}
		},
		OnStarted: func(*v1.SubscriptionStarted) {
			if starts++; starts == 2 {
				_, err := direct.Events.Emit(ctx, &v1.EmitRequest{Event: &v1.ServiceEvent{Event: &v1.ServiceEvent_MigrationStarted{
					MigrationStarted: &v1.MigrationStarted{ToolName: "t", MigrationId: "after-cut"}}}})
				if err != nil {
					t.Error(err)
				}
			}
		},
	}))
	defer stop()

	ev, err, _ := next()
	if err != nil || ev.GetMigrationStarted().GetMigrationId() != "after-cut" {
		t.Fatalf("got %v, %v", ev, err)
	}
	if len(reasons) != 1 || reasons[0] != v1.LossReason_LOSS_REASON_RESTART {
		t.Fatalf("loss notices %v, want one RESTART", reasons)
	}
}

// A server that shuts down ends the stream with UNAVAILABLE (ENGINE_STOPPED, RetryInfo): the iterator
// resubscribes and carries on with the next server on the address.
func TestSubscribeResumesAcrossServerRestart(t *testing.T) {
	addr := "127.0.0.1:" + strconv.Itoa(freePort(t))
	first := startServer(t, "", "--grpc-address", addr)
	c := dial(t, addr)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	run := func(c *scriptengine.Client, id string) {
		if _, err := c.Run(ctx, "1", nil, &scriptengine.RunOptions{Context: &v1.ExecutionContext{ExecutionId: id}}); err != nil {
			t.Fatal(err)
		}
	}
	var zero uint64
	var starts atomic.Int32
	next, stop := iterPull(c.Subscribe(ctx, scriptengine.SubscribeOptions{
		EventTypes: []string{"script_executed"}, AfterSequence: &zero,
		OnStarted: func(*v1.SubscriptionStarted) { starts.Add(1) },
		OnLost:    func(*v1.EventsLost) {}, // the new server announces the gap in sequences, then replays its log
		// However long the next server takes to start (10 reconnects last about 16 s at most).
		MaxReconnects: 1000,
	}))
	defer stop()
	// Sequences are per process and SubscriptionStarted carries no process identity: a resume is only
	// recognised as crossing a restart when the last sequence seen is beyond the new server's latest.
	for i := range 5 {
		id := "first-server-" + strconv.Itoa(i)
		run(c, id)
		if ev, err, _ := next(); err != nil || ev.GetScriptExecuted().GetExecutionId() != id {
			t.Fatalf("event %d: %v, %v", i, ev, err)
		}
	}
	type result struct {
		ev  *v1.ServiceEvent
		err error
		ok  bool
	}
	pending := make(chan result, 1)
	go func() { ev, err, ok := next(); pending <- result{ev, err, ok} }()
	first.Stop()
	startServer(t, "", "--grpc-address", addr)
	// A fresh client: RunScript is not retried, and c's connection may still be backing off.
	direct := dial(t, addr)
	run(direct, "second-server")
	r := <-pending
	if r.err != nil || !r.ok || r.ev.GetScriptExecuted().GetExecutionId() != "second-server" {
		t.Fatalf("after the restart: %v, %v, %v", r.ev, r.err, r.ok)
	}
	if starts.Load() < 2 {
		t.Fatalf("subscribed %d times, want a resubscription", starts.Load())
	}
}

// A live subscription (no AfterSequence) resumes from its first stream's started.latest_sequence:
// an event published while it cannot reconnect is still delivered, before the later ones.
func TestSubscribeLiveResumesFromWhereItStarted(t *testing.T) {
	proxy, direct, viaProxy := proxied(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	run := func(id string) {
		if _, err := direct.Run(ctx, "1", nil, &scriptengine.RunOptions{Context: &v1.ExecutionContext{ExecutionId: id}}); err != nil {
			t.Fatal(err)
		}
	}
	starts := make(chan struct{}, 16)
	type result struct {
		ev  *v1.ServiceEvent
		err error
	}
	got := make(chan result)
	go func() {
		for ev, err := range viaProxy.Subscribe(ctx, scriptengine.SubscribeOptions{
			EventTypes: []string{"script_executed"},
			OnStarted:  func(*v1.SubscriptionStarted) { starts <- struct{}{} },
		}) {
			select {
			case got <- result{ev, err}:
			case <-ctx.Done():
				return
			}
		}
	}()
	<-starts // the live stream is open
	proxy.refusing.Store(true)
	proxy.Cut()
	run("during-gap") // the subscriber cannot reconnect yet
	proxy.refusing.Store(false)
	<-starts // it subscribed again
	run("after-gap")
	for _, want := range []string{"during-gap", "after-gap"} {
		r := <-got
		if r.err != nil || r.ev.GetScriptExecuted().GetExecutionId() != want {
			t.Fatalf("want %s, got %v, %v", want, r.ev, r.err)
		}
	}
}

// A live subscription filtered to script_executed, across a clean restart on the same data dir and
// address: the stopping run publishes events the filter skips (health STOPPING, deregistration)
// after the last one delivered, and the stream's end says everything up to them was sent
// (resume_after_sequence), so nothing is missed and, without OnLost, the iteration goes on.
func TestSubscribeGoesOnAcrossCleanRestartWithoutOnLost(t *testing.T) {
	dir := t.TempDir()
	addr := "127.0.0.1:" + strconv.Itoa(freePort(t))
	first := startServerIn(t, dir, "", "--grpc-address", addr)
	c := dial(t, addr)
	// How long the restarted server takes to start is not the subject: a loaded machine took longer
	// than the default 10 reconnects (at most about 16 s of backoff), so the subscription allows 1000.
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	run := func(id string) {
		// A fresh client each time: RunScript is not retried, and c's connection may be backing off.
		direct, err := scriptengine.Dial(addr)
		if err != nil {
			t.Fatal(err)
		}
		defer direct.Close()
		if _, err := direct.Run(ctx, "1", nil, &scriptengine.RunOptions{Context: &v1.ExecutionContext{ExecutionId: id}}); err != nil {
			t.Fatal(err)
		}
	}
	starts := make(chan struct{}, 16)
	next, stop := iterPull(c.Subscribe(ctx, scriptengine.SubscribeOptions{
		EventTypes:    []string{"script_executed"},
		OnStarted:     func(*v1.SubscriptionStarted) { starts <- struct{}{} },
		MaxReconnects: 1000,
	}))
	defer stop()
	type result struct {
		ev  *v1.ServiceEvent
		err error
		ok  bool
	}
	pull := func() chan result {
		got := make(chan result, 1)
		go func() { ev, err, ok := next(); got <- result{ev, err, ok} }()
		return got
	}
	pending := pull() // opens the live stream
	<-starts
	run("earlier-run")
	if r := <-pending; r.err != nil || r.ev.GetScriptExecuted().GetExecutionId() != "earlier-run" {
		t.Fatalf("before the restart: %v, %v, %v", r.ev, r.err, r.ok)
	}
	pending = pull() // waiting on the stream when the server stops
	first.Stop()
	startServerIn(t, dir, "", "--grpc-address", addr)
	run("this-run")
	if r := <-pending; r.err != nil || !r.ok || r.ev.GetScriptExecuted().GetExecutionId() != "this-run" {
		t.Fatalf("after the restart: %v, %v, %v", r.ev, r.err, r.ok)
	}
}

// Resuming after a restart from a checkpoint the earlier run published past: the notice counts what
// that run published after it (missed_count > 0), so without OnLost the iteration ends with
// *EventsLostError.
func TestSubscribeFromCheckpointAcrossRestartEndsWithEventsLostError(t *testing.T) {
	dir := t.TempDir()
	first := startServerIn(t, dir, "")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := dial(t, first.GRPC)
	run := func(id string) {
		if _, err := c.Run(ctx, "1", nil, &scriptengine.RunOptions{Context: &v1.ExecutionContext{ExecutionId: id}}); err != nil {
			t.Fatal(err)
		}
	}
	run("checkpoint")
	var zero, checkpoint uint64
	for ev, err := range c.Subscribe(ctx, scriptengine.SubscribeOptions{EventTypes: []string{"script_executed"}, AfterSequence: &zero}) {
		if err != nil {
			t.Fatal(err)
		}
		checkpoint = ev.GetSequence()
		break
	}
	run("after-checkpoint")
	first.Stop()
	srv := startServerIn(t, dir, "")
	after := dial(t, srv.GRPC)
	for ev, err := range after.Subscribe(ctx, scriptengine.SubscribeOptions{EventTypes: []string{"script_executed"}, AfterSequence: &checkpoint}) {
		var lostErr *scriptengine.EventsLostError
		if !errors.As(err, &lostErr) || lostErr.Lost.GetReason() != v1.LossReason_LOSS_REASON_RESTART || lostErr.Lost.GetMissedCount() == 0 {
			t.Fatalf("got %v, %v; want *EventsLostError (RESTART)", ev, err)
		}
		break
	}
}

// Events really missed (missed_count > 0) still end the iteration when there is no OnLost.
func TestSubscribeEndsWithEventsLostErrorWithoutOnLost(t *testing.T) {
	srv := startServer(t, "", "--set", "events.log_size=1")
	c := dial(t, srv.GRPC)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for range 3 {
		if _, err := c.Run(ctx, "1", nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	var zero uint64
	for ev, err := range c.Subscribe(ctx, scriptengine.SubscribeOptions{AfterSequence: &zero}) {
		var lostErr *scriptengine.EventsLostError
		if !errors.As(err, &lostErr) || lostErr.Lost.GetMissedCount() == 0 {
			t.Fatalf("got %v, %v; want *EventsLostError", ev, err)
		}
		break
	}
}

// A reader stalled through a shutdown cannot take in the stream's UNAVAILABLE end (flow control);
// past the grace the server closes its connections under it (grpc-go reads that as UNAVAILABLE,
// grpc-js as CANCELLED: see TestSubscribeResumesAfterCancelledNotOfItsOwnDoing). The iteration
// resubscribes and yields the next server's event.
func TestSubscribeResumesAfterStreamResetAtShutdown(t *testing.T) {
	dir := t.TempDir()
	addr := "127.0.0.1:" + strconv.Itoa(freePort(t))
	args := []string{"--grpc-address", addr, "--set", "server.shutdown_grace=1s", "--set", "events.subscriber_buffer=5000"}
	first := startServerIn(t, dir, "", args...)
	c := dial(t, addr)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	// A backlog well past any flow-control window: 400 events of 60 KB.
	detail := strings.Repeat("d", 60_000)
	var emits sync.WaitGroup
	for i := range 400 {
		emits.Go(func() {
			_, err := c.Events.Emit(ctx, &v1.EmitRequest{Event: &v1.ServiceEvent{Event: &v1.ServiceEvent_SecurityViolation{
				SecurityViolation: &v1.SecurityViolation{Kind: "backlog", Detail: detail + strconv.Itoa(i)}}}})
			if err != nil {
				t.Error(err)
			}
		})
		if i%50 == 49 {
			emits.Wait()
		}
	}
	var zero uint64
	// However long the next server takes to start (10 reconnects last about 16 s at most).
	next, stop := iterPull(c.Subscribe(ctx, scriptengine.SubscribeOptions{AfterSequence: &zero, OnLost: func(*v1.EventsLost) {}, MaxReconnects: 1000}))
	defer func() { cancel(); stop() }()
	if _, err, ok := next(); err != nil || !ok {
		t.Fatalf("first event: %v, %v", err, ok)
	}
	time.Sleep(500 * time.Millisecond) // then the reader stalls
	first.Stop()
	startServerIn(t, dir, "", args...)
	// A fresh client: RunScript is not retried, and c's connection may still be backing off.
	direct := dial(t, addr)
	if _, err := direct.Run(ctx, "1", nil, &scriptengine.RunOptions{Context: &v1.ExecutionContext{ExecutionId: "new-run"}}); err != nil {
		t.Fatal(err)
	}
	for {
		ev, err, ok := next()
		if err != nil || !ok {
			t.Fatalf("the iteration ended: %v, %v", err, ok)
		}
		if ev.GetScriptExecuted().GetExecutionId() == "new-run" {
			return
		}
	}
}

// resettingServer ends the first stream of each kind CANCELLED after one message, as grpc-js and
// proxies report a stream the server side reset under the reader; later streams send one message
// and stay open until the client leaves. afters holds each Subscribe's after_sequence.
type resettingServer struct {
	v1.UnimplementedEventServiceServer
	v1.UnimplementedRegistryServiceServer
	subscribes, watches atomic.Int32
	afters              chan uint64
}

func (s *resettingServer) Subscribe(req *v1.SubscribeRequest, stream grpc.ServerStreamingServer[v1.SubscribeResponse]) error {
	n := s.subscribes.Add(1)
	s.afters <- req.GetAfterSequence()
	_ = stream.Send(&v1.SubscribeResponse{Message: &v1.SubscribeResponse_Started{Started: &v1.SubscriptionStarted{}}})
	_ = stream.Send(&v1.SubscribeResponse{Message: &v1.SubscribeResponse_Event{Event: &v1.ServiceEvent{Sequence: req.GetAfterSequence() + 1}}})
	return s.end(n, stream.Context())
}

func (s *resettingServer) WatchServices(req *v1.WatchServicesRequest, stream grpc.ServerStreamingServer[v1.WatchServicesResponse]) error {
	n := s.watches.Add(1)
	id := "w-" + strconv.Itoa(int(n))
	_ = stream.Send(&v1.WatchServicesResponse{Kind: v1.ChangeKind_CHANGE_KIND_EXISTING, Registration: &v1.Registration{Service: &v1.ServiceInfo{ServiceId: id}}})
	return s.end(n, stream.Context())
}

func (s *resettingServer) end(n int32, ctx context.Context) error {
	if n == 1 {
		return status.Error(codes.Canceled, "stream reset")
	}
	<-ctx.Done()
	return nil
}

func startResettingServer(t *testing.T) (*resettingServer, string) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	fake := &resettingServer{afters: make(chan uint64, 16)}
	v1.RegisterEventServiceServer(srv, fake)
	v1.RegisterRegistryServiceServer(srv, fake)
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(srv.Stop)
	return fake, ln.Addr().String()
}

// A stream that ends CANCELLED though neither ctx nor Close cancelled it was reset: the iteration
// resubscribes after the last event it yielded. Close ends it quietly, without resubscribing.
func TestSubscribeResumesAfterCancelledNotOfItsOwnDoing(t *testing.T) {
	fake, addr := startResettingServer(t)
	c := dial(t, addr)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var zero uint64
	next, stop := iterPull(c.Subscribe(ctx, scriptengine.SubscribeOptions{AfterSequence: &zero}))
	defer stop()
	for want := uint64(1); want <= 2; want++ {
		if ev, err, ok := next(); err != nil || !ok || ev.GetSequence() != want {
			t.Fatalf("event %d: %v, %v, %v", want, ev, err, ok)
		}
	}
	if a, b := <-fake.afters, <-fake.afters; a != 0 || b != 1 {
		t.Fatalf("after_sequence of the streams: %d, %d; want 0, 1", a, b)
	}
	closeWhileIterating(t, c, func() (error, bool) { _, err, ok := next(); return err, ok })
	if n := fake.subscribes.Load(); n != 2 {
		t.Fatalf("%d streams, want 2 (no resubscription after Close)", n)
	}
}

// closeWhileIterating closes c while next waits on an idle stream, and checks the iteration just
// ends: Close is the caller's own doing, like a cancelled ctx (the TypeScript and Python SDKs agree).
func closeWhileIterating(t *testing.T, c *scriptengine.Client, next func() (error, bool)) {
	t.Helper()
	type end struct {
		err error
		ok  bool
	}
	ended := make(chan end, 1)
	go func() { err, ok := next(); ended <- end{err, ok} }()
	time.Sleep(100 * time.Millisecond)
	_ = c.Close()
	select {
	case e := <-ended:
		if e.err != nil || e.ok {
			t.Fatalf("after Close: err=%v more=%v, want the iteration to end without an error", e.err, e.ok)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the iteration did not end after Close")
	}
}
