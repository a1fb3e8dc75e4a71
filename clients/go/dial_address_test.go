package scriptengine_test

import (
	"strings"
	"testing"

	scriptengine "github.com/scriptengine/scriptengine/clients/go"
)

// Dial("") (an address read from an unset variable) succeeded, and every call then failed
// UNAVAILABLE and was retried, Subscribe and Watch reconnecting, as if the server were down. Dial
// refuses an empty or blank address, as the Python SDK does.
func TestDialRefusesAnEmptyAddress(t *testing.T) {
	for _, address := range []string{"", "  ", "\t\n"} {
		c, err := scriptengine.Dial(address)
		if err == nil {
			_ = c.Close()
			t.Errorf("Dial(%q) succeeded", address)
			continue
		}
		if !strings.Contains(err.Error(), "address") {
			t.Errorf("Dial(%q): %v, want an error naming the address", address, err)
		}
	}
	c, err := scriptengine.Dial("127.0.0.1:1")
	if err != nil {
		t.Fatal(err)
	}
	_ = c.Close()
}
