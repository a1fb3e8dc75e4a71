package scriptengine

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"google.golang.org/grpc"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/metadata"
)

// RetryPolicy governs retries of idempotent calls that fail with UNAVAILABLE: exponential
// backoff with jitter, never shorter than the server's RetryInfo delay, within the call's deadline.
type RetryPolicy struct {
	// MaxAttempts counts the first attempt; 1 disables retries. Default 4; zero means the
	// default, a negative one makes Dial fail.
	MaxAttempts int
	// InitialBackoff doubles each attempt up to MaxBackoff. Defaults 100 ms and 2 s; zero means
	// the default, a negative one makes Dial fail.
	InitialBackoff time.Duration
	MaxBackoff     time.Duration
}

// DefaultRetryPolicy is used unless WithRetry says otherwise.
var DefaultRetryPolicy = RetryPolicy{MaxAttempts: 4, InitialBackoff: 100 * time.Millisecond, MaxBackoff: 2 * time.Second}

// RetryEvent describes one retry, for WithRetryHook.
type RetryEvent struct {
	Method  string
	Attempt int
	Delay   time.Duration
	Err     error
}

type options struct {
	tls              *tls.Config
	token            string
	defaultTimeout   time.Duration
	executionTimeout time.Duration
	retry            RetryPolicy
	onRetry          func(RetryEvent)
	keepalive        keepalive.ClientParameters
	dialOptions      []grpc.DialOption
	// closing is the client's, closed by Close: the unary interceptor's retry backoff ends at once.
	closing <-chan struct{}
}

// DefaultKeepalive is used unless WithKeepalive says otherwise: without pings a stream to a server
// that stops answering without closing its connection (frozen, or a host gone without a reset) waits
// forever, as TCP alone sees nothing wrong; with them it fails Unavailable and Subscribe and Watch resume.
var DefaultKeepalive = keepalive.ClientParameters{Time: 30 * time.Second, Timeout: 10 * time.Second, PermitWithoutStream: true}

// Option configures Dial.
type Option func(*options)

// WithTLS connects over TLS (nil config: system roots). Without it the connection is plaintext.
func WithTLS(config *tls.Config) Option {
	return func(o *options) {
		if config == nil {
			config = &tls.Config{MinVersion: tls.VersionTLS12}
		}
		o.tls = config
	}
}

// WithToken sends "authorization: Bearer <token>" on every call but one whose outgoing metadata
// carries its own authorization or x-api-key. A token is visible ASCII: one with any other byte (the
// newline `echo $TOKEN > file` leaves, a space, a non-ASCII letter), which no header can carry, makes
// Dial fail, naming its offset.
func WithToken(token string) Option { return func(o *options) { o.token = token } }

// WithDefaultTimeout is the deadline of unary calls whose context has none (default 30 s). Zero
// sets none, as most gRPC clients read an unset timeout (the server's own limits still hold); a
// negative one makes Dial fail. A context whose deadline has passed fails ErrTimeout at once.
func WithDefaultTimeout(d time.Duration) Option { return func(o *options) { o.defaultTimeout = d } }

// WithExecutionTimeout is the default deadline of ExecuteScript, RunScript, MigrateTool and
// ValidateMigration (default 120 s; zero: none, as for WithDefaultTimeout).
func WithExecutionTimeout(d time.Duration) Option { return func(o *options) { o.executionTimeout = d } }

// WithRetry replaces the retry policy; WithRetry(RetryPolicy{MaxAttempts: 1}) disables retries.
func WithRetry(p RetryPolicy) Option { return func(o *options) { o.retry = p } }

// WithRetryHook is called before each retry (logging, metrics, tests).
func WithRetryHook(f func(RetryEvent)) Option { return func(o *options) { o.onRetry = f } }

// WithKeepalive replaces the HTTP/2 ping policy (grpc-go pings no more often than every 10 s); a
// zero Time sends no pings, a zero Timeout is DefaultKeepalive's (10 s, as in the TypeScript SDK;
// grpc-go's own would be 20 s), a negative Time or Timeout makes Dial fail.
func WithKeepalive(p keepalive.ClientParameters) Option { return func(o *options) { o.keepalive = p } }

// WithDialOptions adds grpc-go dial options (keepalive, message sizes, interceptors, ...).
func WithDialOptions(opts ...grpc.DialOption) Option {
	return func(o *options) { o.dialOptions = append(o.dialOptions, opts...) }
}

