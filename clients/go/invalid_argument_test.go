package scriptengine_test

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	scriptengine "github.com/scriptengine/scriptengine/clients/go"
)

// An argument the client refuses to send is the SDK's INVALID_ARGUMENT error, as clients/README.md
// promises and the TypeScript and Python SDKs raise it: errors.Is ErrInvalidArgument, code
// InvalidArgument, the message `argument "v": …` and a field violation naming it; the encoding
// error stays reachable with errors.As.
func TestArgumentRefusalsAreInvalidArgumentErrors(t *testing.T) {
	// Nothing listens there: a call that was sent would fail UNAVAILABLE.
	c := dial(t, "127.0.0.1:1", scriptengine.WithRetry(scriptengine.RetryPolicy{MaxAttempts: 1}))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for name, v := range map[string]any{
		"NaN":       math.NaN(),
		"a channel": map[string]any{"c": make(chan int)},
		"a func":    func() {},
		"+Inf deep": []float64{math.Inf(1)},
	} {
		for call, run := range map[string]func() error{
			"Run": func() error {
				_, err := c.Run(ctx, "export default (a) => a", scriptengine.Args{"v": v}, nil)
				return err
			},
			"Execute": func() error { _, err := c.Execute(ctx, "s", scriptengine.Args{"v": v}, nil); return err },
		} {
			err := run()
			if !errors.Is(err, scriptengine.ErrInvalidArgument) {
				t.Errorf("%s, %s: %v, want errors.Is ErrInvalidArgument", name, call, err)
				continue
			}
			var se *scriptengine.Error
			if !errors.As(err, &se) || se.Code != codes.InvalidArgument || status.Code(err) != codes.InvalidArgument {
				t.Errorf("%s, %s: %#v, want an *Error with code InvalidArgument", name, call, err)
				continue
			}
			if !strings.HasPrefix(se.Message, `argument "v": `) {
				t.Errorf("%s, %s: message %q, want `argument \"v\": …`", name, call, se.Message)
			}
			if len(se.FieldViolations) != 1 || se.FieldViolations[0].Field != "context.arguments.v" {
				t.Errorf("%s, %s: field violations %+v, want context.arguments.v", name, call, se.FieldViolations)
			}
		}
	}
	_, err := c.Run(ctx, "export default (a) => a", scriptengine.Args{"v": []float64{math.NaN()}}, nil)
	var unsupported *json.UnsupportedValueError
	if !errors.As(err, &unsupported) {
		t.Errorf("%v: want the encoding/json error reachable with errors.As", err)
	}
}
