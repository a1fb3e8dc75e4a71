package scriptengine_test

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"google.golang.org/grpc"

	scriptengine "github.com/scriptengine/scriptengine/clients/go"
	v1 "github.com/scriptengine/scriptengine/gen/go/scriptengine/v1"
)

// These tests run in a synctest bubble over fakeNet: the times they read and bound are the
// connection's own waits, not how fast the machine runs them.

type healthyServer struct {
	v1.UnimplementedScriptServiceServer
}

func (healthyServer) HealthCheck(context.Context, *v1.HealthCheckRequest) (*v1.HealthCheckResponse, error) {
	return &v1.HealthCheckResponse{Health: &v1.HealthStatus{Status: v1.ServiceStatus_SERVICE_STATUS_HEALTHY}}, nil
}

// downServer is a ScriptService and an EventService on a fakeNet that refuses connections until
// its setUp.
func downServer(t *testing.T) *fakeNet {
	n := newFakeNet()
	srv := grpc.NewServer()
	v1.RegisterScriptServiceServer(srv, healthyServer{})
	v1.RegisterEventServiceServer(srv, startedEvents{})
	n.serve(t, srv)
	return n
}

// backAfterFourRefusals is a client whose connection was refused 4 times by a server that is now
// back: grpc-go waits 4.1 s ± 20% after the 4th failure before the 5th attempt.
func backAfterFourRefusals(t *testing.T, opts ...scriptengine.Option) (*scriptengine.Client, *fakeNet) {
	n := downServer(t)
	c := dialFake(t, n, opts...)
	c.Conn().Connect()
	n.waitAttempts(4)
	n.setUp()
	return c, n
}

// After an outage the connection waits seconds before trying again, and every call fails at once
// meanwhile: a retry on UNAVAILABLE makes it try again, so it reaches the server that is back
// within the retries' own backoff (100 ms, 200 ms, 400 ms ± 20% here), far sooner than 3.28 s.
func TestRetryReachesAServerThatCameBack(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, _ := backAfterFourRefusals(t)
		back := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		if _, err := c.Health(ctx); err != nil {
			t.Fatalf("Health with retries, the server back: %v", err)
		}
		if waited := time.Since(back); waited > time.Second {
			t.Fatalf("Health reached the server %v after it was back, want within the retries' backoff", waited)
		}
	})
}

// The connection's wait between attempts is capped at 5 s ± 20% (grpc-go's own grows to 120 s:
// 8.4 s or more before the 7th attempt), so even calls that are not retried reach a server that
// came back within seconds.
func TestConnectionBackoffIsCapped(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := downServer(t)
		c := dialFake(t, n, scriptengine.WithRetry(scriptengine.RetryPolicy{MaxAttempts: 1}))
		c.Conn().Connect()
		n.waitAttempts(10)
		gaps := n.gaps()
		for i, gap := range gaps {
			if gap > 6*time.Second {
				t.Fatalf("wait before attempt %d was %v, want at most 5 s ± 20%% (all: %v)", i+2, gap, gaps)
			}
		}
		// It did grow to the cap: this is the connection's backoff, not attempts made at once.
		if last := gaps[len(gaps)-1]; last < 4*time.Second {
			t.Fatalf("last wait %v, want the 5 s ± 20%% cap (all: %v)", last, gaps)
		}
		n.setUp()
		back := time.Now()
		for {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			_, err := c.Health(ctx)
			cancel()
			if err == nil {
				break
			}
			if time.Since(back) > 7*time.Second {
				t.Fatalf("still failing %v after the server came back: %v", time.Since(back), err)
			}
			time.Sleep(200 * time.Millisecond)
		}
	})
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
// wait (4.1 s ± 20% after its 4th failure) used to outlast a few quick resumes (100 ms, 200 ms,
// 400 ms ± 20%), which gave up with the server back.
func TestSubscribeReachesAServerThatCameBack(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, _ := backAfterFourRefusals(t)
		ctx, cancel := context.WithCancel(context.Background())
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
	})
}
