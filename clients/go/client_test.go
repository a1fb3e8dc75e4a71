package scriptengine_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	scriptengine "github.com/scriptengine/scriptengine/clients/go"
	v1 "github.com/scriptengine/scriptengine/gen/go/scriptengine/v1"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
)

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// What the contract declares idempotent (idempotency_level in proto/); the TypeScript and Python
// SDKs assert the same set.
func TestIdempotentMethodsAreTheContractsDeclared(t *testing.T) {
	want := []string{
		"ScriptService/GetScript", "ScriptService/ListScripts", "ScriptService/HealthCheck", "ScriptService/GetMetrics",
		"ScriptService/GetConfig", "ScriptService/Start", "ScriptService/Stop",
		"MigrationService/RollbackTool", "MigrationService/ListMigrations", "MigrationService/GetMigrationStatus",
		"RegistryService/RegisterService", "RegistryService/Heartbeat", "RegistryService/DiscoverServices",
		"ToolService/ListTools", "ToolService/GetTool",
	}
	got := map[string]bool{}
	for name, on := range scriptengine.IdempotentMethods {
		got[name] = on
	}
	for _, m := range want {
		if !got["/scriptengine.v1."+m] {
			t.Errorf("%s is not in IdempotentMethods", m)
		}
		d, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName("scriptengine.v1." + strings.Replace(m, "/", ".", 1)))
		if err != nil || d.Options().(*descriptorpb.MethodOptions).GetIdempotencyLevel() == descriptorpb.MethodOptions_IDEMPOTENCY_UNKNOWN {
			t.Errorf("the contract does not declare %s idempotent (%v)", m, err)
		}
		delete(got, "/scriptengine.v1."+m)
	}
	for name := range got {
		t.Errorf("%s is in IdempotentMethods but not declared idempotent", name)
	}
}

