package scriptengine

import (
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/keepalive"
)

// A negative timeout, backoff, keepalive duration or MaxAttempts makes Dial fail, naming the option;
// before, a negative MaxAttempts disabled retries, a negative backoff was read as the default, a negative deadline failed every call at once, a negative
// keepalive Time sent no pings and a negative Timeout went to grpc-go, with nothing said at Dial.
// Zero keeps its meaning: a zero backoff or MaxAttempts is the default.
func TestDialRefusesNegativeTimeoutsRetriesAndKeepalive(t *testing.T) {
	for _, tc := range []struct {
		name string
		opt  Option
	}{
		{"WithDefaultTimeout", WithDefaultTimeout(-time.Second)},
		{"WithExecutionTimeout", WithExecutionTimeout(-1)},
		{"RetryPolicy.MaxAttempts", WithRetry(RetryPolicy{MaxAttempts: -1})},
		{"RetryPolicy.InitialBackoff", WithRetry(RetryPolicy{MaxAttempts: 4, InitialBackoff: -time.Millisecond})},
		{"RetryPolicy.MaxBackoff", WithRetry(RetryPolicy{MaxAttempts: 4, MaxBackoff: -time.Second})},
		{"WithKeepalive Time", WithKeepalive(keepalive.ClientParameters{Time: -time.Second, Timeout: time.Second})},
		{"WithKeepalive Timeout", WithKeepalive(keepalive.ClientParameters{Time: 30 * time.Second, Timeout: -1})},
	} {
		c, err := Dial("127.0.0.1:1", tc.opt)
		if err == nil {
			c.Close()
			t.Errorf("%s: Dial accepted a negative value", tc.name)
			continue
		}
		if !strings.Contains(err.Error(), tc.name) {
			t.Errorf("%s: the error does not name the option: %v", tc.name, err)
		}
	}
}

// A zero field of a RetryPolicy is the default, MaxAttempts (4) too: a Go zero value is a field left
// out, which the TS and Python SDKs read as their default too (a policy that sets only the backoff
// kept no retries). MaxAttempts 1 is "no retries".
func TestDialTakesZeroRetryFieldsAsTheDefault(t *testing.T) {
	for _, p := range []RetryPolicy{{}, {MaxAttempts: 4}} {
		c, err := Dial("127.0.0.1:1", WithRetry(p))
		if err != nil {
			t.Fatal(err)
		}
		c.Close()
		if c.opts.retry != DefaultRetryPolicy {
			t.Errorf("WithRetry(%+v) is %+v, want the default %+v", p, c.opts.retry, DefaultRetryPolicy)
		}
	}
}

// A zero keepalive Timeout is the SDK's default, 10 s, as in the TypeScript SDK; before, it went to
// grpc-go, whose own default is 20 s.
func TestZeroKeepaliveTimeoutIsTheDefault(t *testing.T) {
	o, err := buildOptions([]Option{WithKeepalive(keepalive.ClientParameters{Time: 30 * time.Second})})
	if err != nil {
		t.Fatal(err)
	}
	if o.keepalive.Timeout != 10*time.Second {
		t.Fatalf("keepalive Timeout %v, want 10s", o.keepalive.Timeout)
	}
}
