package scriptengine_test

import (
	"context"
	"errors"
	"testing"
	"time"

	scriptengine "github.com/scriptengine/scriptengine/clients/go"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// StandardHealth is the grpc.health.v1 check, as the TypeScript and Python SDKs offer it: no token
// needed (the server requires one here), typed errors for an unknown service.
func TestStandardHealth(t *testing.T) {
	srv := startServer(t, "[[auth.principals]]\nname = \"ops\"\ntoken = \"admin-token-0123456789\"\npermissions = [\"admin\"]\n")
	c := dial(t, srv.GRPC)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := c.Health(ctx); !errors.Is(err, scriptengine.ErrUnauthenticated) {
		t.Fatalf("the engine's own health without a token: %v, want ErrUnauthenticated", err)
	}
	for _, service := range []string{"", "scriptengine.v1.ScriptService"} {
		got, err := c.StandardHealth(ctx, service)
		if err != nil || got != healthpb.HealthCheckResponse_SERVING {
			t.Fatalf("StandardHealth(%q) = %v, %v; want SERVING", service, got, err)
		}
	}
	if _, err := c.StandardHealth(ctx, "no.such.Service"); !errors.Is(err, scriptengine.ErrNotFound) {
		t.Fatalf("an unknown service: %v, want ErrNotFound", err)
	}
}
