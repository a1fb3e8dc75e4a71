"""What the blocking and asyncio clients share: services, defaults, retry policy, conversions."""

from __future__ import annotations

import contextlib
import datetime
import decimal
import math
import random
import re
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Mapping, Optional, Sequence, Union

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool, json_format, struct_pb2

from scriptengine.v1 import (
    event_service_pb2,
    event_service_pb2_grpc,
    migration_service_pb2_grpc,
    registry_service_pb2,
    registry_service_pb2_grpc,
    script_pb2,
    script_service_pb2_grpc,
    tool_service_pb2_grpc,
)

from ._arguments import argument_name, argument_value, utf8_error
from ._errors import CancelledError, EventsLostError, FieldViolation, InvalidArgumentError, ResourceExhaustedError, ScriptEngineError, ScriptFailedError, TimeoutError, UnavailableError
from ._pool import OWN_CONNECTION

PACKAGE = "scriptengine.v1"

# attribute name -> (service name, generated stub class)
SERVICES = {
    "scripts": ("ScriptService", script_service_pb2_grpc.ScriptServiceStub),
    "migrations": ("MigrationService", migration_service_pb2_grpc.MigrationServiceStub),
    "events": ("EventService", event_service_pb2_grpc.EventServiceStub),
    "registry": ("RegistryService", registry_service_pb2_grpc.RegistryServiceStub),
    "tools": ("ToolService", tool_service_pb2_grpc.ToolServiceStub),
}


def _idempotent_methods() -> frozenset[str]:
    """The methods the contract declares idempotent (``idempotency_level`` NO_SIDE_EFFECTS or
    IDEMPOTENT in proto/), read from the generated descriptors the stubs registered."""
    pool = descriptor_pool.Default()
    unknown = descriptor_pb2.MethodOptions.IDEMPOTENCY_UNKNOWN
    return frozenset(
        f"{service}/{method.name}"
        for service, _ in SERVICES.values()
        for method in pool.FindServiceByName(f"{PACKAGE}.{service}").methods
        if method.GetOptions().idempotency_level != unknown
    )


#: The only calls retried on UNAVAILABLE: those whose repeat succeeds and changes nothing more (not
#: deregister or unsubscribe: repeated after a lost reply, they would say NOT_FOUND).
IDEMPOTENT_METHODS = _idempotent_methods()

LONG_METHODS = frozenset({
    "ScriptService/ExecuteScript", "ScriptService/RunScript",
    "MigrationService/MigrateTool", "MigrationService/ValidateMigration",
})

STREAMING_METHODS = frozenset({"EventService/Subscribe", "RegistryService/WatchServices", "MigrationService/MigrateDirectory"})


@dataclass(frozen=True)
class RetryPolicy:
    """Retries of idempotent calls failing with UNAVAILABLE: exponential backoff with jitter, never
    sooner than the server's RetryInfo, within the call's deadline. ``max_attempts=1`` disables."""

    max_attempts: int = 4
    initial_backoff: float = 0.1
    max_backoff: float = 2.0

    def backoff(self, attempt: int, server_delay: Optional[float] = None) -> float:
        cap = min(self.max_backoff, self.initial_backoff * 2 ** (attempt - 1))
        return max(server_delay or 0.0, cap / 2 + random.random() * cap / 2)


NO_RETRY = RetryPolicy(max_attempts=1)


def check_options(retry: RetryPolicy, default_timeout: float, execution_timeout: float) -> None:
    """Refuses, when the client is built, a negative or NaN backoff (retries would quietly not wait)
    or an infinite one (a wait that never ends, or a float overflow), and a negative or NaN timeout
    (every call failed after 1 ms). A backoff of 0 is no wait; a timeout of 0 (or inf) no deadline."""
    for name, value, finite in (("retry.initial_backoff", retry.initial_backoff, True),
                                ("retry.max_backoff", retry.max_backoff, True),
                                ("default_timeout", default_timeout, False),
                                ("execution_timeout", execution_timeout, False)):
        if not value >= 0 or (finite and value == math.inf):  # also NaN
            raise ValueError(f"{name} must be a {'finite ' if finite else ''}number of seconds >= 0, not {value!r}")

JSON = Union[None, bool, int, float, str, Sequence[Any], Mapping[str, Any]]

#: What ``run``/``execute`` take as arguments: JSON, and what a JSON encoder writes as JSON (dates
#: and times as ISO 8601 strings, bytes as base64, Decimal as a number; see _arguments).
Arguments = Mapping[str, Union[JSON, datetime.date, datetime.time, decimal.Decimal, bytes, bytearray, memoryview]]


def snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


# The largest response the server sends (its gRPC send limit); grpcio receives 4 MiB by default,
# less than a result whose outputs the server's configuration lets grow past the defaults.
MAX_RESPONSE_BYTES = 64 * 1024 * 1024


# grpc waits between connection attempts 1 s growing to 120 s, and fails every call at once meanwhile:
# after an outage, retries and stream resumes could not reach a server that was back for many seconds.
# grpcio cannot reset that wait before a retry (Go's ResetConnectBackoff), so it is bounded like the
# SDK's own retry backoff instead: from 100 ms up to 2 s.
RECONNECT_BACKOFF = (("grpc.initial_reconnect_backoff_ms", 100), ("grpc.max_reconnect_backoff_ms", 2000))

# Without pings a stream to a server that stops answering without closing its connection (frozen, or
# a host gone without a reset) waits forever, as TCP alone sees nothing wrong: ping every 30 s, dead
# unless answered within 10 s, then it fails UNAVAILABLE and subscribe()/watch() resume. grpc core
# stops pinging after two pings with no data sent, which a quiet subscription soon reaches: no limit.
KEEPALIVE = (("grpc.keepalive_time_ms", 30_000), ("grpc.keepalive_timeout_ms", 10_000),
             ("grpc.keepalive_permit_without_calls", 1), ("grpc.http2.max_pings_without_data", 0))
# grpc core also times a keepalive ping out by this (a minute by default: with a 0.5 s keepalive
# timeout alone a frozen server's stream still waited it): it follows the keepalive timeout unless set.
PING_TIMEOUT = "grpc.http2.ping_timeout_ms"


def channel_options(extra: Optional[Sequence[tuple[str, Any]]]) -> list[tuple[str, Any]]:
    """The channel options: the caller's, then for each they do not set a receive limit as large as
    the server's responses, the bounded reconnect wait, keepalive pings and a connection of each
    channel's own: no key twice, so the caller's setting holds whichever duplicate grpc would keep."""
    options = list(extra or ())
    given = {key for key, _ in options}
    for key, value in (("grpc.max_receive_message_length", MAX_RESPONSE_BYTES), *RECONNECT_BACKOFF, *KEEPALIVE, OWN_CONNECTION):
        if key not in given:
            options.append((key, value))
    if PING_TIMEOUT not in given:
        options.append((PING_TIMEOUT, dict(options)["grpc.keepalive_timeout_ms"]))
    return options


def check_address(address: str) -> None:
    """Refuses, when the client is built, an address that names no server: grpc failed each call
    INTERNAL "the target uri is not valid" (an unset variable read as "", say)."""
    if not isinstance(address, str) or not address.strip():
        raise ValueError(f"address must be a server's host:port (the default is 127.0.0.1:50051), not {address!r}")


def credentials_for(tls: Union[bool, grpc.ChannelCredentials, None], root_certificates: Optional[bytes],
                    private_key: Optional[bytes], certificate_chain: Optional[bytes]) -> Optional[grpc.ChannelCredentials]:
    if isinstance(tls, grpc.ChannelCredentials):
        return tls
    # grpc core aborts the whole process (SIGABRT) on half a client pair: refuse it here.
    if (private_key is None) != (certificate_chain is None):
        missing, given = ("certificate_chain", "private_key") if certificate_chain is None else ("private_key", "certificate_chain")
        raise ValueError(f"{given} without {missing}: a client certificate needs both (mTLS)")
    if tls or root_certificates or certificate_chain:
        return grpc.ssl_channel_credentials(root_certificates, private_key, certificate_chain)
    return None


def values_of(args: Optional[Arguments]) -> dict[str, struct_pb2.Value]:
    """The arguments as Values (see _arguments: the rule the SDKs share); InvalidArgumentError names
    one that has no JSON form, or a name that is no str, before anything is sent."""
    return {argument_name(k): argument_value(k, v) for k, v in (args or {}).items()}


def execution_context(args: Optional[Arguments], context: Optional[script_pb2.ExecutionContext]) -> script_pb2.ExecutionContext:
    """``context`` with ``args`` as its arguments. A context's own arguments are sent when no ``args``
    is given (they used to be dropped); given both, which should win is unknown: ValueError."""
    ctx = script_pb2.ExecutionContext()
    if context is not None:
        if args is not None and context.arguments:
            raise ValueError("arguments given both as args and in context.arguments: give them in one of the two")
        ctx.CopyFrom(context)
    for k, v in values_of(args).items():
        ctx.arguments[k].CopyFrom(v)
    return ctx


