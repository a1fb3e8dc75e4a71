package scriptengine_test

// Runs every scenario of test/scenarios/*.json through the Go SDK against a fresh real server
// per scenario. See test/scenarios/README.md for the format.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	scriptengine "github.com/scriptengine/scriptengine/clients/go"
	v1 "github.com/scriptengine/scriptengine/gen/go/scriptengine/v1"
)

type step struct {
	Call    string          `json:"call"`
	Request json.RawMessage `json:"request"`
	Run     *struct {
		Source string         `json:"source"`
		Args   map[string]any `json:"args"`
	} `json:"run"`
	Migrate *struct {
		ToolName string          `json:"tool_name"`
		Config   json.RawMessage `json:"config"`
	} `json:"migrate"`
	Rollback *struct {
		ToolName string          `json:"tool_name"`
		Config   json.RawMessage `json:"config"`
	} `json:"rollback"`
	Subscribe *struct {
		EventTypes    []string `json:"event_types"`
		AfterSequence *string  `json:"after_sequence"`
	} `json:"subscribe"`
	As         string `json:"as"`
	NextEvents string `json:"next_events"`
	Count      int    `json:"count"`
	Token      string `json:"token"`
	Expect     struct {
		Response    any            `json:"response"`
		Error       map[string]any `json:"error"`
		ScriptError *struct {
			Kind string `json:"kind"`
		} `json:"script_error"`
	} `json:"expect"`
}

type scenario struct {
	Name   string `json:"name"`
	Server *struct {
		TOML string `json:"toml"`
	} `json:"server"`
	Steps []step `json:"steps"`
}

var kinds = map[string]error{
	"Timeout": scriptengine.ErrTimeout, "ResourceExhausted": scriptengine.ErrResourceExhausted, "NotFound": scriptengine.ErrNotFound,
	"PermissionDenied": scriptengine.ErrPermissionDenied, "Unauthenticated": scriptengine.ErrUnauthenticated,
	"Unavailable": scriptengine.ErrUnavailable, "InvalidArgument": scriptengine.ErrInvalidArgument,
	"FailedPrecondition": scriptengine.ErrFailedPrecondition, "AlreadyExists": scriptengine.ErrAlreadyExists,
	"Aborted": scriptengine.ErrAborted, "Unimplemented": scriptengine.ErrUnimplemented, "Cancelled": scriptengine.ErrCancelled,
	"Internal": scriptengine.ErrInternal,
}

// codeNames: grpc-go's codes.Code.String() is CamelCase; scenarios use the canonical names.
var codeNames = map[string]string{
	"OK": "OK", "Canceled": "CANCELLED", "Unknown": "UNKNOWN", "InvalidArgument": "INVALID_ARGUMENT", "DeadlineExceeded": "DEADLINE_EXCEEDED",
	"NotFound": "NOT_FOUND", "AlreadyExists": "ALREADY_EXISTS", "PermissionDenied": "PERMISSION_DENIED", "ResourceExhausted": "RESOURCE_EXHAUSTED",
	"FailedPrecondition": "FAILED_PRECONDITION", "Aborted": "ABORTED", "OutOfRange": "OUT_OF_RANGE", "Unimplemented": "UNIMPLEMENTED",
	"Internal": "INTERNAL", "Unavailable": "UNAVAILABLE", "DataLoss": "DATA_LOSS", "Unauthenticated": "UNAUTHENTICATED",
}

func loadScenarios(t *testing.T) []scenario {
	files, err := filepath.Glob(filepath.Join(repoRoot(t), "test/scenarios/*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no scenarios: %v", err)
	}
	sort.Strings(files)
	var out []scenario
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var s scenario
		if err := json.Unmarshal(data, &s); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out = append(out, s)
	}
	return out
}

func TestScenarios(t *testing.T) {
	for _, sc := range loadScenarios(t) {
		t.Run(sc.Name, func(t *testing.T) {
			t.Parallel()
			toml := ""
			if sc.Server != nil {
				toml = sc.Server.TOML
			}
			srv := startServer(t, toml)
			runScenario(t, sc, srv)
		})
	}
}

