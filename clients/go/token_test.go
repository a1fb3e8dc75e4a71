package scriptengine_test

import (
	"strings"
	"testing"

	scriptengine "github.com/scriptengine/scriptengine/clients/go"
)

// A token no header can carry (the newline `echo $TOKEN > file` leaves, a space, a non-ASCII letter)
// failed every call INTERNAL "header key "authorization" contains value with non-printable ASCII
// characters". Dial refuses it, saying where, never the token.
func TestDialRefusesATokenNoHeaderCanCarry(t *testing.T) {
	const secret = "billing-token-0123456789"
	for token, want := range map[string]string{
		secret + "\n":                "at offset 24 (U+000A)",
		"Bearer " + secret:           "at offset 6 (U+0020)",
		"t\u00f6ken-" + secret:       "at offset 1 (U+00F6)",
		secret[:4] + "\xff" + secret: "at offset 4 (byte 0xFF, not UTF-8)",
		"\x00" + secret:              "at offset 0 (U+0000)",
		secret + "\x7f":              "at offset 24 (U+007F)",
	} {
		c, err := scriptengine.Dial("127.0.0.1:1", scriptengine.WithToken(token))
		if err == nil {
			_ = c.Close()
			t.Errorf("%q: Dial succeeded", token)
			continue
		}
		if !strings.Contains(err.Error(), "WithToken") || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), secret[8:]) {
			t.Errorf("%q: %v, want WithToken and %q, without the token", token, err, want)
		}
	}
	for _, token := range []string{"", secret, "!~" + secret} {
		c, err := scriptengine.Dial("127.0.0.1:1", scriptengine.WithToken(token))
		if err != nil {
			t.Errorf("%q: %v", token, err)
			continue
		}
		_ = c.Close()
	}
}
