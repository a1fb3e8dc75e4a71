package scriptengine

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"regexp"
	"strconv"
	"strings"
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
// `argument "v": …`. So does an integer a JSON number (a double) would round, which the script would
// get as another number, silently: an int, int64, uint or uint64 beyond ±(2^53 - 1), a json.Number
// written as such an integer or whose digits a double does not keep, and, inside what encoding/json
// writes (a struct, a []int64, a MarshalJSON), any number whose digits a double does not keep (there a
// float64 of 1e20 and an int64 write alike, so an int64 of 10^17 passes; 2^60 does not). Send such an
// integer as a string (`json:",string"` in a struct).
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
	if err := exactInteger(v); err != nil {
		return nil, err
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
	if err := exactLiterals(raw); err != nil {
		return nil, err
	}
	pv := &structpb.Value{}
	if err := pv.UnmarshalJSON(raw); err != nil {
		return nil, err
	}
	return pv, nil
}

// maxSafeInteger is the largest integer a double (a JSON number, google.protobuf.Value's number)
// holds exactly, with every one below it.
const maxSafeInteger = 1<<53 - 1

// inexact is why an integer a double would round fails, as the server's CLI says it for --args:
// the script would get another number, silently (an id, a uint64 from elsewhere).
func inexact(written string) error {
	return fmt.Errorf("%s is beyond ±(2^53 - 1), where a JSON number does not hold integers exactly; pass it as a string", written)
}

// exactInteger refuses an integer beyond ±(2^53 - 1), which structpb.NewValue would round to a
// double, and a json.Number that one would change (see exactLiteral).
func exactInteger(v any) error {
	switch v := v.(type) {
	case int:
		return exactInt64(int64(v))
	case int64:
		return exactInt64(v)
	case uint:
		return exactUint64(uint64(v))
	case uint64:
		return exactUint64(v)
	case json.Number:
		return exactLiteral(string(v), true)
	}
	return nil
}

func exactInt64(v int64) error {
	if v > maxSafeInteger || v < -maxSafeInteger {
		return inexact(strconv.FormatInt(v, 10))
	}
	return nil
}

func exactUint64(v uint64) error {
	if v > maxSafeInteger {
		return inexact(strconv.FormatUint(v, 10))
	}
	return nil
}

// jsonNumber is a JSON number literal: sign, integer digits, fraction digits, exponent.
var jsonNumber = regexp.MustCompile(`^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$`)

// exactLiteral refuses a JSON number literal that a double would round past ±(2^53 - 1), as the
// server's CLI refuses it in --args. With strict, an integer literal must be within ±(2^53 - 1); any
// other (and every literal when not strict) only has to keep its digits in the double (1e20 passes,
// 9007199254740993 and 1.2345678901234567891e19 do not). Not strict is for what encoding/json wrote,
// where a float64 of 1e20 reads 100000000000000000000, as an integer would. Whatever is no JSON
// number, or past a double's range, is left to the conversion.
func exactLiteral(literal string, strict bool) error {
	m := jsonNumber.FindStringSubmatch(literal)
	if m == nil {
		return nil
	}
	if strict && m[3] == "" && m[4] == "" {
		if n, err := strconv.ParseInt(literal, 10, 64); err == nil && n >= -maxSafeInteger && n <= maxSafeInteger {
			return nil
		}
		return inexact(literal)
	}
	f, err := strconv.ParseFloat(literal, 64)
	if err != nil || math.Abs(f) <= maxSafeInteger || canonical(m) == canonical(jsonNumber.FindStringSubmatch(strconv.FormatFloat(f, 'g', -1, 64))) {
		return nil
	}
	return inexact(literal)
}

// canonical is a number literal's significant digits and exponent (1.50e3 and 1500 are "15e3"),
// to compare what was written with what the double keeps.
func canonical(m []string) string {
	all := m[2] + m[3]
	lead := strings.IndexFunc(all, func(r rune) bool { return r != '0' })
	if lead < 0 {
		return "0"
	}
	exp, _ := strconv.Atoi(m[4])
	return fmt.Sprintf("%s%se%d", m[1], strings.TrimRight(all[lead:], "0"), exp+len(m[2])-lead-1)
}

// exactLiterals is exactLiteral, not strict, for each number in raw, which encoding/json wrote
// (MarshalJSON's literals as they were): read as a float64, a number a double rounds would pass.
func exactLiterals(raw []byte) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil // io.EOF; anything else fails the conversion itself
		}
		if n, ok := tok.(json.Number); ok {
			if err := exactLiteral(string(n), false); err != nil {
				return err
			}
		}
	}
}

// RunOptions tune Run and Execute. The call sends a copy of Context with the helper's args as its
// Arguments, or with Context's own Arguments when args is nil; both given (args non-nil, even empty,
// and Context.Arguments not empty) fails the call before anything is sent with an INVALID_ARGUMENT
// *Error, as neither should silently win (as in the Python SDK; the TS one takes no arguments in its
// context). The options themselves are never changed, so one RunOptions may serve concurrent calls.
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
	if args == nil && len(ctx.GetArguments()) > 0 {
		return ctx, nil // Context's own arguments (they used to be dropped)
	}
	if len(ctx.GetArguments()) > 0 {
		return nil, invalidRequest("context.arguments", errBothArguments.Error(), errBothArguments)
	}
	values, err := args.values()
	if err != nil {
		return nil, err
	}
	ctx.Arguments = values
	return ctx, nil
}

var errBothArguments = errors.New("arguments given both as args and in RunOptions.Context.Arguments: give them in one of the two")

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
