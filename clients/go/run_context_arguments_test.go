package scriptengine_test

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/structpb"

	scriptengine "github.com/scriptengine/scriptengine/clients/go"
	v1 "github.com/scriptengine/scriptengine/gen/go/scriptengine/v1"
)

// argumentsServer answers RunScript and ExecuteScript with the arguments it was sent.
type argumentsServer struct {
	v1.UnimplementedScriptServiceServer
}

func echoArguments(ec *v1.ExecutionContext) *v1.ExecutionResult {
	fields := map[string]*structpb.Value{}
	for k, v := range ec.GetArguments() {
		fields[k] = v
	}
	return &v1.ExecutionResult{Success: true, ReturnValue: structpb.NewStructValue(&structpb.Struct{Fields: fields})}
}

func (argumentsServer) RunScript(_ context.Context, req *v1.RunScriptRequest) (*v1.RunScriptResponse, error) {
	return &v1.RunScriptResponse{Result: echoArguments(req.GetContext())}, nil
}

func (argumentsServer) ExecuteScript(_ context.Context, req *v1.ExecuteScriptRequest) (*v1.ExecuteScriptResponse, error) {
	return &v1.ExecuteScriptResponse{Result: echoArguments(req.GetContext())}, nil
}

// RunOptions.Context.Arguments were dropped without a word: a script got {} when args was nil,
// and only args when both were given. They are sent when args is nil, and both given is the
// INVALID_ARGUMENT *Error, nothing sent, as the Python SDK raises it (neither silently wins).
func TestRunOptionsContextArguments(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	v1.RegisterScriptServiceServer(srv, argumentsServer{})
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(srv.Stop)
	c := dial(t, ln.Addr().String())
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	opts := &scriptengine.RunOptions{Context: &v1.ExecutionContext{
		Arguments:   map[string]*structpb.Value{"a": structpb.NewNumberValue(2)},
		Environment: map[string]string{"K": "v"},
	}}
	calls := map[string]func(scriptengine.Args) (any, error){
		"Run":     func(args scriptengine.Args) (any, error) { return c.Run(ctx, "source", args, opts) },
		"Execute": func(args scriptengine.Args) (any, error) { return c.Execute(ctx, "id", args, opts) },
	}
	for name, call := range calls {
		got, err := call(nil)
		if err != nil || got.(map[string]any)["a"] != 2.0 || len(got.(map[string]any)) != 1 {
			t.Errorf("%s, Context.Arguments alone: %v %v, want {a: 2}", name, got, err)
		}
		for _, args := range []scriptengine.Args{{"b": 3}, {}} {
			got, err = call(args)
			var se *scriptengine.Error
			if !errors.Is(err, scriptengine.ErrInvalidArgument) || !errors.As(err, &se) ||
				len(se.FieldViolations) != 1 || se.FieldViolations[0].Field != "context.arguments" {
				t.Errorf("%s, args %v and Context.Arguments: %v %v, want INVALID_ARGUMENT naming context.arguments", name, args, got, err)
			}
		}
		got, err = call(scriptengine.Args{"b": 3})
		if err == nil || got != nil {
			t.Errorf("%s: both given returned %v", name, got)
		}
	}
	// Args alone, with a Context without arguments, are still sent; the options are not changed.
	noArgs := &scriptengine.RunOptions{Context: &v1.ExecutionContext{Environment: map[string]string{"K": "v"}}}
	if got, err := c.Run(ctx, "source", scriptengine.Args{"b": 3}, noArgs); err != nil || got.(map[string]any)["b"] != 3.0 {
		t.Errorf("args alone: %v %v", got, err)
	}
	if len(noArgs.Context.GetArguments()) != 0 || len(opts.Context.GetArguments()) != 1 {
		t.Errorf("the options were changed: %v %v", noArgs.Context, opts.Context)
	}
}