func buildOptions(opts []Option) (options, error) {
	o := options{defaultTimeout: 30 * time.Second, executionTimeout: 120 * time.Second, retry: DefaultRetryPolicy, keepalive: DefaultKeepalive}
	for _, opt := range opts {
		opt(&o)
	}
	// A negative value would otherwise pass unnoticed: a backoff read as the default, a deadline
	// failing every call at once, a keepalive Time turning the pings off, a keepalive Timeout given to
	// grpc-go as is, a MaxAttempts disabling retries. Zero keeps its meaning (MaxAttempts, backoffs and
	// keepalive Timeout: the default; timeouts: no deadline; keepalive Time: no pings).
	// grpc-go would fail every call INTERNAL "header key ... contains value with non-printable ASCII
	// characters" instead.
	if err := checkToken(o.token); err != nil {
		return o, err
	}
	if o.retry.MaxAttempts < 0 {
		return o, fmt.Errorf("scriptengine: RetryPolicy.MaxAttempts must not be negative, not %d", o.retry.MaxAttempts)
	}
	for _, d := range []struct {
		name  string
		value time.Duration
	}{
		{"WithDefaultTimeout", o.defaultTimeout},
		{"WithExecutionTimeout", o.executionTimeout},
		{"RetryPolicy.InitialBackoff", o.retry.InitialBackoff},
		{"RetryPolicy.MaxBackoff", o.retry.MaxBackoff},
		{"WithKeepalive Time", o.keepalive.Time},
		{"WithKeepalive Timeout", o.keepalive.Timeout},
	} {
		if d.value < 0 {
			return o, fmt.Errorf("scriptengine: %s must not be negative, not %v", d.name, d.value)
		}
	}
	if o.keepalive.Timeout == 0 {
		o.keepalive.Timeout = DefaultKeepalive.Timeout
	}
	if o.retry.MaxAttempts == 0 {
		o.retry.MaxAttempts = DefaultRetryPolicy.MaxAttempts
	}
	if o.retry.InitialBackoff <= 0 {
		o.retry.InitialBackoff = DefaultRetryPolicy.InitialBackoff
	}
	if o.retry.MaxBackoff <= 0 {
		o.retry.MaxBackoff = DefaultRetryPolicy.MaxBackoff
	}
	return o, nil
}

// checkToken refuses a token a header cannot carry: one with a byte outside visible ASCII. It says
// where, never the token.
func checkToken(token string) error {
	for i := range len(token) {
		if b := token[i]; b < 0x21 || b > 0x7e {
			return fmt.Errorf("scriptengine: WithToken: the token holds a character a header cannot carry at offset %d (%s): a token is visible ASCII", i, charAt(token, i))
		}
	}
	return nil
}

// charAt names the character at byte offset i of s for an error ("U+000A", "byte 0xFF, not UTF-8"),
// without showing s.
func charAt(s string, i int) string {
	b := s[i]
	if b < 0x80 {
		return fmt.Sprintf("U+%04X", b)
	}
	if r, size := utf8.DecodeRuneInString(s[i:]); size > 1 {
		return fmt.Sprintf("U+%04X", r)
	}
	return fmt.Sprintf("byte 0x%02X, not UTF-8", b)
}

// checkMetadata refuses the call's outgoing metadata that a header cannot carry, which grpc-go
// fails INTERNAL with nothing sent, though the fault is the caller's: an INVALID_ARGUMENT *Error
// naming the key (never the value), as the TS and Python SDKs refuse it. A key is lowercase
// letters, digits, "-", "_" and "." (grpc-go lowercases what AppendToOutgoingContext and
// metadata.Pairs are given); a value, unless its key ends in "-bin", printable ASCII.
func checkMetadata(ctx context.Context) error {
	md, _ := metadata.FromOutgoingContext(ctx)
	for key, values := range md {
		if err := metadataError(key, values); err != nil {
			return invalidRequest("", err.Error(), err)
		}
	}
	return nil
}

func metadataError(key string, values []string) error {
	if key == "" {
		return errors.New("metadata has an empty key")
	}
	if key[0] == ':' { // a pseudo-header, which grpc-go leaves out
		return nil
	}
	for i := range len(key) {
		if b := key[i]; (b < 'a' || b > 'z') && (b < '0' || b > '9') && b != '-' && b != '_' && b != '.' {
			return fmt.Errorf("metadata key %q is not one a header can carry: lowercase letters, digits, '-', '_' and '.' only", key)
		}
	}
	if strings.HasSuffix(key, "-bin") {
		return nil
	}
	for _, v := range values {
		for i := range len(v) {
			if b := v[i]; b < 0x20 || b > 0x7e {
				return fmt.Errorf("metadata %q: the value holds a character a header cannot carry at offset %d (%s); only a key ending in -bin carries binary", key, i, charAt(v, i))
			}
		}
	}
	return nil
}
