"""Typed errors: every failed call raises a ScriptEngineError subclass chosen by its gRPC code,
carrying the server's google.rpc.ErrorInfo (reason, domain, metadata), RetryInfo delay and
BadRequest field violations."""

from __future__ import annotations

import builtins
from typing import Any, Mapping, NamedTuple, Optional, Sequence

import grpc
from google.protobuf import any_pb2
from google.rpc import error_details_pb2, status_pb2
from scriptengine.v1 import errors_pb2

ERROR_DOMAIN = "scriptengine.v1"
_STATUS_DETAILS_KEY = "grpc-status-details-bin"


class FieldViolation(NamedTuple):
    """One invalid request field (google.rpc.BadRequest.FieldViolation)."""

    field: str
    """The field's path, e.g. "source" or "context.timeout"."""
    description: str
    """Why it is invalid."""


def _rebuilt(cls: type[BaseException], args: tuple[Any, ...], state: dict[str, Any]) -> BaseException:
    """An SDK exception as pickled: made without __init__ (its ``args`` hold the formatted text, not
    what __init__ takes), its text and every field set back as they were."""
    err = cls.__new__(cls, *args)
    err.args = args  # OSError's __new__ (TimeoutError) leaves them to __init__
    err.__dict__.update(state)
    return err


class _Picklable(Exception):
    """Pickles and copies with every field. An exception pickles as its type and ``args``, called
    again, and these take other arguments than the text ``args`` holds: a pickled one failed to
    rebuild, so an error raised in a ProcessPoolExecutor worker broke the pool instead of reaching
    the caller."""

    def __reduce__(self) -> tuple[Any, ...]:
        return _rebuilt, (type(self), self.args, self.__dict__)


class ScriptEngineError(_Picklable):
    """A failed call. ``code`` is a grpc.StatusCode; ``reason``/``domain``/``metadata`` come from
    ErrorInfo; ``retry_delay`` (seconds) from RetryInfo, or None; ``field_violations`` from
    BadRequest; ``details`` holds every google.rpc.Status detail as sent (``Any`` messages)."""

    def __init__(self, code: grpc.StatusCode, message: str, *, reason: str = "", domain: str = "",
                 metadata: Optional[Mapping[str, str]] = None, retry_delay: Optional[float] = None,
                 field_violations: Sequence[FieldViolation] = (), details: Sequence[any_pb2.Any] = ()) -> None:
        super().__init__(f"{code.name}: {message}" + (f" ({reason})" if reason else ""))
        self.code = code
        self.message = message
        self.reason = reason
        self.domain = domain
        self.metadata = dict(metadata or {})
        self.retry_delay = retry_delay
        self.field_violations = list(field_violations)
        self.details = list(details)

    @property
    def code_name(self) -> str:
        """The canonical code name, e.g. "NOT_FOUND"."""
        return self.code.name

    @property
    def output(self) -> Optional[errors_pb2.ExecutionOutput]:
        """The end of what a run stopped by a limit printed (TIMEOUT; RESOURCE_EXHAUSTED for memory
        or output; CANCELLED), at most 1 KiB of each stream: such a call returns no result. None when
        the server sent none (another error, or a worker that died)."""
        for detail in self.details:
            if detail.Is(errors_pb2.ExecutionOutput.DESCRIPTOR):
                out = errors_pb2.ExecutionOutput()
                detail.Unpack(out)
                return out
        return None


class TimeoutError(ScriptEngineError, builtins.TimeoutError):  # noqa: A001 - also a builtin TimeoutError
    """DEADLINE_EXCEEDED: the call's deadline passed, or the server's own time limit did."""


class ResourceExhaustedError(ScriptEngineError):
    """RESOURCE_EXHAUSTED: a limit, quota or full queue; see ``retry_delay``."""


class NotFoundError(ScriptEngineError):
    """NOT_FOUND: script, tool, migration, service, subscription or lease."""


class PermissionDeniedError(ScriptEngineError):
    """PERMISSION_DENIED: the principal lacks a permission or level."""


class UnauthenticatedError(ScriptEngineError):
    """UNAUTHENTICATED: missing or wrong token."""


class UnavailableError(ScriptEngineError):
    """UNAVAILABLE: unreachable server or stopped engine. Idempotent calls are retried."""


class InvalidArgumentError(ScriptEngineError):
    """INVALID_ARGUMENT: a bad request or a script that does not compile."""


