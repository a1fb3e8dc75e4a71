// Package scriptengine is the Go client of the ScriptEngine service: one typed client per
// service over grpc-go, default deadlines, a bearer token, typed errors carrying the server's
// ErrorInfo, retries of idempotent calls on UNAVAILABLE, a resuming event subscription and
// helpers for the common path (Run, Execute, Migrate).
package scriptengine

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"

	v1 "github.com/scriptengine/scriptengine/gen/go/scriptengine/v1"
)

// Client holds its connections (another opens when CallsPerConnection calls are in flight on each)
// and a typed client per service. The service clients are the
// generated ones, so every RPC is available; they already apply this package's deadlines,
// token, retries and error types.
type Client struct {
	Scripts    v1.ScriptServiceClient
	Migrations v1.MigrationServiceClient
	Events     v1.EventServiceClient
	Registry   v1.RegistryServiceClient
	Tools      v1.ToolServiceClient

	conn  *grpc.ClientConn
	conns *connPool
	opts  options
	// closing is closed by Close: a Subscribe or Watch waiting out a reconnect backoff ends at once.
	closing   chan struct{}
	closeOnce sync.Once
}

// MaxResponseBytes is the largest response the server sends (its gRPC send limit): results whose
// outputs the server's configuration lets grow past the defaults exceed grpc-go's 4 MiB default.
const MaxResponseBytes = 64 << 20

// Dial connects to the server's gRPC port ("127.0.0.1:50051"). The connection is lazy: errors
// surface on the first call. An empty (or blank) address, a negative timeout or backoff option and
// a token no header can carry are errors here.
func Dial(address string, opts ...Option) (*Client, error) {
	// An address read from an unset variable: every call would fail UNAVAILABLE ("missing address")
	// and be retried, and Subscribe and Watch reconnect, as if the server were down.
	if strings.TrimSpace(address) == "" {
		return nil, fmt.Errorf("scriptengine: Dial: the address must be a server's host:port (e.g. 127.0.0.1:50051), not %q", address)
	}
	o, err := buildOptions(opts)
	if err != nil {
		return nil, err
	}
	closing := make(chan struct{})
	o.closing = closing
	creds := insecure.NewCredentials()
	if o.tls != nil {
		creds = credentials.NewTLS(o.tls)
	}
	dial := []grpc.DialOption{
		grpc.WithTransportCredentials(creds),
		// The server sends up to MaxResponseBytes; grpc-go receives 4 MiB by default.
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(MaxResponseBytes)),
		grpc.WithChainUnaryInterceptor(o.unaryInterceptor),
		grpc.WithChainStreamInterceptor(o.streamInterceptor),
		// grpc-go waits up to 120 s between connection attempts after a long outage, failing the
		// calls that are not retried meanwhile; a few seconds is enough to spare a server that is down.
		grpc.WithConnectParams(grpc.ConnectParams{Backoff: connectBackoff, MinConnectTimeout: 20 * time.Second}),
	}
	// grpc-go raises a Time under 10 s to 10 s, so a zero Time would ping every 10 s: it means none.
	if o.keepalive.Time > 0 {
		dial = append(dial, grpc.WithKeepaliveParams(o.keepalive))
	}
	dial = append(dial, o.dialOptions...)
	conns, err := newConnPool(func() (*grpc.ClientConn, error) { return grpc.NewClient(address, dial...) })
	if err != nil {
		return nil, err
	}
	return &Client{
		Scripts:    v1.NewScriptServiceClient(conns),
		Migrations: v1.NewMigrationServiceClient(conns),
		Events:     v1.NewEventServiceClient(conns),
		Registry:   v1.NewRegistryServiceClient(conns),
		Tools:      v1.NewToolServiceClient(conns),
		conn:       conns.first(),
		conns:      conns,
		opts:       o,
		closing:    closing,
	}, nil
}

// connectBackoff is grpc-go's default connection backoff with the longest wait cut from 120 s to 5 s.
var connectBackoff = func() backoff.Config {
	c := backoff.DefaultConfig
	c.MaxDelay = 5 * time.Second
	return c
}()

// Close closes the connections. Calls in flight fail with ErrCancelled (one waiting out a retry
// backoff at once); a Subscribe or Watch iterating meanwhile just ends, as when its ctx is cancelled.
// Closing again (or after closing Conn) returns nil.
func (c *Client) Close() error {
	c.closeOnce.Do(func() { close(c.closing) })
	return c.conns.close()
}

// Conn is the first underlying connection (for the standard health client, reflection, ...).
func (c *Client) Conn() *grpc.ClientConn { return c.conn }

// IdempotentMethods are the only calls retried on UNAVAILABLE (full method names): those whose repeat
// succeeds and changes nothing more, as the contract declares them (idempotency_level NO_SIDE_EFFECTS
// or IDEMPOTENT in proto/). Deregister and Unsubscribe are not among them: repeated after a lost
// reply, they would report NOT_FOUND for what the first attempt did.
var IdempotentMethods = idempotentMethods()

