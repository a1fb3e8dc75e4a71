package scriptengine_test

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	scriptengine "github.com/scriptengine/scriptengine/clients/go"
)

// rawNumber marshals as the JSON number it holds, as written.
type rawNumber string

func (n rawNumber) MarshalJSON() ([]byte, error) { return []byte(n), nil }

// google.protobuf.Value holds every number as a double: an integer beyond ±(2^53 - 1) reached the
// script as another number, silently (1234567890123456789 as 1234567890123456800). It fails before
// anything is sent, naming the argument and advising a string, as the server's CLI does for --args,
// on both conversion paths: a value structpb takes (int64, uint64, json.Number) and one that goes
// through encoding/json (a struct, a []uint64, a MarshalJSON).
func TestInexactIntegersFailBeforeTheCall(t *testing.T) {
	// Nothing listens there: a call that was sent would fail UNAVAILABLE.
	c := dial(t, "127.0.0.1:1", scriptengine.WithRetry(scriptengine.RetryPolicy{MaxAttempts: 1}))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	type order struct {
		ID int64 `json:"id"`
	}
	for name, tc := range map[string]struct {
		v       any
		written string
	}{
		"int64":                 {int64(1234567890123456789), "1234567890123456789"},
		"int":                   {int(-9007199254740992), "-9007199254740992"},
		"uint64 max":            {uint64(math.MaxUint64), "18446744073709551615"},
		"uint":                  {uint(1 << 53), "9007199254740992"},
		"json.Number":           {json.Number("9007199254740993"), "9007199254740993"},
		"json.Number past 2^64": {json.Number("123456789012345678901234567890"), "123456789012345678901234567890"},
		"json.Number exponent":  {json.Number("1.2345678901234567891e19"), "1.2345678901234567891e19"},
		"in a map":              {map[string]any{"a": []any{int64(1) << 60}}, "1152921504606846976"},
		"struct field":          {order{ID: 9007199254740993}, "9007199254740993"},
		"struct field 2^60":     {order{ID: 1 << 60}, "1152921504606846976"},
		"[]uint64":              {[]uint64{math.MaxUint64}, "18446744073709551615"},
		"MarshalJSON":           {rawNumber("9007199254740993"), "9007199254740993"},
		"MarshalJSON negative":  {[]rawNumber{"-12345678901234567891"}, "-12345678901234567891"},
	} {
		_, err := c.Run(ctx, "export default (a) => a", scriptengine.Args{"ok": 1, "v": tc.v}, nil)
		want := `scriptengine: InvalidArgument: argument "v": ` + tc.written + ` is beyond ±(2^53 - 1), where a JSON number does not hold integers exactly; pass it as a string`
		if err == nil || err.Error() != want {
			t.Errorf("%s: %v\nwant %s", name, err, want)
			continue
		}
		var se *scriptengine.Error
		if !errors.As(err, &se) || !errors.Is(err, scriptengine.ErrInvalidArgument) || len(se.FieldViolations) != 1 || se.FieldViolations[0].Field != "context.arguments.v" {
			t.Errorf("%s: %#v, want INVALID_ARGUMENT with the field violation context.arguments.v", name, se)
		}
	}
}

// What a double holds exactly still goes: integers within ±(2^53 - 1), a json.Number like 1e20 whose
// digits the double keeps, and a float64 however large, in a struct too (encoding/json writes a
// float64 of 1e20 as 100000000000000000000, which reads back as the same double).
func TestExactNumbersAreSent(t *testing.T) {
	srv := startServer(t, "")
	c := dial(t, srv.GRPC)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	type reading struct {
		Big   float64 `json:"big"`
		Small int64   `json:"small"`
		ID    int64   `json:"id,string"`
	}
	got, err := c.Run(ctx, "export default (a) => a", scriptengine.Args{
		"max":    int64(9007199254740991),
		"min":    -9007199254740991,
		"umax":   uint64(9007199254740991),
		"number": json.Number("1e20"),
		"float":  1e20,
		"struct": reading{Big: 1.5e17, Small: -9007199254740991, ID: 1234567890123456789},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"max":    float64(9007199254740991),
		"min":    float64(-9007199254740991),
		"umax":   float64(9007199254740991),
		"number": 1e20,
		"float":  1e20,
		"struct": map[string]any{"big": 1.5e17, "small": float64(-9007199254740991), "id": "1234567890123456789"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("the script got %#v\nwant %#v", got, want)
	}
	_, err = c.Run(ctx, "export default (a) => a", scriptengine.Args{"id": int64(1) << 62}, nil)
	if err == nil || !strings.Contains(err.Error(), "pass it as a string") {
		t.Fatalf("int64 1<<62: %v", err)
	}
}
