package scriptengine_test

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	scriptengine "github.com/scriptengine/scriptengine/clients/go"
)

// Arguments travel as encoding/json writes them, the rule the three SDKs share: a time as an ISO
// 8601 string, bytes as base64, a float32 as its shortest decimal (not widened to 0.10000000149011612),
// map keys as strings; a value encoding/json cannot write fails before anything is sent, naming
// the argument.
func TestArgumentsAreSentAsEncodingJSONWritesThem(t *testing.T) {
	srv := startServer(t, "")
	c := dial(t, srv.GRPC)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	got, err := c.Run(ctx, "export default (a) => a", scriptengine.Args{
		"f32":    float32(0.1),
		"nested": map[string]any{"list": []any{float32(1.1), 2}},
		"f32s":   []float32{0.1},
		"time":   time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC),
		"bytes":  []byte("hi"),
		"intkey": map[int]string{1: "a"},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"f32":    0.1,
		"nested": map[string]any{"list": []any{1.1, float64(2)}},
		"f32s":   []any{0.1},
		"time":   "2024-01-02T03:04:05Z",
		"bytes":  "aGk=",
		"intkey": map[string]any{"1": "a"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("the script got %#v\nwant %#v", got, want)
	}

	_, err = c.Run(ctx, "export default (a) => a", scriptengine.Args{"v": map[string]any{"c": make(chan int)}}, nil)
	if err == nil || !strings.Contains(err.Error(), `argument "v"`) {
		t.Fatalf("a channel argument: %v, want an error naming argument \"v\"", err)
	}
}