// idempotentMethods reads the declared levels from the generated descriptors of every service.
func idempotentMethods() map[string]bool {
	methods := map[string]bool{}
	pkg := v1.File_scriptengine_v1_script_service_proto.Package()
	protoregistry.GlobalFiles.RangeFilesByPackage(pkg, func(file protoreflect.FileDescriptor) bool {
		for i := range file.Services().Len() {
			service := file.Services().Get(i)
			for j := range service.Methods().Len() {
				method := service.Methods().Get(j)
				opts, _ := method.Options().(*descriptorpb.MethodOptions)
				if opts.GetIdempotencyLevel() != descriptorpb.MethodOptions_IDEMPOTENCY_UNKNOWN {
					methods["/"+string(service.FullName())+"/"+string(method.Name())] = true
				}
			}
		}
		return true
	})
	return methods
}

var longMethods = map[string]bool{
	"/scriptengine.v1.ScriptService/ExecuteScript":        true,
	"/scriptengine.v1.ScriptService/RunScript":            true,
	"/scriptengine.v1.MigrationService/MigrateTool":       true,
	"/scriptengine.v1.MigrationService/ValidateMigration": true,
}

// withToken adds the client's token unless the call carries credentials of its own: an
// authorization or an x-api-key header (the server refuses a call whose two headers carry
// different tokens, so adding ours would fail the caller's key).
func (o *options) withToken(ctx context.Context) context.Context {
	if o.token == "" {
		return ctx
	}
	if md, ok := metadata.FromOutgoingContext(ctx); ok && (len(md.Get("authorization")) > 0 || len(md.Get("x-api-key")) > 0) {
		return ctx
	}
	return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+o.token)
}

func (o *options) backoff(attempt int, serverDelay time.Duration) time.Duration {
	d := o.retry.InitialBackoff << (attempt - 1)
	if d > o.retry.MaxBackoff || d <= 0 {
		d = o.retry.MaxBackoff
	}
	d = d/2 + time.Duration(rand.Int64N(int64(d/2)+1))
	return max(d, serverDelay)
}

func (o *options) unaryInterceptor(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, callOpts ...grpc.CallOption) error {
	timeout := o.defaultTimeout
	if longMethods[method] {
		timeout = o.executionTimeout
	}
	// A zero timeout sets no deadline (it used to fail every call at once), as in the TS and Python clients.
	if _, ok := ctx.Deadline(); !ok && timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	ctx = o.withToken(ctx)
	if err := checkMetadata(ctx); err != nil {
		return err
	}
	for attempt := 1; ; attempt++ {
		err := requestError(invoker(ctx, method, req, reply, cc, callOpts...), req)
		if err == nil || !IdempotentMethods[method] || attempt >= o.retry.MaxAttempts || ctx.Err() != nil {
			return err
		}
		se := err.(*Error)
		if se.Code != ErrUnavailable.(*sentinel).code {
			return err
		}
		delay := o.backoff(attempt, se.RetryDelay)
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) <= delay {
			return err
		}
		if o.onRetry != nil {
			o.onRetry(RetryEvent{Method: method, Attempt: attempt, Delay: delay, Err: err})
		}
		// A connection that failed waits out its backoff (growing to seconds in a long outage)
		// before it tries again, failing every call at once meanwhile: the retry could not reach a
		// server that came back. It tries again now, while we wait.
		cc.ResetConnectBackoff()
		select {
		case <-ctx.Done():
			return err
		case <-o.closing: // the next attempt would fail so on the closed connection: fail now
			return asError(errClientClosing)
		case <-time.After(delay):
		}
	}
}

// errClientClosing is what grpc-go fails a call with on a closed connection.
var errClientClosing = status.Error(codes.Canceled, "grpc: the client connection is closing")

func (o *options) streamInterceptor(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, callOpts ...grpc.CallOption) (grpc.ClientStream, error) {
	ctx = o.withToken(ctx)
	if err := checkMetadata(ctx); err != nil {
		return nil, err
	}
	s, err := streamer(ctx, desc, cc, method, callOpts...)
	if err != nil {
		return nil, asError(err)
	}
	return typedStream{s}, nil
}

// typedStream makes every error of a stream an *Error. io.EOF stays: from RecvMsg it is the
// stream's clean end, from SendMsg the sign that the stream ended, its status for RecvMsg to read.
type typedStream struct{ grpc.ClientStream }

func (s typedStream) RecvMsg(m any) error {
	err := s.ClientStream.RecvMsg(m)
	if err == nil || err == io.EOF {
		return err
	}
	return asError(err)
}

func (s typedStream) SendMsg(m any) error {
	err := s.ClientStream.SendMsg(m)
	if err == nil || err == io.EOF {
		return err
	}
	return requestError(err, m)
}

func (s typedStream) CloseSend() error { return asError(s.ClientStream.CloseSend()) }

func (s typedStream) Header() (metadata.MD, error) {
	md, err := s.ClientStream.Header()
	return md, asError(err)
}
