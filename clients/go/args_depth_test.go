package scriptengine_test

import (
	"context"
	"errors"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	scriptengine "github.com/scriptengine/scriptengine/clients/go"
)

type chain struct{ Next *chain }

// A map or slice that contains itself, or maps and slices nested past 32 levels (the server's bound), fail before
// anything is sent with the INVALID_ARGUMENT *Error naming the argument, where converting them
// used to recurse until the program died of a stack overflow. A value shared by two branches is
// no cycle.
func TestSelfContainingAndTooDeepArgumentsFailBeforeTheCall(t *testing.T) {
	// A small stack, so that a conversion that recurses without end dies quickly.
	defer debug.SetMaxStack(debug.SetMaxStack(64 << 20))
	// Nothing listens there: a call that was sent fails UNAVAILABLE.
	c := dial(t, "127.0.0.1:1", scriptengine.WithRetry(scriptengine.RetryPolicy{MaxAttempts: 1}))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	selfMap := map[string]any{"a": 1}
	selfMap["self"] = selfMap
	selfSlice := make([]any, 2)
	selfSlice[1] = selfSlice
	viaOther := map[string]any{}
	viaOther["list"] = []any{1, map[string]any{"back": viaOther}}
	subSlice := make([]any, 2)
	subSlice[0] = subSlice[:1]
	nest := func(levels int, wrap func(any) any) any {
		var v any = "leaf"
		for range levels {
			v = wrap(v)
		}
		return v
	}
	inList := func(v any) any { return []any{v} }
	inMap := func(v any) any { return map[string]any{"k": v} }
	var deepStruct *chain
	for range 150 {
		deepStruct = &chain{Next: deepStruct}
	}
	for name, tc := range map[string]struct {
		v   any
		why string
	}{
		"a map in itself":         {selfMap, "it contains itself"},
		"a slice in itself":       {selfSlice, "it contains itself"},
		"a cycle through a slice": {viaOther, "it contains itself"},
		"a sub-slice in itself":   {subSlice, "it contains itself"},
		"33 slices":               {nest(33, inList), "it nests deeper than 32 levels"},
		"33 maps":                 {nest(33, inMap), "it nests deeper than 32 levels"},
		"100000 slices":           {nest(100000, inList), "it nests deeper than 32 levels"},
		"a struct 150 deep":       {deepStruct, "it nests deeper than 32 levels"},
		"deep inside a struct":    {[]any{nest(16, func(v any) any { return []map[string]any{{"k": v}} })}, "it nests deeper than 32 levels"},
	} {
		for call, run := range map[string]func() error{
			"Run": func() error {
				_, err := c.Run(ctx, "export default (a) => a", scriptengine.Args{"ok": 1, "v": tc.v}, nil)
				return err
			},
			"Execute": func() error { _, err := c.Execute(ctx, "s", scriptengine.Args{"v": tc.v}, nil); return err },
		} {
			err := run()
			var se *scriptengine.Error
			if !errors.Is(err, scriptengine.ErrInvalidArgument) || !errors.As(err, &se) ||
				!strings.HasPrefix(se.Message, `argument "v": `+tc.why) ||
				len(se.FieldViolations) != 1 || se.FieldViolations[0].Field != "context.arguments.v" {
				t.Errorf("%s, %s: %v, want INVALID_ARGUMENT `argument \"v\": %s` before anything is sent", name, call, err, tc.why)
			}
		}
	}

	shared := map[string]any{"x": []any{1}}
	for name, v := range map[string]any{
		"a map in two branches": map[string]any{"a": shared, "b": []any{shared, shared}},
		"32 slices":             nest(32, inList),
		"32 maps":               nest(32, inMap),
	} {
		// Past the client, the call fails for want of a server.
		if _, err := c.Run(ctx, "export default (a) => a", scriptengine.Args{"v": v}, nil); !errors.Is(err, scriptengine.ErrUnavailable) {
			t.Errorf("%s: %v, want it sent (UNAVAILABLE here)", name, err)
		}
	}
}
