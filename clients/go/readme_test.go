package scriptengine_test

import (
	"context"
	"errors"
	"testing"
	"time"

	scriptengine "github.com/scriptengine/scriptengine/clients/go"
)

// TestReadmeExample runs the README's example against a real server.
func TestReadmeExample(t *testing.T) {
	srv := startServer(t, "")
	c, err := scriptengine.Dial(srv.GRPC)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	sum, err := c.Run(ctx, "export default (args) => args.a + args.b", scriptengine.Args{"a": 2, "b": 3}, nil)
	var se *scriptengine.Error
	if errors.As(err, &se) && errors.Is(err, scriptengine.ErrResourceExhausted) {
		time.Sleep(se.RetryDelay)
	}
	if err != nil || sum != float64(5) {
		t.Fatalf("sum=%v err=%v", sum, err)
	}
}