class FailedPreconditionError(ScriptEngineError):
    """FAILED_PRECONDITION."""


class AlreadyExistsError(ScriptEngineError):
    """ALREADY_EXISTS."""


class AbortedError(ScriptEngineError):
    """ABORTED."""


class UnimplementedError(ScriptEngineError):
    """UNIMPLEMENTED: this server build does not offer the RPC."""


class CancelledError(ScriptEngineError):
    """CANCELLED."""


class InternalError(ScriptEngineError):
    """INTERNAL or UNKNOWN."""


_CLASSES = {
    grpc.StatusCode.DEADLINE_EXCEEDED: TimeoutError,
    grpc.StatusCode.RESOURCE_EXHAUSTED: ResourceExhaustedError,
    grpc.StatusCode.NOT_FOUND: NotFoundError,
    grpc.StatusCode.PERMISSION_DENIED: PermissionDeniedError,
    grpc.StatusCode.UNAUTHENTICATED: UnauthenticatedError,
    grpc.StatusCode.UNAVAILABLE: UnavailableError,
    grpc.StatusCode.INVALID_ARGUMENT: InvalidArgumentError,
    grpc.StatusCode.FAILED_PRECONDITION: FailedPreconditionError,
    grpc.StatusCode.ALREADY_EXISTS: AlreadyExistsError,
    grpc.StatusCode.ABORTED: AbortedError,
    grpc.StatusCode.UNIMPLEMENTED: UnimplementedError,
    grpc.StatusCode.CANCELLED: CancelledError,
    grpc.StatusCode.INTERNAL: InternalError,
    grpc.StatusCode.UNKNOWN: InternalError,
}


def from_rpc_error(err: Any) -> ScriptEngineError:
    """Converts a grpc.RpcError (sync or aio) into the typed error."""
    if isinstance(err, ScriptEngineError):
        return err
    code = err.code() if callable(getattr(err, "code", None)) else grpc.StatusCode.UNKNOWN
    message = (err.details() if callable(getattr(err, "details", None)) else str(err)) or ""
    reason = domain = ""
    metadata: dict[str, str] = {}
    retry_delay: Optional[float] = None
    field_violations: list[FieldViolation] = []
    details: list[any_pb2.Any] = []
    trailers = err.trailing_metadata() if callable(getattr(err, "trailing_metadata", None)) else None
    for key, value in trailers or ():
        if key != _STATUS_DETAILS_KEY:
            continue
        status = status_pb2.Status.FromString(value)
        details.extend(status.details)
        for detail in status.details:
            if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
                info = error_details_pb2.ErrorInfo()
                detail.Unpack(info)
                reason, domain, metadata = info.reason, info.domain, dict(info.metadata)
            elif detail.Is(error_details_pb2.RetryInfo.DESCRIPTOR):
                retry = error_details_pb2.RetryInfo()
                detail.Unpack(retry)
                retry_delay = retry.retry_delay.ToTimedelta().total_seconds()
            elif detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
                bad = error_details_pb2.BadRequest()
                detail.Unpack(bad)
                field_violations += [FieldViolation(v.field, v.description) for v in bad.field_violations]
    cls = _CLASSES.get(code, ScriptEngineError)
    return cls(code, message, reason=reason, domain=domain, metadata=metadata, retry_delay=retry_delay,
               field_violations=field_violations, details=details)


class ScriptFailedError(_Picklable):
    """Raised by ``run``/``execute`` when the script ran to its end and did not succeed (it threw, or
    returned what cannot be sent). Not an RPC failure; ``result`` is the full ExecutionResult. A run
    stopped by a limit (time, memory, output) is an RPC error instead, with ``output``."""

    def __init__(self, result: Any) -> None:
        from scriptengine.v1 import script_pb2

        self.result = result
        self.kind = result.error.kind
        self.kind_name = script_pb2.ExecutionErrorKind.Name(self.kind).removeprefix("EXECUTION_ERROR_KIND_")
        super().__init__(f"{self.kind_name}: {result.error.name or 'Error'}: {result.error.message}")


class EventsLostError(_Picklable):
    """Ends ``subscribe()`` when the server reports missed events and no ``on_lost`` is given."""

    def __init__(self, lost: Any) -> None:
        self.lost = lost
        super().__init__(f"missed {lost.missed_count} events (sequences "
                         f"{lost.first_missed_sequence}..{lost.last_missed_sequence})")
