package scriptengine

import (
	"encoding/json"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"
)

// What Args sends is what encoding/json writes, on the fast paths for map[string]any and []any too:
// a nil map or slice is null (it used to be {} or []), and a key that is not valid UTF-8 has each
// invalid byte replaced by U+FFFD, as in a string value (it used to fail as INTERNAL at marshaling,
// naming no argument).
func TestArgsAreWhatEncodingJSONWrites(t *testing.T) {
	for _, tc := range []struct {
		name string
		args Args
	}{
		{"a nil map[string]any", Args{"v": map[string]any(nil)}},
		{"a nil []any", Args{"v": []any(nil)}},
		{"nil ones nested", Args{"v": map[string]any{"m": map[string]any(nil), "l": []any{[]any(nil), map[string]any(nil)}}}},
		{"a nil map[string]int", Args{"v": map[string]int(nil)}},
		{"an argument name", Args{"k\xff\xfe": 1, "ok": 2}},
		{"a map[string]any key", Args{"v": map[string]any{"a\xffb": "x\xff", "list": []any{map[string]any{"\xc3": 1}}}}},
		{"a map[string]int key", Args{"v": map[string]int{"a\xffb": 1}}},
		{"a valid U+FFFD", Args{"v": map[string]any{"\uFFFD": "\uFFFD"}}},
	} {
		got, err := tc.args.values()
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		raw, err := json.Marshal(tc.args)
		if err != nil {
			t.Fatal(err)
		}
		want := &structpb.Struct{}
		if err := protojson.Unmarshal(raw, want); err != nil {
			t.Fatal(err)
		}
		if !proto.Equal(&structpb.Struct{Fields: got}, want) {
			t.Errorf("%s: sent %v, encoding/json writes %s", tc.name, got, raw)
		}
		if _, err := proto.Marshal(&structpb.Struct{Fields: got}); err != nil {
			t.Errorf("%s: cannot be sent: %v", tc.name, err)
		}
	}
}

// Two keys that become the same once their invalid bytes are replaced would be one key twice in
// the JSON: refused before anything is sent, naming the argument, as for a map[string]int (whose
// JSON the Struct cannot hold either).
func TestArgsRefuseKeysThatBecomeTheSame(t *testing.T) {
	for _, tc := range []struct {
		name, argument string
		args           Args
	}{
		{"argument names", "k\uFFFD", Args{"k\xff": 1, "k\uFFFD": 2}},
		{"map[string]any keys", "v", Args{"v": map[string]any{"k\xff": 1, "k\xfe": 2}}},
		{"map[string]int keys", "v", Args{"v": map[string]int{"k\xff": 1, "k\uFFFD": 2}}},
	} {
		_, err := tc.args.values()
		if err == nil || !strings.HasPrefix(err.Error(), "scriptengine: InvalidArgument: argument \""+tc.argument+"\": ") {
			t.Errorf("%s: %v, want an INVALID_ARGUMENT error naming argument %q", tc.name, err, tc.argument)
		}
	}
}
