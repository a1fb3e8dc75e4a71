package scriptengine_test

import (
	"context"
	"encoding/json"
	"math"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	scriptengine "github.com/scriptengine/scriptengine/clients/go"
)

// Arguments travel as encoding/json writes them, the rule the three SDKs share: a time as an ISO
// 8601 string, bytes as base64, a float32 as its shortest decimal (not widened to 0.10000000149011612),
// map keys as strings, a nil map or slice as null, invalid UTF-8 in keys and strings as U+FFFD; a
// value encoding/json cannot write fails before anything is sent, naming the argument.
func TestArgumentsAreSentAsEncodingJSONWritesThem(t *testing.T) {
	srv := startServer(t, "")
	c := dial(t, srv.GRPC)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	got, err := c.Run(ctx, "export default (a) => a", scriptengine.Args{
		"f32":     float32(0.1),
		"nested":  map[string]any{"list": []any{float32(1.1), 2}},
		"f32s":    []float32{0.1},
		"time":    time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC),
		"bytes":   []byte("hi"),
		"intkey":  map[int]string{1: "a"},
		"nilmap":  map[string]any(nil),
		"nils":    []any{[]any(nil), map[string]int(nil)},
		"bad\xff": map[string]any{"k\xff": "v\xff"},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"f32":       0.1,
		"nested":    map[string]any{"list": []any{1.1, float64(2)}},
		"f32s":      []any{0.1},
		"time":      "2024-01-02T03:04:05Z",
		"bytes":     "aGk=",
		"intkey":    map[string]any{"1": "a"},
		"nilmap":    nil,
		"nils":      []any{nil, nil},
		"bad\uFFFD": map[string]any{"k\uFFFD": "v\uFFFD"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("the script got %#v\nwant %#v", got, want)
	}

	_, err = c.Run(ctx, "export default (a) => a", scriptengine.Args{"v": map[string]any{"c": make(chan int)}}, nil)
	if err == nil || !strings.Contains(err.Error(), `argument "v"`) {
		t.Fatalf("a channel argument: %v, want an error naming argument \"v\"", err)
	}
}

// NaN and ±Inf have no JSON form (the server refuses them): they fail before anything is sent,
// wherever they sit in an argument, as a channel does, naming the argument.
func TestNonFiniteArgumentsFailBeforeTheCall(t *testing.T) {
	// Nothing listens there: a call that was sent would fail UNAVAILABLE.
	c := dial(t, "127.0.0.1:1", scriptengine.WithRetry(scriptengine.RetryPolicy{MaxAttempts: 1}))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	type point struct{ X float64 }
	for name, tc := range map[string]struct {
		v   any
		why string
	}{
		"NaN":              {math.NaN(), "is NaN"},
		"+Inf":             {math.Inf(1), `is \+Inf`},
		"-Inf":             {math.Inf(-1), "is -Inf"},
		"float32 +Inf":     {float32(math.Inf(1)), `is \+Inf`},
		"float32 NaN":      {float32(math.NaN()), "is NaN"},
		"json.Number NaN":  {json.Number("NaN"), "is NaN"},
		"json.Number -Inf": {json.Number("-Inf"), "is -Inf"},
		"in a map":         {map[string]any{"a": []any{1, math.NaN()}}, "is NaN"},
		"in a list":        {[]any{map[string]any{"b": float32(math.Inf(-1))}}, "is -Inf"},
		"in a struct":      {point{X: math.Inf(1)}, "unsupported value"},
		"in a []float64":   {[]float64{math.NaN()}, "unsupported value"},
	} {
		_, err := c.Run(ctx, "export default (a) => a", scriptengine.Args{"ok": 1.5, "v": tc.v}, nil)
		if err == nil || !regexp.MustCompile(`^scriptengine: InvalidArgument: argument "v": .*`+tc.why).MatchString(err.Error()) {
			t.Errorf("%s: %v, want `argument \"v\": … %s` before anything is sent", name, err, tc.why)
		}
		_, err = c.Execute(ctx, "some-script", scriptengine.Args{"v": tc.v}, nil)
		if err == nil || !strings.Contains(err.Error(), `argument "v"`) {
			t.Errorf("%s, Execute: %v, want an error naming argument \"v\"", name, err)
		}
	}
}
