package scriptengine

import (
	"context"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	v1 "github.com/scriptengine/scriptengine/gen/go/scriptengine/v1"
)

// ErrorDomain is the domain of the server's google.rpc.ErrorInfo.
const ErrorDomain = "scriptengine.v1"

// Error is every failed call: the gRPC code and message plus the server's ErrorInfo, RetryInfo
// and BadRequest. Branch on it with errors.Is against the sentinels (ErrNotFound, ErrTimeout, ...)
// and read the details with errors.As:
//
//	var se *scriptengine.Error
//	if errors.As(err, &se) && se.Reason == "SCRIPT_NOT_FOUND" { ... }
type Error struct {
	Code    codes.Code
	Message string
	// Reason is ErrorInfo.reason, e.g. "SCRIPT_NOT_FOUND" ("" when the server sent none).
	Reason string
	// Domain is ErrorInfo.domain ("scriptengine.v1" for the server's own errors).
	Domain string
	// Metadata is ErrorInfo.metadata (resource, limit, permission, ...).
	Metadata map[string]string
	// RetryDelay is RetryInfo.retry_delay; HasRetryDelay says whether the server sent one.
	RetryDelay    time.Duration
	HasRetryDelay bool
	// FieldViolations are BadRequest.field_violations: the request fields the server rejected.
	FieldViolations []FieldViolation
	// Output is the end of what a run stopped by a limit printed (TIMEOUT; RESOURCE_EXHAUSTED for
	// memory or output; CANCELLED), at most 1 KiB of each stream: such a call returns no result.
	// Nil when the server sent none (another error, or a worker that died).
	Output *v1.ExecutionOutput

	status *status.Status
	// cause is what the client itself failed on (an argument encoding/json refused), for errors.As.
	cause error
}

// FieldViolation is one invalid request field (google.rpc.BadRequest.FieldViolation).
type FieldViolation struct {
	// Field is the field's path, e.g. "source" or "context.timeout".
	Field string
	// Description says why it is invalid.
	Description string
}

func (e *Error) Error() string {
	if e.Reason != "" {
		return fmt.Sprintf("scriptengine: %s (%s): %s", e.Code, e.Reason, e.Message)
	}
	return fmt.Sprintf("scriptengine: %s: %s", e.Code, e.Message)
}

// GRPCStatus lets status.FromError and status.Code see the original status.
func (e *Error) GRPCStatus() *status.Status { return e.status }

// Unwrap is the client-side cause of an error raised before anything was sent (nil for the server's).
func (e *Error) Unwrap() error { return e.cause }

// Is matches the sentinel of its code, and context.DeadlineExceeded / context.Canceled.
func (e *Error) Is(target error) bool {
	if s, ok := target.(*sentinel); ok {
		return s.code == e.Code
	}
	switch target {
	case context.DeadlineExceeded:
		return e.Code == codes.DeadlineExceeded
	case context.Canceled:
		return e.Code == codes.Canceled
	}
	return false
}

type sentinel struct {
	code codes.Code
	name string
}

func (s *sentinel) Error() string { return "scriptengine: " + s.name }

// Sentinels for errors.Is, one per gRPC code the service uses.
var (
	ErrTimeout            error = &sentinel{codes.DeadlineExceeded, "timeout"}
	ErrResourceExhausted  error = &sentinel{codes.ResourceExhausted, "resource exhausted"}
	ErrNotFound           error = &sentinel{codes.NotFound, "not found"}
	ErrPermissionDenied   error = &sentinel{codes.PermissionDenied, "permission denied"}
	ErrUnauthenticated    error = &sentinel{codes.Unauthenticated, "unauthenticated"}
	ErrUnavailable        error = &sentinel{codes.Unavailable, "unavailable"}
	ErrInvalidArgument    error = &sentinel{codes.InvalidArgument, "invalid argument"}
	ErrFailedPrecondition error = &sentinel{codes.FailedPrecondition, "failed precondition"}
	ErrAlreadyExists      error = &sentinel{codes.AlreadyExists, "already exists"}
	ErrAborted            error = &sentinel{codes.Aborted, "aborted"}
	ErrUnimplemented      error = &sentinel{codes.Unimplemented, "unimplemented"}
	ErrCancelled          error = &sentinel{codes.Canceled, "cancelled"}
	ErrInternal           error = &sentinel{codes.Internal, "internal"}
)

// asError converts a gRPC error into *Error (nil stays nil; an *Error is returned as is).
func asError(err error) error {
	if err == nil {
		return nil
	}
	var se *Error
	if errors.As(err, &se) {
		return err
	}
	st, ok := status.FromError(err)
	if !ok {
		switch {
		case errors.Is(err, context.DeadlineExceeded):
			st = status.New(codes.DeadlineExceeded, err.Error())
		case errors.Is(err, context.Canceled):
			st = status.New(codes.Canceled, err.Error())
		default:
			st = status.New(codes.Unknown, err.Error())
		}
	}
	e := &Error{Code: st.Code(), Message: st.Message(), Metadata: map[string]string{}, status: st}
	for _, d := range st.Details() {
		switch d := d.(type) {
		case *errdetails.ErrorInfo:
			e.Reason, e.Domain = d.GetReason(), d.GetDomain()
			for k, v := range d.GetMetadata() {
				e.Metadata[k] = v
			}
		case *errdetails.RetryInfo:
			e.RetryDelay, e.HasRetryDelay = d.GetRetryDelay().AsDuration(), true
		case *errdetails.BadRequest:
			for _, v := range d.GetFieldViolations() {
				e.FieldViolations = append(e.FieldViolations, FieldViolation{Field: v.GetField(), Description: v.GetDescription()})
			}
		case *v1.ExecutionOutput:
			e.Output = d
		}
	}
	return e
}

