package scriptengine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"unicode/utf8"
	"unsafe"

	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	v1 "github.com/scriptengine/scriptengine/gen/go/scriptengine/v1"
)

// Args are a script's arguments: any values encoding/json could marshal as JSON (maps, slices,
// structs, strings, numbers, bools, nil), sent as encoding/json would write them: a time.Time as
// an RFC 3339 string, a []byte as base64, a float32 as its shortest decimal (0.1), map keys as
// strings and invalid UTF-8 in keys and strings as U+FFFD, a nil map or slice as null. A value it
// cannot marshal (a channel, a func, NaN or ±Inf anywhere in it, a map or slice that contains
// itself, maps and slices nested more than 32 deep, the server's bound, two keys of a map that
// become the same key once U+FFFD replaces their invalid UTF-8) fails the call before anything
// is sent, with an INVALID_ARGUMENT *Error (errors.Is ErrInvalidArgument) naming the argument:
// `argument "v": …`.
type Args map[string]any

func (a Args) values() (map[string]*structpb.Value, error) {
	out := make(map[string]*structpb.Value, len(a))
	for k, v := range a {
		name := validUTF8(k)
		if _, twice := out[name]; twice {
			return nil, invalidArgument(name, errors.New("another argument has this name once invalid UTF-8 is written as U+FFFD"))
		}
		pv, err := (&converter{onPath: map[any]bool{}}).value(v)
		if err != nil {
			return nil, invalidArgument(name, err)
		}
		out[name] = pv
	}
	return out, nil
}

// validUTF8 is s as encoding/json writes it: each byte that is not valid UTF-8 as U+FFFD (protobuf
// refuses to send such a string). Converting to runes does just that.
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return string([]rune(s))
}

// maxArgumentDepth bounds how deep maps and slices may nest in one argument: the server's bound
// (32 levels, as for return values; deeper is INVALID_ARGUMENT), checked here so that the error
// names the argument and neither a value that contains itself nor a very deep one recurses until
// the program dies of a stack overflow (which recover cannot catch).
const maxArgumentDepth = 32

// converter turns one argument into a structpb.Value, keeping the maps and slices on the current
// path (by identity, so a value shared by two branches is fine) and how deep they nest.
type converter struct {
	onPath map[any]bool
	depth  int
}

// sliceID is a []any's identity: encoding/json's too (same array, same length).
type sliceID struct {
	data unsafe.Pointer
	len  int
}

// enter is called before converting a map or slice (identity id) and returns leave.
func (c *converter) enter(id any) (func(), error) {
	if c.onPath[id] {
		return nil, errors.New("it contains itself")
	}
	if c.depth >= maxArgumentDepth {
		return nil, errTooDeep
	}
	c.onPath[id] = true
	c.depth++
	return func() { delete(c.onPath, id); c.depth-- }, nil
}

var errTooDeep = fmt.Errorf("it nests deeper than %d levels", maxArgumentDepth)

