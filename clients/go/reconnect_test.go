package scriptengine_test

import (
	"context"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"

	scriptengine "github.com/scriptengine/scriptengine/clients/go"
	v1 "github.com/scriptengine/scriptengine/gen/go/scriptengine/v1"
)

// gateListener closes every connection it accepts, reporting each on refused, until open is set:
// a server that is down, then back.
type gateListener struct {
	net.Listener
	open    atomic.Bool
	refused chan struct{}
}

func (l *gateListener) Accept() (net.Conn, error) {
	for {
		conn, err := l.Listener.Accept()
		if err != nil || l.open.Load() {
			return conn, err
		}
		conn.Close()
		l.refused <- struct{}{}
	}
}

type healthyServer struct {
	v1.UnimplementedScriptServiceServer
}

func (healthyServer) HealthCheck(context.Context, *v1.HealthCheckRequest) (*v1.HealthCheckResponse, error) {
	return &v1.HealthCheckResponse{Health: &v1.HealthStatus{Status: v1.ServiceStatus_SERVICE_STATUS_HEALTHY}}, nil
}

// downServer is a ScriptService and an EventService whose connections are refused until the returned gate opens.
func downServer(t *testing.T) *gateListener {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gate := &gateListener{Listener: ln, refused: make(chan struct{}, 64)}
	srv := grpc.NewServer()
	v1.RegisterScriptServiceServer(srv, healthyServer{})
	v1.RegisterEventServiceServer(srv, startedEvents{})
	go func() { _ = srv.Serve(gate) }()
	t.Cleanup(srv.Stop)
	return gate
}

// refusals waits until the client's connection has been refused n times (grpc-go keeps trying,
// waiting longer after each failure).
func refusals(t *testing.T, gate *gateListener, c *scriptengine.Client, n int) {
	t.Helper()
	c.Conn().Connect()
	for i := range n {
		select {
		case <-gate.refused:
		case <-time.After(30 * time.Second):
			t.Fatalf("%d connection attempts, want %d", i, n)
		}
	}
}

// backAfterFourRefusals is a client whose connection was refused 4 times by a server that is now
// back: grpc-go waits 4.1 s ± 20% after the 4th failure before the 5th attempt.
func backAfterFourRefusals(t *testing.T) *scriptengine.Client {
	gate := downServer(t)
	c := dial(t, gate.Addr().String())
	refusals(t, gate, c, 4)
	gate.open.Store(true)
	return c
}

// After an outage the connection waits seconds before trying again, and every call fails at once
// meanwhile: a retry on UNAVAILABLE makes it try again, so it reaches the server that is back.
func TestRetryReachesAServerThatCameBack(t *testing.T) {
	t.Parallel()
	c := backAfterFourRefusals(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if _, err := c.Health(ctx); err != nil {
		t.Fatalf("Health with retries, the server back: %v", err)
	}
}

// The connection's wait between attempts is capped at 5 s (grpc-go's own grows to 120 s), so even
// calls that are not retried reach a server that came back within seconds.
func TestConnectionBackoffIsCapped(t *testing.T) {
	t.Parallel()
	gate := downServer(t)
	c := dial(t, gate.Addr().String(), scriptengine.WithRetry(scriptengine.RetryPolicy{MaxAttempts: 1}))
	// After the 6th failure grpc-go's own backoff waits 10.5 s ± 20% before the 7th attempt.
	refusals(t, gate, c, 6)
	gate.open.Store(true)
	opened := time.Now()
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_, err := c.Health(ctx)
		cancel()
		if err == nil {
			break
		}
		if time.Since(opened) > 7*time.Second {
			t.Fatalf("still failing %v after the server came back: %v", time.Since(opened).Round(time.Millisecond), err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("reached %v after the server came back", time.Since(opened).Round(time.Millisecond))
}

// startedEvents answers each Subscribe with started, one event, then holds the stream open.
type startedEvents struct {
	v1.UnimplementedEventServiceServer
}

func (startedEvents) Subscribe(_ *v1.SubscribeRequest, s grpc.ServerStreamingServer[v1.SubscribeResponse]) error {
	if err := s.Send(&v1.SubscribeResponse{Message: &v1.SubscribeResponse_Started{Started: &v1.SubscriptionStarted{SubscriptionId: "s"}}}); err != nil {
		return err
	}
	if err := s.Send(&v1.SubscribeResponse{Message: &v1.SubscribeResponse_Event{Event: &v1.ServiceEvent{Sequence: 1}}}); err != nil {
		return err
	}
	<-s.Context().Done()
	return nil
}

// A resubscription, like a retry, has a failed connection try again at once: the connection's own
// wait (4.1 s after its 4th failure) used to outlast a few quick resumes, which gave up with the
// server back.
func TestSubscribeReachesAServerThatCameBack(t *testing.T) {
	t.Parallel()
	c := backAfterFourRefusals(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for ev, err := range c.Subscribe(ctx, scriptengine.SubscribeOptions{MaxReconnects: 3}) {
		if err != nil {
			t.Fatalf("Subscribe, the server back: %v", err)
		}
		if ev.GetSequence() != 1 {
			t.Fatalf("event %d, want 1", ev.GetSequence())
		}
		break
	}
}
