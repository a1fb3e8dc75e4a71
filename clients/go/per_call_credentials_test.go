package scriptengine_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"google.golang.org/grpc/metadata"

	scriptengine "github.com/scriptengine/scriptengine/clients/go"
	v1 "github.com/scriptengine/scriptengine/gen/go/scriptengine/v1"
)

// A call that carries its own credentials (x-api-key or authorization metadata) runs as the
// principal they name: the client's token is not added on top (the server refuses a call whose two
// headers carry different tokens).
func TestPerCallCredentialsOverrideTheClientsToken(t *testing.T) {
	srv := startServer(t, `[[auth.principals]]
name = "ops"
token = "ops-token-0123456789abcdef"
permissions = ["admin"]

[[auth.principals]]
name = "app"
token = "app-token-0123456789abcdef"
`)
	c := dial(t, srv.GRPC, scriptengine.WithToken("ops-token-0123456789abcdef"))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	// Start (admin) on a running engine changes nothing: allowed as ops, denied as app.
	start := func(ctx context.Context) error {
		_, err := c.Scripts.Start(ctx, &v1.StartRequest{})
		return err
	}
	if err := start(ctx); err != nil {
		t.Fatalf("as the client's ops token: %v", err)
	}
	for name, kv := range map[string][]string{
		"x-api-key":     {"x-api-key", "app-token-0123456789abcdef"},
		"authorization": {"authorization", "Bearer app-token-0123456789abcdef"},
	} {
		if err := start(metadata.AppendToOutgoingContext(ctx, kv...)); !errors.Is(err, scriptengine.ErrPermissionDenied) {
			t.Errorf("per-call %s of app: %v, want PERMISSION_DENIED (the call runs as app)", name, err)
		}
	}
	if err := start(metadata.AppendToOutgoingContext(ctx, "x-api-key", "wrong-token-0123456789abcdef")); !errors.Is(err, scriptengine.ErrUnauthenticated) {
		t.Errorf("per-call x-api-key that is no principal's: %v, want UNAUTHENTICATED", err)
	}
	// Streams too.
	for _, err := range c.Subscribe(metadata.AppendToOutgoingContext(ctx, "x-api-key", "wrong-token-0123456789abcdef"), scriptengine.SubscribeOptions{}) {
		if !errors.Is(err, scriptengine.ErrUnauthenticated) {
			t.Errorf("Subscribe with a per-call x-api-key that is no principal's: %v, want UNAUTHENTICATED", err)
		}
		break
	}
}
