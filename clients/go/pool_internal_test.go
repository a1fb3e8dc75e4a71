package scriptengine

import (
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// A call made after close while every connection is full gets the first, closed, connection (and
// fails as grpc-go fails it), not a new connection that nothing would ever close.
func TestPoolOpensNothingOnceClosed(t *testing.T) {
	opened := 0
	p, err := newConnPool(func() (*grpc.ClientConn, error) {
		opened++
		return grpc.NewClient("passthrough:///scriptengine", grpc.WithTransportCredentials(insecure.NewCredentials()))
	})
	if err != nil {
		t.Fatal(err)
	}
	for range CallsPerConnection {
		p.acquire() // calls still in flight when the client closes
	}
	if err := p.close(); err != nil {
		t.Fatal(err)
	}
	cc, release := p.acquire()
	defer release()
	if cc != p.first() || opened != 1 {
		t.Fatalf("after close: %d connections opened, the call on the first: %v; want 1 and true", opened, cc == p.first())
	}
}
