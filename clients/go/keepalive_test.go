package scriptengine_test

import (
	"context"
	"errors"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc/keepalive"

	scriptengine "github.com/scriptengine/scriptengine/clients/go"
	v1 "github.com/scriptengine/scriptengine/gen/go/scriptengine/v1"
)

// A server that stops answering without closing its connection (SIGSTOP, a host gone without a
// reset) looks fine to TCP: with no HTTP/2 pings a stream on it waited forever. The client now pings,
// so the stream fails Unavailable (without them it would end at its deadline, DeadlineExceeded).
func TestFrozenServerFailsStreamWithinKeepalive(t *testing.T) {
	s := startServer(t, "")
	t.Cleanup(func() { _ = s.Proc.Signal(syscall.SIGCONT) })
	// grpc-go pings no more often than every 10 s.
	ka := keepalive.ClientParameters{Time: 10 * time.Second, Timeout: time.Second}
	c := dial(t, s.GRPC, scriptengine.WithKeepalive(ka))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	stream, err := c.Events.Subscribe(ctx, &v1.SubscribeRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Recv(); err != nil {
		t.Fatal(err)
	}
	if err := s.Proc.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	_, err = stream.Recv()
	if !errors.Is(err, scriptengine.ErrUnavailable) {
		t.Fatalf("got %v, want Unavailable", err)
	}
}
