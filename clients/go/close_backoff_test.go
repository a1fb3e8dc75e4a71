package scriptengine_test

import (
	"context"
	"errors"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	scriptengine "github.com/scriptengine/scriptengine/clients/go"
	v1 "github.com/scriptengine/scriptengine/gen/go/scriptengine/v1"
)

// refusingServer ends every stream UNAVAILABLE with a RetryInfo of a minute, so a subscription or
// watch waits at least that long before its next attempt.
type refusingServer struct {
	v1.UnimplementedEventServiceServer
	v1.UnimplementedRegistryServiceServer
	streams atomic.Int32
}

func (s *refusingServer) refuse() error {
	s.streams.Add(1)
	st, err := status.New(codes.Unavailable, "stopping").WithDetails(&errdetails.RetryInfo{RetryDelay: durationpb.New(time.Minute)})
	if err != nil {
		panic(err)
	}
	return st.Err()
}

func (s *refusingServer) Subscribe(*v1.SubscribeRequest, grpc.ServerStreamingServer[v1.SubscribeResponse]) error {
	return s.refuse()
}

func (s *refusingServer) WatchServices(*v1.WatchServicesRequest, grpc.ServerStreamingServer[v1.WatchServicesResponse]) error {
	return s.refuse()
}

// failSignal is a stream interceptor that reports on failed when a stream's RecvMsg gives an error:
// the resume loop then goes straight into its backoff.
func failSignal(failed chan<- struct{}) grpc.DialOption {
	return grpc.WithChainStreamInterceptor(func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
		s, err := streamer(ctx, desc, cc, method, opts...)
		if err != nil {
			return nil, err
		}
		return signallingStream{s, failed}, nil
	})
}

type signallingStream struct {
	grpc.ClientStream
	failed chan<- struct{}
}

func (s signallingStream) RecvMsg(m any) error {
	err := s.ClientStream.RecvMsg(m)
	if err != nil {
		select {
		case s.failed <- struct{}{}:
		default:
		}
	}
	return err
}

// Close while a Subscribe or Watch waits out a reconnect backoff ends the iteration at once, quietly
// and without another attempt, instead of after the backoff (here the server's minute).
func TestCloseEndsAReconnectBackoff(t *testing.T) {
	for name, iterate := range map[string]func(context.Context, *scriptengine.Client) (func() (error, bool), func()){
		"Subscribe": func(ctx context.Context, c *scriptengine.Client) (func() (error, bool), func()) {
			next, stop := iterPull(c.Subscribe(ctx, scriptengine.SubscribeOptions{}))
			return func() (error, bool) { _, err, ok := next(); return err, ok }, stop
		},
		"Watch": func(ctx context.Context, c *scriptengine.Client) (func() (error, bool), func()) {
			next, stop := iterPull(c.Watch(ctx, scriptengine.WatchOptions{}))
			return func() (error, bool) { _, err, ok := next(); return err, ok }, stop
		},
	} {
		t.Run(name, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			srv := grpc.NewServer()
			fake := &refusingServer{}
			v1.RegisterEventServiceServer(srv, fake)
			v1.RegisterRegistryServiceServer(srv, fake)
			go func() { _ = srv.Serve(ln) }()
			t.Cleanup(srv.Stop)

			failed := make(chan struct{}, 1)
			c := dial(t, ln.Addr().String(), scriptengine.WithDialOptions(failSignal(failed)))
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			next, stop := iterate(ctx, c)
			var (
				iterErr error
				more    bool
				ended   = make(chan struct{})
			)
			go func() { iterErr, more = next(); close(ended) }()
			// Cancelling ctx ends the wait whatever Close did, so a failing run does not sit out the minute.
			defer func() { cancel(); <-ended; stop() }()

			select {
			case <-failed:
			case <-time.After(30 * time.Second):
				t.Fatal("the first stream never failed")
			}
			time.Sleep(100 * time.Millisecond) // past the error's handling, into the minute's backoff
			_ = c.Close()
			select {
			case <-ended:
			case <-time.After(20 * time.Second):
				t.Fatal("Close did not end the iteration: it is waiting out the backoff")
			}
			if iterErr != nil || more {
				t.Fatalf("after Close: err=%v more=%v, want the iteration to end without an error", iterErr, more)
			}
			if n := fake.streams.Load(); n != 1 {
				t.Fatalf("%d streams, want 1 (no attempt after Close)", n)
			}
		})
	}
}

// Close while a unary call waits out a retry backoff fails the call with ErrCancelled at once, as
// it ends a Subscribe or Watch backoff, instead of after the backoff (here at least half a minute).
func TestCloseEndsARetryBackoff(t *testing.T) {
	retrying := make(chan struct{}, 1)
	// Nothing listens there: every attempt fails UNAVAILABLE.
	c := dial(t, "127.0.0.1:1",
		scriptengine.WithRetry(scriptengine.RetryPolicy{MaxAttempts: 5, InitialBackoff: time.Minute, MaxBackoff: time.Minute}),
		scriptengine.WithRetryHook(func(scriptengine.RetryEvent) {
			select {
			case retrying <- struct{}{}:
			default:
			}
		}))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	done := make(chan error, 1)
	go func() { _, err := c.Health(ctx); done <- err }()
	select {
	case <-retrying:
	case <-time.After(30 * time.Second):
		t.Fatal("the call was never retried")
	}
	_ = c.Close()
	select {
	case err := <-done:
		if !errors.Is(err, scriptengine.ErrCancelled) {
			t.Fatalf("after Close: %v, want ErrCancelled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not end the call: it is waiting out the backoff")
	}
}
