"""Python client for the ScriptEngine service over grpcio: a blocking ``Client`` and an asyncio
``AsyncClient``, typed errors carrying the server's ErrorInfo, retries of idempotent calls on
UNAVAILABLE, a resuming ``subscribe()`` and helpers (``run``, ``execute``, ``migrate``)."""

from ._aio import AsyncClient
from ._client import Client
from ._future import CallFuture
from ._arguments import MAX_ARGUMENT_DEPTH
from ._common import IDEMPOTENT_METHODS, NO_RETRY, RetryPolicy
from ._health import ServingStatus
from ._errors import (
    ERROR_DOMAIN,
    AbortedError,
    AlreadyExistsError,
    CancelledError,
    EventsLostError,
    FailedPreconditionError,
    FieldViolation,
    InternalError,
    InvalidArgumentError,
    NotFoundError,
    PermissionDeniedError,
    ResourceExhaustedError,
    ScriptEngineError,
    ScriptFailedError,
    TimeoutError,
    UnauthenticatedError,
    UnavailableError,
    UnimplementedError,
)

__all__ = [
    "AsyncClient", "Client", "CallFuture", "ServingStatus", "RetryPolicy", "NO_RETRY", "IDEMPOTENT_METHODS", "ERROR_DOMAIN", "MAX_ARGUMENT_DEPTH",
    "ScriptEngineError", "TimeoutError", "ResourceExhaustedError", "NotFoundError", "PermissionDeniedError",
    "UnauthenticatedError", "UnavailableError", "InvalidArgumentError", "FailedPreconditionError",
    "AlreadyExistsError", "AbortedError", "UnimplementedError", "CancelledError", "InternalError",
    "ScriptFailedError", "EventsLostError", "FieldViolation",
]
__version__ = "0.1.0"