// value is structpb.NewValue but for float32, which it widens (0.1 becomes 0.10000000149011612)
// where encoding/json writes the shortest decimal that reads back as the same float32 (0.1), and for
// NaN and ±Inf (a float or a json.Number "NaN"), which it takes though JSON has no such number and
// the server refuses it: they fail here, as encoding/json fails them inside a struct or a []float64.
func (c *converter) value(v any) (pv *structpb.Value, err error) {
	switch v := v.(type) {
	case float32:
		f, _ := strconv.ParseFloat(strconv.FormatFloat(float64(v), 'g', -1, 32), 64)
		return finite(structpb.NewNumberValue(f))
	case map[string]any:
		if v == nil { // null, as encoding/json writes it, not {}
			return structpb.NewNullValue(), nil
		}
		leave, err := c.enter(reflect.ValueOf(v).UnsafePointer())
		if err != nil {
			return nil, err
		}
		defer leave()
		fields := make(map[string]*structpb.Value, len(v))
		for k, e := range v {
			key := validUTF8(k)
			if _, twice := fields[key]; twice {
				return nil, fmt.Errorf("two keys are %q once invalid UTF-8 is written as U+FFFD", key)
			}
			if fields[key], err = c.value(e); err != nil {
				return nil, err
			}
		}
		return structpb.NewStructValue(&structpb.Struct{Fields: fields}), nil
	case []any:
		if v == nil { // null, as encoding/json writes it, not []
			return structpb.NewNullValue(), nil
		}
		leave, err := c.enter(sliceID{unsafe.Pointer(unsafe.SliceData(v)), len(v)})
		if err != nil {
			return nil, err
		}
		defer leave()
		values := make([]*structpb.Value, len(v))
		for i, e := range v {
			if values[i], err = c.value(e); err != nil {
				return nil, err
			}
		}
		return structpb.NewListValue(&structpb.ListValue{Values: values}), nil
	}
	if pv, err = structpb.NewValue(v); err != nil {
		// structpb takes only map[string]any, []any and scalars: anything else ([]string,
		// map[string]int, a struct, time.Time) goes through encoding/json, as the doc promises
		// (it refuses a cycle itself), held to the same depth.
		if pv, err = viaJSON(v); err == nil && c.depth+nesting(pv) > maxArgumentDepth {
			return nil, errTooDeep
		}
		return pv, err
	}
	return finite(pv)
}

// nesting is how deep lists and structs nest in pv (0 for a scalar).
func nesting(pv *structpb.Value) int {
	deepest := 0
	switch k := pv.GetKind().(type) {
	case *structpb.Value_ListValue:
		for _, e := range k.ListValue.GetValues() {
			deepest = max(deepest, nesting(e))
		}
	case *structpb.Value_StructValue:
		for _, e := range k.StructValue.GetFields() {
			deepest = max(deepest, nesting(e))
		}
	default:
		return 0
	}
	return deepest + 1
}

// finite refuses a number JSON cannot hold.
func finite(pv *structpb.Value) (*structpb.Value, error) {
	n, ok := pv.GetKind().(*structpb.Value_NumberValue)
	switch {
	case !ok:
		return pv, nil
	case math.IsNaN(n.NumberValue):
		return nil, errors.New("a number is NaN, which JSON cannot hold")
	case math.IsInf(n.NumberValue, 1):
		return nil, errors.New("a number is +Inf, which JSON cannot hold")
	case math.IsInf(n.NumberValue, -1):
		return nil, errors.New("a number is -Inf, which JSON cannot hold")
	}
	return pv, nil
}

func viaJSON(v any) (*structpb.Value, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	pv := &structpb.Value{}
	if err := pv.UnmarshalJSON(raw); err != nil {
		return nil, err
	}
	return pv, nil
}

// RunOptions tune Run and Execute. The call sends a copy of Context with the helper's args as its
// Arguments; the options themselves are never changed, so one RunOptions may serve concurrent calls.
type RunOptions struct {
	Context     *v1.ExecutionContext
	Compilation *v1.CompilationContext
	// Version of a stored script for Execute (0: latest).
	Version uint32
}

func executionContext(args Args, opts *RunOptions) (*v1.ExecutionContext, error) {
	ctx := &v1.ExecutionContext{}
	if opts != nil && opts.Context != nil {
		// A copy: callers share one RunOptions across goroutines, and each call sends its own args.
		ctx = proto.Clone(opts.Context).(*v1.ExecutionContext)
	}
	values, err := args.values()
	if err != nil {
		return nil, err
	}
	ctx.Arguments = values
	return ctx, nil
}

// Value is the script's return value as plain Go (map[string]any, []any, float64, string,
// bool, nil): what encoding/json would decode.
func Value(result *v1.ExecutionResult) any {
	if result.GetReturnValue() == nil {
		return nil
	}
	return result.GetReturnValue().AsInterface()
}

func valueOf(result *v1.ExecutionResult) (any, error) {
	if !result.GetSuccess() {
		return nil, &ScriptError{Result: result}
	}
	return Value(result), nil
}