// jsonOf marshals a message as protobuf JSON and decodes it to plain Go values.
func jsonOf(t *testing.T, m proto.Message) any {
	data, err := protojson.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func runScenario(t *testing.T, sc scenario, srv testServer) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	clients := map[string]*scriptengine.Client{}
	clientFor := func(token string) *scriptengine.Client {
		if c, ok := clients[token]; ok {
			return c
		}
		opts := []scriptengine.Option{scriptengine.WithRetry(scriptengine.RetryPolicy{MaxAttempts: 1})}
		if token != "" {
			opts = append(opts, scriptengine.WithToken(token))
		}
		c, err := scriptengine.Dial(srv.GRPC, opts...)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Close() })
		clients[token] = c
		return c
	}
	type subscription struct {
		next func() (*v1.ServiceEvent, error, bool)
		stop func()
	}
	subs := map[string]subscription{}
	defer func() {
		for _, s := range subs {
			s.stop()
		}
	}()

	for i, st := range sc.Steps {
		label := fmt.Sprintf("step %d (%s)", i+1, stepKind(st))
		c := clientFor(st.Token)
		var got any
		var err error
		switch {
		case st.Call != "":
			got, err = callByName(t, ctx, c, st.Call, st.Request)
		case st.Run != nil:
			var v any
			v, err = c.Run(ctx, st.Run.Source, st.Run.Args, nil)
			got = map[string]any{}
			if v != nil {
				got = map[string]any{"value": v}
			}
		case st.Migrate != nil:
			var config *v1.MigrationConfig
			if len(st.Migrate.Config) > 0 {
				config = &v1.MigrationConfig{}
				if e := protojson.Unmarshal(st.Migrate.Config, config); e != nil {
					t.Fatalf("%s config: %v", label, e)
				}
			}
			var res *v1.MigrationResult
			if res, err = c.Migrate(ctx, st.Migrate.ToolName, config); err == nil {
				got = jsonOf(t, res)
			}
		case st.Rollback != nil:
			var config *v1.RollbackConfig
			if len(st.Rollback.Config) > 0 {
				config = &v1.RollbackConfig{}
				if e := protojson.Unmarshal(st.Rollback.Config, config); e != nil {
					t.Fatalf("%s config: %v", label, e)
				}
			}
			var res *v1.RollbackResult
			if res, err = c.Rollback(ctx, st.Rollback.ToolName, config); err == nil {
				got = jsonOf(t, res)
			}
		case st.Subscribe != nil:
			opts := scriptengine.SubscribeOptions{EventTypes: st.Subscribe.EventTypes}
			if st.Subscribe.AfterSequence != nil {
				n, _ := strconv.ParseUint(*st.Subscribe.AfterSequence, 10, 64)
				opts.AfterSequence = &n
			}
			next, stop := iterPull(c.Subscribe(ctx, opts))
			subs[st.As] = subscription{next, stop}
			got = map[string]any{}
		case st.NextEvents != "":
			events := []any{}
			for n := 0; n < max(1, st.Count); n++ {
				ev, e, ok := subs[st.NextEvents].next()
				if !ok {
					break
				}
				if e != nil {
					err = e
					break
				}
				events = append(events, jsonOf(t, ev))
			}
			got = map[string]any{"events": events}
		}

		switch {
		case st.Expect.Error != nil:
			if err == nil {
				t.Fatalf("%s: expected an error, got %v", label, got)
			}
			checkError(t, label, st.Expect.Error, err)
		case st.Expect.ScriptError != nil:
			var se *scriptengine.ScriptError
			if !errors.As(err, &se) {
				t.Fatalf("%s: expected a script error, got %v", label, err)
			}
			if k := v1.ExecutionErrorKind_name[int32(se.Kind())]; k != "EXECUTION_ERROR_KIND_"+st.Expect.ScriptError.Kind {
				t.Fatalf("%s: script error kind %s, want %s", label, k, st.Expect.ScriptError.Kind)
			}
		default:
			if err != nil {
				t.Fatalf("%s: %v", label, err)
			}
			want := st.Expect.Response
			if want == nil {
				want = map[string]any{}
			}
			if m := mismatch(want, got, "$"); m != "" {
				t.Fatalf("%s: %s", label, m)
			}
		}
	}
}

// stepKind names a step for failure messages.
func stepKind(st step) string {
	switch {
	case st.Call != "":
		return st.Call
	case st.Run != nil:
		return "run"
	case st.Migrate != nil:
		return "migrate"
	case st.Rollback != nil:
		return "rollback"
	case st.Subscribe != nil:
		return "subscribe"
	}
	return "next_events"
}

