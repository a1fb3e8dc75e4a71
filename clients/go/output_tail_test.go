package scriptengine_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"

	scriptengine "github.com/scriptengine/scriptengine/clients/go"
	v1 "github.com/scriptengine/scriptengine/gen/go/scriptengine/v1"
)

// A run stopped by its time limit returns no result: Error.Output has the end of what it printed.
func TestTimeoutCarriesOutputTail(t *testing.T) {
	srv := startServer(t, "")
	c := dial(t, srv.GRPC)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, err := c.Scripts.RunScript(ctx, &v1.RunScriptRequest{
		Source:  `console.log("step 1"); console.error("slow"); while (true) {}`,
		Context: &v1.ExecutionContext{Timeout: durationpb.New(500 * time.Millisecond)},
	})
	var se *scriptengine.Error
	if !errors.Is(err, scriptengine.ErrTimeout) || !errors.As(err, &se) || se.Output == nil {
		t.Fatalf("RunScript: %#v", err)
	}
	if o := se.Output; o.GetStdoutTail() != "step 1\n" || o.GetStderrTail() != "slow\n" || o.GetStdoutBytes() != 7 || o.GetStdoutCut() {
		t.Fatalf("Output: %v", o)
	}
}
