package scriptengine_test

import (
	"testing"

	scriptengine "github.com/scriptengine/scriptengine/clients/go"
)

// Close is idempotent: a second Close (a deferred one after an explicit one), or one after closing
// Conn, returned grpc-go's raw CANCELLED status "the client connection is closing".
func TestCloseTwiceIsNoError(t *testing.T) {
	c, err := scriptengine.Dial("127.0.0.1:1")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("first Close: %v", err)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	c, err = scriptengine.Dial("127.0.0.1:1")
	if err != nil {
		t.Fatal(err)
	}
	_ = c.Conn().Close()
	if err := c.Close(); err != nil {
		t.Fatalf("Close after Conn().Close(): %v", err)
	}
}