def checked_text(field: str, text: str) -> str:
    """``text`` if protobuf can encode it (UTF-8): a lone surrogate would raise a bare
    UnicodeEncodeError where the message is built; InvalidArgumentError naming the field instead, as
    for an argument, before anything is sent. Every string a helper puts in a request goes through
    here; one that is no str is left to protobuf's TypeError."""
    if isinstance(text, str) and (reason := utf8_error(text)):
        raise InvalidArgumentError(grpc.StatusCode.INVALID_ARGUMENT, f"{field}: {reason}",
                                   field_violations=[FieldViolation(field, reason)])
    return text


# Every integer up to this magnitude is exact in a double (JavaScript's Number.MAX_SAFE_INTEGER + 1).
_MAX_EXACT_INT = 2 ** 53


def _with_ints(value: JSON) -> JSON:
    """google.protobuf.Value holds every number as a double: integral ones within ±2^53 become int,
    as the TypeScript and Go clients (and JSON) give them."""
    if isinstance(value, float):
        return int(value) if value.is_integer() and abs(value) <= _MAX_EXACT_INT else value
    if isinstance(value, dict):
        return {k: _with_ints(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_with_ints(v) for v in value]
    return value


def value_of(result: script_pb2.ExecutionResult) -> JSON:
    """The script's return value as plain JSON (integral numbers as int); raises ScriptFailedError
    when it failed."""
    if not result.success:
        raise ScriptFailedError(result)
    if not result.HasField("return_value"):
        return None
    return _with_ints(json_format.MessageToDict(result.return_value))


#: Metadata by which a call names its own principal: the client's token stays off such a call (the
#: server refuses a call whose ``authorization`` and ``x-api-key`` carry different tokens).
CREDENTIAL_KEYS = frozenset({"authorization", "x-api-key"})


# What grpc accepts in a metadata key; a value of a key not ending in "-bin" is printable ASCII.
_METADATA_KEY = re.compile(r"[0-9a-z_.\-]+")
_INVALID_VALUE_CHAR = re.compile(r"[^\x20-\x7e]")
# A token is visible ASCII, as the server's configuration and the CLI require (a space or tab
# around it is trimmed by some stacks, so such a token could never match).
_INVALID_TOKEN_CHAR = re.compile(r"[^\x21-\x7e]")


def check_token(token: Optional[str]) -> None:
    """Refuses, when the client is built, a token a header cannot carry (a newline read from a file
    with it, a non-ASCII letter): grpc failed each call INTERNAL "Invalid metadata", logging to stderr.
    The message says where, never the token."""
    if token and (bad := _INVALID_TOKEN_CHAR.search(token)):
        raise ValueError(f"token holds a character a header cannot carry at offset {bad.start()} "
                         f"(U+{ord(bad.group()):04X}): a token is visible ASCII")


def _check_metadata(md: Sequence[tuple[str, Any]]) -> None:
    """Refuses metadata grpc would fail the call on (INTERNAL "Invalid metadata", logging to stderr):
    a key must be lowercase letters, digits, "-", "_" or "."; a value printable ASCII unless its key
    ends in "-bin". The message names the key, never the value."""
    for key, value in md:
        if not isinstance(key, str) or not _METADATA_KEY.fullmatch(key):
            raise ValueError(f"metadata key {key!r} is not one grpc can send: lowercase letters, digits, '-', '_' and '.' only")
        if key.endswith("-bin"):
            continue
        text = value.decode("latin-1") if isinstance(value, bytes) else value
        if not isinstance(text, str):
            raise ValueError(f"metadata {key!r}: the value is a {type(value).__name__}, not a str")
        if bad := _INVALID_VALUE_CHAR.search(text):
            raise ValueError(f"metadata {key!r}: the value holds a character a header cannot carry at offset "
                             f"{bad.start()} (U+{ord(bad.group()):04X}); only a key ending in -bin carries binary")


def event_types_of(event_types: Sequence[str]) -> list[str]:
    """``event_types`` as the request's list. A str alone is a Sequence[str] too, so type checkers
    let it pass, and its letters were sent as types (``unknown event type "s"``): TypeError."""
    if isinstance(event_types, str):
        raise TypeError(f"event_types is a str: pass a list of event types, e.g. [{event_types!r}]")
    return [checked_text(f"event_types[{i}]", t) for i, t in enumerate(event_types)]


#: What a call's ``metadata=`` may be: (key, value) pairs, as grpc takes them, or a mapping.
Metadata = Union[Sequence[tuple[str, Any]], Mapping[str, Any], None]


def metadata_with(token: Optional[str], extra: Metadata) -> list[tuple[str, str]]:
    """The call's metadata: ``extra`` (checked), with the client's token unless ``extra`` names a
    principal itself. A mapping is taken as its items: grpc takes pairs only (a dict failed the call
    with "too many values to unpack")."""
    if isinstance(extra, (str, bytes)):  # a Sequence, of one-letter "pairs"
        raise ValueError(f"metadata is a {type(extra).__name__}: give (key, value) pairs or a mapping")
    md: list[tuple[str, str]] = []
    for item in extra.items() if isinstance(extra, Mapping) else extra or ():
        if not isinstance(item, (tuple, list)) or len(item) != 2:
            raise ValueError(f"metadata holds {item!r}: give (key, value) pairs or a mapping")
        md.append((item[0], item[1]))
    _check_metadata(md)
    if token and not any(k.lower() in CREDENTIAL_KEYS for k, _ in md):
        md.append(("authorization", f"Bearer {token}"))
    return md


#: A timeout this long or longer (100 years, in seconds) sets no deadline, as inf does: grpc core
#: holds a deadline as int64 nanoseconds of the clock, which now + ~240 years overflows, and such a
#: call failed at once with DEADLINE_EXCEEDED. No call is meant to end past 100 years.
MAX_TIMEOUT = 100 * 365.25 * 24 * 3600


def _unbounded(timeout: Optional[float]) -> Optional[float]:
    """``timeout``, or None (no deadline) for inf or one of MAX_TIMEOUT or more."""
    return None if timeout is not None and timeout >= MAX_TIMEOUT else timeout


def call_timeout(timeout: Optional[float], name: str, default_timeout: float, execution_timeout: float) -> Optional[float]:
    """A unary call's time in seconds, None for no deadline: its own ``timeout``, else the client's
    option for the method, where 0 sets none, as most gRPC clients read an unset timeout (it used to
    give every call 1 ms). inf, or MAX_TIMEOUT or more, sets none either way."""
    if timeout is None:
        timeout = (execution_timeout if name in LONG_METHODS else default_timeout) or math.inf
    return _unbounded(timeout)


def deadline_of(timeout: Optional[float]) -> Optional[float]:
    """When a call given ``timeout`` (see call_timeout) must end, on time.monotonic(); None for never.
    A call's own timeout of 0 or less is a deadline already passed: TimeoutError, nothing sent, as a
    Go context past its deadline and a TS call's ``timeoutMs: 0`` (it used to be sent with 1 ms). NaN is a
    ValueError, nothing sent, as a TS call's NaN ``timeoutMs`` is InvalidArgumentError."""
    if timeout is None:
        return None
    if timeout != timeout:  # NaN: grpc would be given 1 ms (remaining's floor) for a deadline never set
        raise ValueError("timeout must be a number of seconds, not nan")
    if timeout <= 0:
        raise TimeoutError(grpc.StatusCode.DEADLINE_EXCEEDED, "the deadline passed before the call was sent")
    timeout = _unbounded(timeout)
    return None if timeout is None else time.monotonic() + timeout


def stream_timeout(timeout: Optional[float]) -> Optional[float]:
    """A stream's own ``timeout`` as grpc takes it, None for none (inf, or MAX_TIMEOUT or more, too);
    0 or less raises as in deadline_of (grpc would run such a stream, its deadline not yet seen as passed)."""
    deadline_of(timeout)
    return _unbounded(timeout)


def remaining(deadline: Optional[float]) -> Optional[float]:
    """What grpc is given as the timeout of an attempt: None for no deadline."""
    return None if deadline is None else max(0.001, deadline - time.monotonic())


def closed_error() -> CancelledError:
    """What a call on a closed client raises, in both clients (grpc says ValueError or UsageError)."""
    return CancelledError(grpc.StatusCode.CANCELLED, "the client was closed")


def cancelled_error() -> CancelledError:
    """What a call its caller cancelled (a future's or a stream's ``cancel()``) raises."""
    return CancelledError(grpc.StatusCode.CANCELLED, "the call was cancelled")


def closed_if(client_closed: bool, err: ScriptEngineError) -> ScriptEngineError:
    """``err``, unless it is the CANCELLED grpc ends a call with when close() closes its channel
    ("Channel closed!"): then the CancelledError of a call on a closed client, as the README says
    and the asyncio client gives."""
    return closed_error() if client_closed and isinstance(err, CancelledError) else err


def fell_behind(err: ScriptEngineError) -> bool:
    """Whether the server ended a stream because its reader fell behind: RESOURCE_EXHAUSTED
    EVENTS_LOST, a watch past ``registry.watch_buffer`` ("watch again for a fresh snapshot") or a
    subscription past ``events.subscriber_buffer`` with ``events.on_lag = "disconnect"``
    ("resubscribe with after_sequence set to the last sequence received")."""
    return isinstance(err, ResourceExhaustedError) and err.reason == "EVENTS_LOST"


def dropped(err: ScriptEngineError) -> bool:
    """Whether a subscription or watch stream that ended with ``err`` is worth starting again, in both
    clients: UNAVAILABLE (a lost connection, a server shutting down), CANCELLED that neither the
    caller nor close() asked for (a server that force-closes its connections at shutdown, past its
    grace, its ending not read yet by a lagging reader, resets the stream, which some stacks read as
    CANCELLED), or a reader that fell behind. A closed client's streams end CANCELLED by its own
    doing: each client checks that first."""
    return isinstance(err, (UnavailableError, CancelledError)) or fell_behind(err)


@contextlib.contextmanager
def resume_point(position: dict[str, Optional[int]]) -> Iterator[None]:
    """Moves ``position["after"]`` on to the ErrorInfo ``resume_after_sequence`` of a subscription
    stream that ends UNAVAILABLE with one (a server shutting down): every event the filter lets in
    up to there was sent, so the run's later events of other types (its own shutdown's among them)
    are not reported missed after a restart."""
    try:
        yield
    except UnavailableError as err:
        at = err.metadata.get("resume_after_sequence", "")
        if at.isdecimal():
            position["after"] = max(position["after"] or 0, int(at))
        raise


def watch_change(msg: Any, healthy: Callable[[], None], on_synced: Optional[Callable[[], None]]) -> Any:
    """One WatchServicesResponse of a resuming watch (both clients): every message shows the stream
    works (``healthy``), and only a message does (the server sends SYNCED at once, even to an idle
    watch): a stream that lasted long but brought nothing, from a hung server or a proxy with no
    backend, is a failed reconnect. SYNCED goes to ``on_synced`` and is not yielded (None), so the iteration
    yields registrations only and SYNCED does not keep a stream that fell behind from counting as a
    failed reconnect. Returns the change to yield."""
    healthy()
    if msg.kind == registry_service_pb2.CHANGE_KIND_SYNCED:
        if on_synced is not None:
            on_synced()
        return None
    return msg


def resume_after_loss(after: Optional[int], latest: int, lost: Any) -> int:
    """Where a subscription resumes after a lost notice, ``after`` being where its stream began and
    ``latest`` that stream's ``started.latest_sequence``. An ``after`` beyond the latest is a number the
    server does not know (a reset or replaced store): it reports RESTART and replays all it retains,
    so the stream stands after the notice's last missed sequence (the oldest retained less one; 0 when
    it retains from 1 or nothing). Resuming from the unknown number instead would bring the same
    notice after every dropped connection until an event the filter lets in arrived. Any other
    notice moves the resume point on to its last missed sequence, never back."""
    if after is not None and after > latest and lost.reason == event_service_pb2.LOSS_REASON_RESTART:
        return int(lost.last_missed_sequence)
    return max(after or 0, lost.last_missed_sequence)


def subscription_event(msg: Any, position: dict[str, Optional[int]], healthy: Callable[[], None],
                       on_started: Optional[Callable[[Any], None]], on_lost: Optional[Callable[[Any], None]]) -> Any:
    """One SubscribeResponse of a resuming subscription (both clients): moves the resume position,
    calls the handlers, and returns the event to yield (None for started and lost). A loss with
    no ``on_lost`` raises EventsLostError unless it missed nothing (0 is exact)."""
    which = msg.WhichOneof("message")
    if which == "started":
        healthy()
        position["latest"] = msg.started.latest_sequence
        if position["after"] is None:
            # A live subscription resumes from where it began, not live-only again: what is
            # published while it reconnects is still delivered (or reported lost).
            position["after"] = msg.started.latest_sequence
        if on_started:
            on_started(msg.started)
    elif which == "event":
        position["after"] = msg.event.sequence
        return msg.event
    elif which == "lost":
        position["after"] = resume_after_loss(position["after"], position.get("latest") or 0, msg.lost)
        if on_lost is not None:
            on_lost(msg.lost)
        elif msg.lost.missed_count > 0:
            raise EventsLostError(msg.lost)
    return None
