package scriptengine_test

import (
	"context"
	"testing"
	"time"

	v1 "github.com/scriptengine/scriptengine/gen/go/scriptengine/v1"
)

// The server allows 256 concurrent streams per HTTP/2 connection, and grpc-go queues a call past that
// without an error. The client carried every call on one connection, so 256 open subscriptions made
// each other call wait out its deadline. Calls now spread over connections of at most
// CallsPerConnection each.
func TestManyOpenStreamsLeaveRoomForOtherCalls(t *testing.T) {
	const streams = 260
	s := startServer(t, "")
	c := dial(t, s.GRPC)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	started := make(chan error, streams)
	for range streams {
		go func() {
			stream, err := c.Events.Subscribe(ctx, &v1.SubscribeRequest{})
			if err == nil {
				_, err = stream.Recv()
			}
			started <- err
			if err == nil {
				_, _ = stream.Recv() // until cancelled
			}
		}()
	}
	timeout := time.After(20 * time.Second)
	for n := range streams {
		select {
		case err := <-started:
			if err != nil {
				t.Fatalf("subscription %d: %v", n, err)
			}
		case <-timeout:
			t.Fatalf("%d of %d subscriptions started", n, streams)
		}
	}
	// A call queued behind the streams would wait out this deadline: they never end by themselves.
	callCtx, callCancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer callCancel()
	if _, err := c.Scripts.GetConfig(callCtx, &v1.GetConfigRequest{}); err != nil {
		t.Fatal(err)
	}
	if v, err := c.Run(callCtx, "export default () => 7", nil, nil); err != nil || v != float64(7) {
		t.Fatalf("run: %v, %v", v, err)
	}
}
