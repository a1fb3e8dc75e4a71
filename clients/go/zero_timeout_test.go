package scriptengine_test

import (
	"context"
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	scriptengine "github.com/scriptengine/scriptengine/clients/go"
	v1 "github.com/scriptengine/scriptengine/gen/go/scriptengine/v1"
)

// deadlineScripts notes, for each HealthCheck and ExecuteScript it answers, whether the call came
// with a deadline; the first unavailable HealthChecks fail UNAVAILABLE.
type deadlineScripts struct {
	v1.UnimplementedScriptServiceServer
	mu          sync.Mutex
	deadlines   []bool
	unavailable int
}

func (s *deadlineScripts) note(ctx context.Context) {
	_, ok := ctx.Deadline()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.deadlines = append(s.deadlines, ok)
}

func (s *deadlineScripts) seen() []bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]bool(nil), s.deadlines...)
}

func (s *deadlineScripts) HealthCheck(ctx context.Context, _ *v1.HealthCheckRequest) (*v1.HealthCheckResponse, error) {
	s.note(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.unavailable > 0 {
		s.unavailable--
		return nil, status.Error(codes.Unavailable, "not yet")
	}
	return &v1.HealthCheckResponse{}, nil
}

func (s *deadlineScripts) ExecuteScript(ctx context.Context, _ *v1.ExecuteScriptRequest) (*v1.ExecuteScriptResponse, error) {
	s.note(ctx)
	return &v1.ExecuteScriptResponse{}, nil
}

func serveDeadlineScripts(t *testing.T, s *deadlineScripts) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	v1.RegisterScriptServiceServer(srv, s)
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(srv.Stop)
	return ln.Addr().String()
}

// A zero WithDefaultTimeout or WithExecutionTimeout sets no deadline, as most gRPC clients read an
// unset timeout and as the TS and Python clients do: it used to fail every call at once
// (DEADLINE_EXCEEDED). The defaults do set one, which shows the server sees deadlines.
func TestZeroTimeoutSetsNoDeadline(t *testing.T) {
	for name, tc := range map[string]struct {
		opts []scriptengine.Option
		want bool
	}{
		"zero":     {[]scriptengine.Option{scriptengine.WithDefaultTimeout(0), scriptengine.WithExecutionTimeout(0)}, false},
		"defaults": {nil, true},
	} {
		t.Run(name, func(t *testing.T) {
			s := &deadlineScripts{}
			c, err := scriptengine.Dial(serveDeadlineScripts(t, s), tc.opts...)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			ctx := context.Background()
			if _, err := c.Scripts.HealthCheck(ctx, &v1.HealthCheckRequest{}); err != nil {
				t.Fatalf("HealthCheck: %v", err)
			}
			if _, err := c.Scripts.ExecuteScript(ctx, &v1.ExecuteScriptRequest{ScriptId: "s"}); err != nil {
				t.Fatalf("ExecuteScript: %v", err)
			}
			for i, got := range s.seen() {
				if got != tc.want {
					t.Errorf("call %d: deadline %v, want %v", i, got, tc.want)
				}
			}
		})
	}
}

// Without a deadline an idempotent call is still retried on UNAVAILABLE (the retry used to be given
// up when the context had no deadline, which every call had before a zero timeout meant none).
func TestZeroTimeoutStillRetries(t *testing.T) {
	s := &deadlineScripts{unavailable: 1}
	c, err := scriptengine.Dial(serveDeadlineScripts(t, s), scriptengine.WithDefaultTimeout(0),
		scriptengine.WithRetry(scriptengine.RetryPolicy{MaxAttempts: 2, InitialBackoff: time.Millisecond, MaxBackoff: time.Millisecond}))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Scripts.HealthCheck(context.Background(), &v1.HealthCheckRequest{}); err != nil {
		t.Fatalf("HealthCheck: %v", err)
	}
	if got := len(s.seen()); got != 2 {
		t.Errorf("%d attempts, want 2", got)
	}
}

// A context whose deadline has passed fails ErrTimeout at once and reaches no server, whatever the
// timeout options (as a per-call timeout of 0 does in the TS and Python clients).
func TestPassedDeadlineFailsAtOnce(t *testing.T) {
	s := &deadlineScripts{}
	c, err := scriptengine.Dial(serveDeadlineScripts(t, s), scriptengine.WithDefaultTimeout(0))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	if _, err := c.Scripts.HealthCheck(ctx, &v1.HealthCheckRequest{}); !errors.Is(err, scriptengine.ErrTimeout) {
		t.Fatalf("HealthCheck past its deadline: %v, want ErrTimeout", err)
	}
	if got := s.seen(); len(got) != 0 {
		t.Errorf("the server saw %d calls", len(got))
	}
}
