package scriptengine_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	scriptengine "github.com/scriptengine/scriptengine/clients/go"
	v1 "github.com/scriptengine/scriptengine/gen/go/scriptengine/v1"
)

// Per-call metadata a header cannot carry failed with grpc-go's INTERNAL ("header key ... contains
// illegal characters"), which reads as a server fault. It is the INVALID_ARGUMENT *Error naming the
// key (never the value), nothing sent, on a unary call, a stream, Subscribe and Watch, as the TS
// and Python SDKs refuse it.
func TestCallMetadataNoHeaderCanCarry(t *testing.T) {
	// A server that has none of the services: the calls fail before they reach it.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(srv.Stop)
	c := dial(t, ln.Addr().String(), scriptengine.WithToken("token-0123456789"))
	base, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	calls := map[string]func(context.Context) error{
		"unary": func(ctx context.Context) error {
			_, err := c.Delete(ctx, "id")
			return err
		},
		"stream": func(ctx context.Context) error {
			stream, err := c.Migrations.MigrateDirectory(ctx, &v1.MigrateDirectoryRequest{Directory: "d"})
			if err != nil {
				return err
			}
			_, err = stream.Recv()
			return err
		},
		"Subscribe": func(ctx context.Context) error {
			for _, err := range c.Subscribe(ctx, scriptengine.SubscribeOptions{}) {
				return err
			}
			return nil
		},
		"Watch": func(ctx context.Context) error {
			for _, err := range c.Watch(ctx, scriptengine.WatchOptions{}) {
				return err
			}
			return nil
		},
	}
	for _, tc := range []struct {
		name string
		ctx  context.Context
		want string
	}{
		{"newline in a value", metadata.AppendToOutgoingContext(base, "x-trace", "bad\nvalue"), `metadata "x-trace": the value holds a character a header cannot carry at offset 3 (U+000A)`},
		{"non-ASCII value", metadata.AppendToOutgoingContext(base, "x-user", "j\u00f6rg"), `metadata "x-user": the value holds a character a header cannot carry at offset 1 (U+00F6)`},
		{"space in a key", metadata.AppendToOutgoingContext(base, "Bad Key", "v"), `metadata key "bad key" is not one a header can carry`},
		{"empty key", metadata.NewOutgoingContext(base, metadata.MD{"": {"v"}}), "metadata has an empty key"},
	} {
		for name, call := range calls {
			err := call(tc.ctx)
			var se *scriptengine.Error
			if !errors.Is(err, scriptengine.ErrInvalidArgument) || !errors.As(err, &se) || !strings.Contains(se.Message, tc.want) {
				t.Errorf("%s, %s: %v, want INVALID_ARGUMENT %q", tc.name, name, err, tc.want)
				continue
			}
			if strings.Contains(se.Message, "bad\n") || strings.Contains(se.Message, "rg") {
				t.Errorf("%s, %s: %q shows the value", tc.name, name, se.Message)
			}
		}
	}
	// A binary value under a -bin key, and a pseudo-header grpc-go leaves out, still go: the call
	// reaches the server (which has no ScriptService).
	for _, ctx := range []context.Context{
		metadata.AppendToOutgoingContext(base, "x-trace-bin", "\x00\xff\n"),
		metadata.NewOutgoingContext(base, metadata.MD{":authority": {"h"}}),
	} {
		if _, err := c.Delete(ctx, "id"); !errors.Is(err, scriptengine.ErrUnimplemented) {
			t.Errorf("%v: want UNIMPLEMENTED from the server", err)
		}
	}
}
