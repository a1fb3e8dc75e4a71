package scriptengine_test

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	scriptengine "github.com/scriptengine/scriptengine/clients/go"
	v1 "github.com/scriptengine/scriptengine/gen/go/scriptengine/v1"
)

// earlyDeadlineServer ends every Subscribe and WatchServices DEADLINE_EXCEEDED a few milliseconds
// before the deadline the client sent, as the real server's grpc-js timer does under load (it times
// the deadline from a cached loop time); or, with early set long, well before it.
type earlyDeadlineServer struct {
	v1.UnimplementedEventServiceServer
	v1.UnimplementedRegistryServiceServer
	early time.Duration
}

func (s *earlyDeadlineServer) end(ctx context.Context) error {
	deadline, _ := ctx.Deadline()
	time.Sleep(time.Until(deadline) - s.early)
	return status.Error(codes.DeadlineExceeded, "the call's deadline passed")
}

func (s *earlyDeadlineServer) Subscribe(_ *v1.SubscribeRequest, stream grpc.ServerStreamingServer[v1.SubscribeResponse]) error {
	return s.end(stream.Context())
}

func (s *earlyDeadlineServer) WatchServices(_ *v1.WatchServicesRequest, stream grpc.ServerStreamingServer[v1.WatchServicesResponse]) error {
	return s.end(stream.Context())
}

// A Subscribe or Watch bounded by ctx's deadline ends without an error at that deadline, as a
// cancelled ctx does, also when the server's DEADLINE_EXCEEDED arrives before ctx saw its deadline
// pass: that race once ended a watch with ErrTimeout. A DEADLINE_EXCEEDED well before ctx's deadline
// is no such race: it is still the iteration's error. In a synctest bubble, the server's "a few ms
// early" is exact.
func TestStreamEndsQuietlyAtTheCallersDeadline(t *testing.T) {
	for _, tc := range []struct {
		name    string
		early   time.Duration
		wantErr bool
	}{
		{"5ms early", 5 * time.Millisecond, false},
		{"10s early", 10 * time.Second, true},
	} {
		for _, kind := range []string{"Subscribe", "Watch"} {
			t.Run(kind+"/"+tc.name, func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					n := newFakeNet()
					n.setUp()
					server := &earlyDeadlineServer{early: tc.early}
					srv := grpc.NewServer()
					v1.RegisterEventServiceServer(srv, server)
					v1.RegisterRegistryServiceServer(srv, server)
					n.serve(t, srv)
					c := dialFake(t, n)
					ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
					defer cancel()
					var errs []error
					if kind == "Subscribe" {
						for _, err := range c.Subscribe(ctx, scriptengine.SubscribeOptions{}) {
							errs = append(errs, err)
						}
					} else {
						for _, err := range c.Watch(ctx, scriptengine.WatchOptions{}) {
							errs = append(errs, err)
						}
					}
					if tc.wantErr {
						if len(errs) != 1 || status.Code(errs[0]) != codes.DeadlineExceeded {
							t.Fatalf("ended with %v, want the server's DEADLINE_EXCEEDED", errs)
						}
						return
					}
					if len(errs) != 0 {
						t.Fatalf("ended with %v, want no error at ctx's deadline", errs)
					}
					if ctx.Err() == nil {
						t.Fatal("ended before ctx's deadline")
					}
				})
			})
		}
	}
}