func TestRetriesIdempotentCallUntilServerIsUp(t *testing.T) {
	port := freePort(t)
	var retries atomic.Int32
	c, err := scriptengine.Dial("127.0.0.1:"+strconv.Itoa(port),
		scriptengine.WithRetry(scriptengine.RetryPolicy{MaxAttempts: 100, InitialBackoff: 100 * time.Millisecond, MaxBackoff: 300 * time.Millisecond}),
		scriptengine.WithRetryHook(func(scriptengine.RetryEvent) { retries.Add(1) }))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	go func() {
		time.Sleep(300 * time.Millisecond)
		startServer(t, "", "--grpc-address", "127.0.0.1:"+strconv.Itoa(port))
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	h, err := c.Health(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if h.GetStatus() != v1.ServiceStatus_SERVICE_STATUS_HEALTHY || retries.Load() == 0 {
		t.Fatalf("status %v after %d retries", h.GetStatus(), retries.Load())
	}
}

func TestDoesNotRetryNonIdempotentCall(t *testing.T) {
	var retries atomic.Int32
	c := dial(t, "127.0.0.1:"+strconv.Itoa(freePort(t)), scriptengine.WithRetryHook(func(scriptengine.RetryEvent) { retries.Add(1) }))
	ctx := context.Background()
	if _, err := c.Run(ctx, "1 + 1", nil, nil); !errors.Is(err, scriptengine.ErrUnavailable) {
		t.Fatalf("Run: %v", err)
	}
	if _, err := c.Compile(ctx, "1", nil); !errors.Is(err, scriptengine.ErrUnavailable) {
		t.Fatalf("Compile: %v", err)
	}
	// Repeated after a lost reply, these would say NOT_FOUND for what the first attempt did.
	if _, err := c.Registry.DeregisterService(ctx, &v1.DeregisterServiceRequest{ServiceId: "s"}); !errors.Is(err, scriptengine.ErrUnavailable) {
		t.Fatalf("DeregisterService: %v", err)
	}
	if _, err := c.Events.Unsubscribe(ctx, &v1.UnsubscribeRequest{SubscriptionId: "s"}); !errors.Is(err, scriptengine.ErrUnavailable) {
		t.Fatalf("Unsubscribe: %v", err)
	}
	if retries.Load() != 0 {
		t.Fatalf("retried %d times", retries.Load())
	}
	short, cancel := context.WithTimeout(ctx, 800*time.Millisecond)
	defer cancel()
	if _, err := c.Scripts.GetConfig(short, &v1.GetConfigRequest{}); !errors.Is(err, scriptengine.ErrUnavailable) {
		t.Fatalf("GetConfig: %v", err)
	}
	if retries.Load() == 0 {
		t.Fatal("GetConfig was not retried")
	}
}

func TestCompileExecuteDelete(t *testing.T) {
	srv := startServer(t, "")
	c := dial(t, srv.GRPC)
	ctx := context.Background()
	for _, src := range []string{"export default (args) => args.n + 1", "export default (args) => args.n + 2"} {
		if _, err := c.Compile(ctx, src, &v1.CompilationContext{ScriptId: "helper-delete"}); err != nil {
			t.Fatal(err)
		}
	}
	if v, err := c.Execute(ctx, "helper-delete", scriptengine.Args{"n": 1}, nil); err != nil || v != float64(3) {
		t.Fatalf("Execute: %v %v", v, err)
	}
	if n, err := c.Delete(ctx, "helper-delete"); err != nil || n != 2 {
		t.Fatalf("Delete: %d %v", n, err)
	}
	if _, err := c.Execute(ctx, "helper-delete", nil, nil); !errors.Is(err, scriptengine.ErrNotFound) {
		t.Fatalf("Execute after Delete: %v", err)
	}
}

func TestTypedErrors(t *testing.T) {
	srv := startServer(t, "")
	c := dial(t, srv.GRPC)
	_, err := c.Tools.GetTool(context.Background(), &v1.GetToolRequest{Name: "no_such_tool"})
	var se *scriptengine.Error
	if !errors.Is(err, scriptengine.ErrNotFound) || !errors.As(err, &se) || se.Reason != "TOOL_NOT_FOUND" || se.Domain != scriptengine.ErrorDomain || se.Metadata["tool"] != "no_such_tool" {
		t.Fatalf("GetTool: %#v", err)
	}
	// An expired deadline is ErrTimeout and matches context.DeadlineExceeded.
	ctx, cancel := context.WithTimeout(context.Background(), time.Nanosecond)
	defer cancel()
	time.Sleep(time.Millisecond)
	_, err = c.Scripts.GetMetrics(ctx, &v1.GetMetricsRequest{})
	if !errors.Is(err, scriptengine.ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("GetMetrics past its deadline: %v", err)
	}
}

// The server's google.rpc.BadRequest comes out as Error.FieldViolations.
func TestErrorFieldViolations(t *testing.T) {
	srv := startServer(t, "")
	c := dial(t, srv.GRPC)
	_, err := c.Scripts.CompileScript(context.Background(), &v1.CompileScriptRequest{Source: ""})
	var se *scriptengine.Error
	if !errors.Is(err, scriptengine.ErrInvalidArgument) || !errors.As(err, &se) {
		t.Fatalf("CompileScript: %v", err)
	}
	if len(se.FieldViolations) != 1 || se.FieldViolations[0].Field != "source" || se.FieldViolations[0].Description == "" {
		t.Fatalf("FieldViolations: %#v", se.FieldViolations)
	}
}

// A server whose caps allow outputs past the defaults sends responses over grpc-go's 4 MiB default.
func TestReceivesResultsLargerThanFourMiB(t *testing.T) {
	srv := startServer(t, "", "--set", "execution.max_return_bytes=8388608")
	c := dial(t, srv.GRPC)
	v, err := c.Run(context.Background(), "'y'.repeat(5 * 1024 * 1024)", nil, nil)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if s, ok := v.(string); !ok || len(s) != 5*1024*1024 {
		t.Fatalf("Run returned %T of length %d", v, len(fmt.Sprint(v)))
	}
}

func TestSharedRunOptionsAndArgsOfAnyJSONType(t *testing.T) {
	srv := startServer(t, "")
	c := dial(t, srv.GRPC)
	ctx := context.Background()
	// One RunOptions for concurrent calls: each call sends its own args, the options stay as given.
	shared := &scriptengine.RunOptions{Context: &v1.ExecutionContext{Environment: map[string]string{"MODE": "m"}}}
	var wrong atomic.Int32
	var wg sync.WaitGroup
	for g := range 8 { // 8 callers (the Safe level allows 10 at once), 4 calls each
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range 4 {
				i := g*4 + n
				v, err := c.Run(ctx, "export default (a, ctx) => `${a.i}:${ctx.env.MODE}`", scriptengine.Args{"i": i}, shared)
				if err != nil || v != fmt.Sprintf("%d:m", i) {
					t.Errorf("call %d: %v %v", i, v, err)
					wrong.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if wrong.Load() > 0 || shared.Context.Arguments != nil {
		t.Fatalf("%d calls got another's arguments; the shared context holds %v", wrong.Load(), shared.Context.Arguments)
	}
	type point struct {
		X int `json:"x"`
	}
	args := scriptengine.Args{"strs": []string{"a", "b"}, "counts": map[string]int{"n": 2}, "p": point{X: 3}, "ints": []int{4, 5}}
	v, err := c.Run(ctx, "export default (a) => [a.strs.join(''), a.counts.n, a.p.x, a.ints[1]]", args, nil)
	if err != nil || fmt.Sprint(v) != "[ab 2 3 5]" {
		t.Fatalf("typed args: %v %v", v, err)
	}
	if _, err := c.Run(ctx, "1", scriptengine.Args{"ch": make(chan int)}, nil); err == nil {
		t.Fatal("a channel argument was accepted")
	}
}