// invalidArgument is the INVALID_ARGUMENT *Error for script argument name, which cause keeps from
// being sent: what the server would answer, with a BadRequest naming context.arguments.<name>, as
// the TypeScript and Python SDKs raise it.
func invalidArgument(name string, cause error) *Error {
	return invalidRequest("context.arguments."+name, fmt.Sprintf("argument %q: %v", name, cause), cause)
}

// invalidRequest is the INVALID_ARGUMENT *Error for a request that cause kept from being sent, with
// a BadRequest naming field (none when field is "").
func invalidRequest(field, msg string, cause error) *Error {
	e := &Error{Code: codes.InvalidArgument, Message: msg, Metadata: map[string]string{}, cause: cause}
	e.status = status.New(codes.InvalidArgument, msg)
	if field != "" {
		e.FieldViolations = []FieldViolation{{Field: field, Description: cause.Error()}}
		if withDetails, err := e.status.WithDetails(&errdetails.BadRequest{
			FieldViolations: []*errdetails.BadRequest_FieldViolation{{Field: field, Description: cause.Error()}},
		}); err == nil {
			e.status = withDetails
		}
	}
	return e
}

// requestError is asError for a call that sent req, but for a request protobuf cannot encode (a
// string field that is not valid UTF-8): grpc-go fails it INTERNAL ("error while marshaling"), with
// nothing sent, though the fault is the caller's input, so it is INVALID_ARGUMENT naming the field,
// as an argument the client refuses is.
func requestError(err error, req any) error {
	err = asError(err)
	var se *Error
	m, ok := req.(proto.Message)
	if !ok || !errors.As(err, &se) || se.Code != codes.Internal {
		return err
	}
	// Only on this rare path: the request is encoded again to tell a refused request from the
	// server's own INTERNAL.
	if _, merr := proto.Marshal(m); merr != nil {
		field := invalidUTF8Field(m.ProtoReflect())
		msg := fmt.Sprintf("request: %v", merr)
		if field != "" {
			msg = fmt.Sprintf("field %q: %v", field, merr)
		}
		return invalidRequest(field, msg, merr)
	}
	return err
}

// invalidUTF8Field is the path of a string in m that is not valid UTF-8, in BadRequest's field
// syntax ("event_types[1]", "context.arguments.k.string_value"; a map key itself invalid with its
// invalid bytes as U+FFFD), or "" when there is none.
func invalidUTF8Field(m protoreflect.Message) string {
	var path string
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		name := string(fd.Name())
		switch {
		case fd.IsList():
			for i := range v.List().Len() {
				if sub, bad := invalidUTF8In(fd, v.List().Get(i)); bad {
					path = fmt.Sprintf("%s[%d]%s", name, i, sub)
					break
				}
			}
		case fd.IsMap():
			v.Map().Range(func(k protoreflect.MapKey, mv protoreflect.Value) bool {
				if key := k.String(); !utf8.ValidString(key) {
					path = name + "." + validUTF8(key)
				} else if sub, bad := invalidUTF8In(fd.MapValue(), mv); bad {
					path = name + "." + key + sub
				}
				return path == ""
			})
		default:
			if sub, bad := invalidUTF8In(fd, v); bad {
				path = name + sub
			}
		}
		return path == ""
	})
	return path
}

// invalidUTF8In tells whether v, a value of fd, holds a string that is not valid UTF-8, and where
// in it (".field…" in a message, "" for v itself).
func invalidUTF8In(fd protoreflect.FieldDescriptor, v protoreflect.Value) (string, bool) {
	switch fd.Kind() {
	case protoreflect.StringKind:
		return "", !utf8.ValidString(v.String())
	case protoreflect.MessageKind, protoreflect.GroupKind:
		if sub := invalidUTF8Field(v.Message()); sub != "" {
			return "." + sub, true
		}
	}
	return "", false
}

// ScriptError is returned by the Run and Execute helpers when the script ran to its end and did
// not succeed (it threw, or returned what cannot be sent). It is not an RPC failure; a run stopped
// by a limit (time, memory, output) is one instead, an *Error with Output.
type ScriptError struct {
	Result *v1.ExecutionResult
}

// Kind is why the script failed.
func (e *ScriptError) Kind() v1.ExecutionErrorKind { return e.Result.GetError().GetKind() }

func (e *ScriptError) Error() string {
	x := e.Result.GetError()
	name := x.GetName()
	if name == "" {
		name = "Error"
	}
	return fmt.Sprintf("scriptengine: script failed (%s): %s: %s", e.Kind(), name, x.GetMessage())
}

// EventsLostError ends a subscription whose server reported missed events when no OnLost
// handler was given.
type EventsLostError struct {
	Lost *v1.EventsLost
}

func (e *EventsLostError) Error() string {
	return fmt.Sprintf("scriptengine: missed %d events (sequences %d..%d, %s)", e.Lost.GetMissedCount(),
		e.Lost.GetFirstMissedSequence(), e.Lost.GetLastMissedSequence(), e.Lost.GetReason())
}

// ReconnectError ends a Subscribe or Watch that gave up: its MaxReconnects reconnects in a row
// failed, the last with Err (errors.Is and errors.As see through to it: ErrUnavailable, *Error).
type ReconnectError struct {
	// Reconnects is how many reconnects in a row failed.
	Reconnects int
	Err        error
}

func (e *ReconnectError) Error() string {
	return fmt.Sprintf("scriptengine: gave up after %d failed reconnects: %v", e.Reconnects, e.Err)
}

func (e *ReconnectError) Unwrap() error { return e.Err }
