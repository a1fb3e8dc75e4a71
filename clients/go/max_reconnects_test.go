package scriptengine_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"testing/synctest"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	scriptengine "github.com/scriptengine/scriptengine/clients/go"
	v1 "github.com/scriptengine/scriptengine/gen/go/scriptengine/v1"
)

// droppingServer ends every Subscribe and WatchServices UNAVAILABLE at once, counting them.
type droppingServer struct {
	v1.UnimplementedEventServiceServer
	v1.UnimplementedRegistryServiceServer
	streams atomic.Int32
}

func (s *droppingServer) Subscribe(*v1.SubscribeRequest, grpc.ServerStreamingServer[v1.SubscribeResponse]) error {
	s.streams.Add(1)
	return status.Error(codes.Unavailable, "going away")
}

func (s *droppingServer) WatchServices(*v1.WatchServicesRequest, grpc.ServerStreamingServer[v1.WatchServicesResponse]) error {
	s.streams.Add(1)
	return status.Error(codes.Unavailable, "going away")
}

// MaxReconnects: 0 (the zero value) is the default, 10 reconnects; a negative value is none, as 0 or
// less is in the TS and Python SDKs (a spelling all three read alike), and so is NoResume. Giving up
// ends the iteration with a *ReconnectError wrapping the last stream's error. Run in a
// synctest bubble, the backoffs between streams take no real time.
func TestMaxReconnects(t *testing.T) {
	for _, tc := range []struct {
		name     string
		max      int
		noResume bool
		streams  int32
	}{
		{"zero is the default", 0, false, 11},
		{"negative is none", -1, false, 1},
		{"two", 2, false, 3},
		{"NoResume", 0, true, 1},
	} {
		for _, kind := range []string{"Subscribe", "Watch"} {
			t.Run(fmt.Sprintf("%s/%s", kind, tc.name), func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					n := newFakeNet()
					n.setUp()
					server := &droppingServer{}
					srv := grpc.NewServer()
					v1.RegisterEventServiceServer(srv, server)
					v1.RegisterRegistryServiceServer(srv, server)
					n.serve(t, srv)
					c := dialFake(t, n)
					sub := scriptengine.SubscribeOptions{MaxReconnects: tc.max, NoResume: tc.noResume}
					watch := scriptengine.WatchOptions{MaxReconnects: tc.max, NoResume: tc.noResume}
					var last error
					if kind == "Subscribe" {
						for _, err := range c.Subscribe(context.Background(), sub) {
							last = err
						}
					} else {
						for _, err := range c.Watch(context.Background(), watch) {
							last = err
						}
					}
					if !errors.Is(last, scriptengine.ErrUnavailable) {
						t.Fatalf("ended with %v, want UNAVAILABLE", last)
					}
					if got := server.streams.Load(); got != tc.streams {
						t.Fatalf("%d streams, want %d", got, tc.streams)
					}
					// Giving up says so, with how many reconnects failed; ending at once (none
					// allowed) is the stream's own error.
					var re *scriptengine.ReconnectError
					var se *scriptengine.Error
					if gaveUp := errors.As(last, &re); gaveUp != (tc.streams > 1) || (gaveUp && re.Reconnects != int(tc.streams-1)) {
						t.Fatalf("ended with %#v, want a *ReconnectError after %d reconnects: %v", last, tc.streams-1, tc.streams > 1)
					}
					if !errors.As(last, &se) || se.Message != "going away" {
						t.Fatalf("ended with %v, want the last stream's *Error", last)
					}
				})
			})
		}
	}
}
