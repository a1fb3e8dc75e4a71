package scriptengine_test

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/structpb"

	scriptengine "github.com/scriptengine/scriptengine/clients/go"
	v1 "github.com/scriptengine/scriptengine/gen/go/scriptengine/v1"
)

// A request protobuf cannot encode (a string field that is not valid UTF-8) fails before anything
// is sent with the INVALID_ARGUMENT *Error naming the field, on a unary call, a stream and
// Subscribe and Watch alike: streams used to give grpc-go's bare INTERNAL status ("error while
// marshaling"), which is no *Error, and unary calls that status as an INTERNAL *Error.
func TestUnencodableRequestsAreInvalidArgumentErrors(t *testing.T) {
	// A server that has none of the services: the calls fail before they reach it.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(srv.Stop)
	c := dial(t, ln.Addr().String())
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	for _, tc := range []struct {
		name, field string
		call        func() error
	}{
		{"unary", "script_id", func() error {
			_, err := c.Scripts.GetScript(ctx, &v1.GetScriptRequest{ScriptId: "\xff"})
			return err
		}},
		{"Subscribe", "event_types[1]", func() error {
			for _, err := range c.Subscribe(ctx, scriptengine.SubscribeOptions{EventTypes: []string{"script_compiled", "script_executed\xff"}}) {
				return err
			}
			return nil
		}},
		{"Watch", "service_type", func() error {
			for _, err := range c.Watch(ctx, scriptengine.WatchOptions{ServiceType: "\xff"}) {
				return err
			}
			return nil
		}},
		{"MigrateDirectory", "directory", func() error {
			stream, err := c.Migrations.MigrateDirectory(ctx, &v1.MigrateDirectoryRequest{Directory: "\xff"})
			if err != nil {
				return err
			}
			_, err = stream.Recv()
			return err
		}},
		{"in a map value", "context.arguments.k.list_value.values[1].string_value", func() error {
			list, _ := structpb.NewList([]any{"a", "b"})
			list.Values[1] = structpb.NewStringValue("\xff")
			_, err := c.Scripts.RunScript(ctx, &v1.RunScriptRequest{Context: &v1.ExecutionContext{
				Arguments: map[string]*structpb.Value{"k": structpb.NewListValue(list)},
			}})
			return err
		}},
		{"a map key", "context.arguments.a\uFFFD", func() error {
			_, err := c.Scripts.RunScript(ctx, &v1.RunScriptRequest{Context: &v1.ExecutionContext{
				Arguments: map[string]*structpb.Value{"a\xff": structpb.NewNullValue()},
			}})
			return err
		}},
	} {
		err := tc.call()
		var se *scriptengine.Error
		if !errors.As(err, &se) {
			t.Errorf("%s: %#v, want a *scriptengine.Error", tc.name, err)
			continue
		}
		if !errors.Is(err, scriptengine.ErrInvalidArgument) || status.Code(err) != codes.InvalidArgument {
			t.Errorf("%s: %v, want INVALID_ARGUMENT", tc.name, err)
		}
		if len(se.FieldViolations) != 1 || se.FieldViolations[0].Field != tc.field {
			t.Errorf("%s: field violations %+v, want %s", tc.name, se.FieldViolations, tc.field)
		}
	}
}