// Run compiles and runs source with args and returns its value. A script that fails returns
// a *ScriptError carrying the full result; a failed call returns an *Error.
func (c *Client) Run(ctx context.Context, source string, args Args, opts *RunOptions) (any, error) {
	result, err := c.RunScript(ctx, source, args, opts)
	if err != nil {
		return nil, err
	}
	return valueOf(result)
}

// RunScript is Run returning the full ExecutionResult whatever the script's outcome.
func (c *Client) RunScript(ctx context.Context, source string, args Args, opts *RunOptions) (*v1.ExecutionResult, error) {
	ec, err := executionContext(args, opts)
	if err != nil {
		return nil, err
	}
	req := &v1.RunScriptRequest{Source: source, Context: ec}
	if opts != nil {
		req.Compilation = opts.Compilation
	}
	res, err := c.Scripts.RunScript(ctx, req)
	if err != nil {
		return nil, err
	}
	return res.GetResult(), nil
}

// Compile stores a script (a new version when compilation.ScriptId exists).
func (c *Client) Compile(ctx context.Context, source string, compilation *v1.CompilationContext) (*v1.CompiledScript, error) {
	res, err := c.Scripts.CompileScript(ctx, &v1.CompileScriptRequest{Source: source, Context: compilation})
	if err != nil {
		return nil, err
	}
	return res.GetScript(), nil
}

// Execute runs a stored script with args and returns its value (*ScriptError when it fails).
func (c *Client) Execute(ctx context.Context, scriptID string, args Args, opts *RunOptions) (any, error) {
	ec, err := executionContext(args, opts)
	if err != nil {
		return nil, err
	}
	req := &v1.ExecuteScriptRequest{ScriptId: scriptID, Context: ec}
	if opts != nil {
		req.Version = opts.Version
	}
	res, err := c.Scripts.ExecuteScript(ctx, req)
	if err != nil {
		return nil, err
	}
	return valueOf(res.GetResult())
}

// Delete removes a stored script with every version (the scripts:delete permission) and says
// how many versions there were; ErrNotFound when there is no such script.
func (c *Client) Delete(ctx context.Context, scriptID string) (uint32, error) {
	res, err := c.Scripts.DeleteScript(ctx, &v1.DeleteScriptRequest{ScriptId: scriptID})
	if err != nil {
		return 0, err
	}
	return res.GetVersionsDeleted(), nil
}

// Health is the engine's health status.
func (c *Client) Health(ctx context.Context) (*v1.HealthStatus, error) {
	res, err := c.Scripts.HealthCheck(ctx, &v1.HealthCheckRequest{})
	return res.GetHealth(), err
}

// StandardHealth asks the standard gRPC health service (grpc.health.v1 Check) for service (""
// is the server as a whole; "scriptengine.v1.ScriptService" one service): what probes and load
// balancers ask, over this client's connection and TLS, no token needed. Health is the engine's
// own, with its components, and needs a principal.
func (c *Client) StandardHealth(ctx context.Context, service string) (healthpb.HealthCheckResponse_ServingStatus, error) {
	res, err := healthpb.NewHealthClient(c.conn).Check(ctx, &healthpb.HealthCheckRequest{Service: service})
	return res.GetStatus(), err
}

// Migrate migrates one legacy tool (config may be nil).
func (c *Client) Migrate(ctx context.Context, toolName string, config *v1.MigrationConfig) (*v1.MigrationResult, error) {
	res, err := c.Migrations.MigrateTool(ctx, &v1.MigrateToolRequest{ToolName: toolName, Config: config})
	return res.GetResult(), err
}

// Rollback restores the state from before a tool's migration (idempotent).
func (c *Client) Rollback(ctx context.Context, toolName string, config *v1.RollbackConfig) (*v1.RollbackResult, error) {
	res, err := c.Migrations.RollbackTool(ctx, &v1.RollbackToolRequest{ToolName: toolName, Config: config})
	return res.GetResult(), err
}