func checkError(t *testing.T, label string, want map[string]any, err error) {
	t.Helper()
	kind, _ := want["kind"].(string)
	sentinel, ok := kinds[kind]
	if !ok {
		t.Fatalf("%s: unknown error kind %q", label, kind)
	}
	if !errors.Is(err, sentinel) {
		t.Fatalf("%s: expected %s, got %v", label, kind, err)
	}
	var se *scriptengine.Error
	if !errors.As(err, &se) {
		t.Fatalf("%s: not a *scriptengine.Error: %v", label, err)
	}
	if code, ok := want["code"]; ok && codeNames[se.Code.String()] != code {
		t.Fatalf("%s: code %s, want %v", label, codeNames[se.Code.String()], code)
	}
	if r, ok := want["reason"]; ok && se.Reason != r {
		t.Fatalf("%s: reason %q, want %v", label, se.Reason, r)
	}
	if d, ok := want["domain"]; ok && se.Domain != d {
		t.Fatalf("%s: domain %q, want %v", label, se.Domain, d)
	}
	if md, ok := want["metadata"]; ok {
		got := map[string]any{}
		for k, v := range se.Metadata {
			got[k] = v
		}
		if m := mismatch(md, got, "$.metadata"); m != "" {
			t.Fatalf("%s: %s", label, m)
		}
	}
	if rd, ok := want["retry_delay"]; ok && se.HasRetryDelay != rd {
		t.Fatalf("%s: retry delay present=%v, want %v", label, se.HasRetryDelay, rd)
	}
}

// callByName invokes "Service.Method" on the SDK's typed clients with a protobuf-JSON request.
func callByName(t *testing.T, ctx context.Context, c *scriptengine.Client, call string, request json.RawMessage) (any, error) {
	var svc, method string
	for i := range call {
		if call[i] == '.' {
			svc, method = call[:i], call[i+1:]
		}
	}
	services := map[string]any{"ScriptService": c.Scripts, "MigrationService": c.Migrations, "EventService": c.Events, "RegistryService": c.Registry, "ToolService": c.Tools}
	client, ok := services[svc]
	if !ok {
		t.Fatalf("unknown service %s", svc)
	}
	m := reflect.ValueOf(client).MethodByName(method)
	if !m.IsValid() {
		t.Fatalf("%s is not an RPC", call)
	}
	req := reflect.New(m.Type().In(1).Elem()).Interface().(proto.Message)
	if len(request) > 0 {
		if err := protojson.Unmarshal(request, req); err != nil {
			t.Fatalf("%s request: %v", call, err)
		}
	}
	out := m.Call([]reflect.Value{reflect.ValueOf(ctx), reflect.ValueOf(req)})
	if errV := out[1].Interface(); errV != nil {
		return nil, errV.(error)
	}
	return jsonOf(t, out[0].Interface().(proto.Message)), nil
}

// mismatch reports how `got` fails to contain `want` ("" when it does): see test/scenarios/README.md.
func mismatch(want, got any, path string) string {
	switch w := want.(type) {
	case map[string]any:
		if _, ok := w["$present"]; ok {
			if got == nil {
				return path + ": expected a value, got none"
			}
			return ""
		}
		if _, ok := w["$absent"]; ok {
			if got != nil {
				return fmt.Sprintf("%s: expected no value, got %v", path, got)
			}
			return ""
		}
		g, ok := got.(map[string]any)
		if !ok {
			return fmt.Sprintf("%s: expected an object, got %v", path, got)
		}
		for k, v := range w {
			if m := mismatch(v, g[k], path+"."+k); m != "" {
				return m
			}
		}
		return ""
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return fmt.Sprintf("%s: expected %d items, got %v", path, len(w), got)
		}
		for i := range w {
			if m := mismatch(w[i], g[i], fmt.Sprintf("%s[%d]", path, i)); m != "" {
				return m
			}
		}
		return ""
	case float64:
		if g, ok := got.(float64); ok && math.Abs(g-w) < 1e-9 {
			return ""
		}
	default:
		if want == got {
			return ""
		}
	}
	return fmt.Sprintf("%s: expected %v, got %v", path, want, got)
}
