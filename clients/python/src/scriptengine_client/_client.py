"""The blocking client."""

from __future__ import annotations

import contextlib
import threading
import time
from typing import Any, Callable, Generator, Iterator, Mapping, Optional, Sequence, TypeVar, Union, cast

import grpc

from scriptengine.v1 import event_service_pb2, events_pb2, migration_pb2, migration_service_pb2, registry_service_pb2, script_pb2, script_service_pb2
from scriptengine.v1 import service_protocols as sp

from . import _common as c
from . import _health
from ._errors import ScriptEngineError, UnavailableError, from_rpc_error
from ._future import CallFuture
from ._pool import ChannelPool

T = TypeVar("T")
R = TypeVar("R")

# How often a stream's stop watcher looks at ``stop`` (threading.Event has no callbacks).
_STOP_POLL = 0.1


class _Method:
    """One RPC: default deadline, token, typed errors, and retries when idempotent."""

    def __init__(self, client: "Client", callable_: Any, name: str) -> None:
        self._client, self._callable, self._name = client, callable_, name
        self._streaming = name in c.STREAMING_METHODS

    def __call__(self, request: Any, *, timeout: Optional[float] = None,
                 metadata: c.Metadata = None, **kwargs: Any) -> Any:
        cl = self._client
        if cl._closed:
            raise c.closed_error()
        md = c.metadata_with(cl._token, metadata)
        if self._streaming:
            return _Stream(cl, self._callable(request, timeout=c.stream_timeout(timeout), metadata=md, **kwargs))
        deadline = c.deadline_of(self._timeout(timeout))
        attempt = 0
        while True:
            attempt += 1
            try:
                return self._callable(request, timeout=c.remaining(deadline), metadata=md, **kwargs)
            except grpc.RpcError as rpc_error:
                err = c.closed_if(cl._closed, from_rpc_error(rpc_error))
            except ValueError:  # grpc's answer to a call on a channel closed meanwhile
                if cl._closed:
                    raise c.closed_error() from None
                raise
            if (self._name not in c.IDEMPOTENT_METHODS or not isinstance(err, UnavailableError)
                    or attempt >= cl._retry.max_attempts):
                raise err
            delay = cl._retry.backoff(attempt, err.retry_delay)
            if deadline is not None and time.monotonic() + delay >= deadline:
                raise err
            if cl._on_retry:
                cl._on_retry(self._name, attempt, delay, err)
            if cl._closing.wait(delay):  # close() ends the wait at once: the next attempt would fail so
                raise c.closed_error() from None

    def future(self, request: Any, *, timeout: Optional[float] = None,
               metadata: c.Metadata = None, **kwargs: Any) -> CallFuture[Any]:
        """Starts the call and returns at once: a grpc.Future whose ``cancel()`` ends the call from any
        thread (the server stops a running script), with the token, metadata and default deadline of
        a direct call. ``result()`` and ``exception()`` give the typed errors; a cancelled call's are
        CancelledError. One attempt: a future is not retried."""
        cl = self._client
        if self._streaming:
            raise TypeError(f"{self._name} is a stream: iterate it, and cancel() the iterator to end it")
        if cl._closed:
            raise c.closed_error()
        md = c.metadata_with(cl._token, metadata)
        timeout = self._timeout(timeout)
        c.deadline_of(timeout)  # a deadline already passed raises here, as a direct call's does
        try:
            return CallFuture(self._callable.future(request, timeout=timeout, metadata=md, **kwargs), lambda: cl._closed)
        except ValueError:  # grpc's answer to a call on a channel closed meanwhile
            if cl._closed:
                raise c.closed_error() from None
            raise

    def _timeout(self, timeout: Optional[float]) -> Optional[float]:
        cl = self._client
        return c.call_timeout(timeout, self._name, cl._default_timeout, cl._execution_timeout)


class _Stream(Iterator[Any]):
    """A server stream's responses, its failures as typed errors. ``cancel()`` (also ``close()``)
    ends the call from any thread; a reader blocked on it then gets CancelledError (the client's
    "the client was closed" once it is closed). The generated protocols type it as ServerStream."""

    def __init__(self, client: "Client", call: Any) -> None:
        self._client, self._call = client, call

    def __iter__(self) -> "_Stream":
        return self

    def __next__(self) -> Any:
        try:
            return next(self._call)
        except grpc.RpcError as rpc_error:
            raise c.closed_if(self._client._closed, from_rpc_error(rpc_error)) from None

    def cancel(self) -> None:
        self._call.cancel()

    close = cancel


@contextlib.contextmanager
def _cancelled_on(stop: Optional[threading.Event], responses: Iterator[R]) -> Iterator[Iterator[R]]:
    """Yields a streaming method's ``responses`` (a _Stream), cancelling the call once ``stop`` is
    set: a reader blocked on an idle stream never gets to look at ``stop`` itself. A daemon thread
    watches ``stop`` until the stream ends."""
    stream = cast(_Stream, responses)
    ended = threading.Event()

    def watch() -> None:
        assert stop is not None
        while not ended.is_set():
            if stop.wait(_STOP_POLL):
                stream.cancel()
                return

    if stop is not None:
        threading.Thread(target=watch, name="scriptengine-stop", daemon=True).start()
    try:
        yield responses
    finally:
        ended.set()
        stream.close()


class _Service:
    """A service's RPCs by their proto names (``HealthCheck``) and in snake_case (``health_check``)."""

    def __init__(self, client: "Client", service: str, stub: Any) -> None:
        for name in dir(stub):
            if name[:1].isupper():
                method = _Method(client, getattr(stub, name), f"{service}/{name}")
                setattr(self, name, method)
                setattr(self, c.snake(name), method)


class Client:
    """Blocking ScriptEngine client over grpcio.

    ``client.scripts``, ``.migrations``, ``.events``, ``.registry``, ``.tools`` expose every RPC of the
    five services (``client.scripts.health_check(request)``), with default deadlines, the bearer
    token, typed errors and retries of idempotent calls on UNAVAILABLE.

    ``default_timeout`` and ``execution_timeout`` (ExecuteScript, RunScript, MigrateTool,
    ValidateMigration) are the deadlines, in seconds, of unary calls given no ``timeout=``: 0 (or inf,
    or 100 years and more, which grpc cannot hold) sets none, as most gRPC clients read an unset timeout; negative or NaN is a ValueError. A call's
    own ``timeout=0`` is a deadline already passed: TimeoutError, nothing sent.
    """

    def __init__(self, address: str = "127.0.0.1:50051", *, token: Optional[str] = None,
                 tls: Union[bool, grpc.ChannelCredentials, None] = None, root_certificates: Optional[bytes] = None,
                 private_key: Optional[bytes] = None, certificate_chain: Optional[bytes] = None,
                 default_timeout: float = 30.0, execution_timeout: float = 120.0,
                 retry: c.RetryPolicy = c.RetryPolicy(),
                 on_retry: Optional[Callable[[str, int, float, ScriptEngineError], None]] = None,
                 channel_options: Optional[Sequence[tuple[str, Any]]] = None) -> None:
        c.check_address(address)
        c.check_options(retry, default_timeout, execution_timeout)
        c.check_token(token)
        creds = c.credentials_for(tls, root_certificates, private_key, certificate_chain)
        options = c.channel_options(channel_options)
        self._channel = ChannelPool(lambda: grpc.secure_channel(address, creds, options) if creds else grpc.insecure_channel(address, options))
        self._token, self._default_timeout, self._execution_timeout = token, default_timeout, execution_timeout
        self._retry, self._on_retry = retry, on_retry
        self._closed = False
        # Set by close(): ends a retry's or a subscribe()/watch() backoff at once.
        self._closing = threading.Event()
        for attr, (service, stub) in c.SERVICES.items():
            setattr(self, attr, _Service(self, service, stub(self._channel)))
        self._standard_health = _Method(self, self._channel.unary_unary(
            _health.METHOD, request_serializer=_health.serialize, response_deserializer=_health.deserialize), _health.NAME)

    scripts: sp.ScriptServiceMethods
    migrations: sp.MigrationServiceMethods
    events: sp.EventServiceMethods
    registry: sp.RegistryServiceMethods
    tools: sp.ToolServiceMethods

    def close(self) -> None:
        """Closes the channels; a ``subscribe()``/``watch()`` iterating meanwhile just ends, and any
        other call in flight, one waiting out a retry backoff at once, raises CancelledError ("the
        client was closed")."""
        self._closed = True
        self._closing.set()
        for channel in self._channel.close_all():
            channel.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # Helpers for the common path.

    def health(self, **kw: Any) -> script_pb2.HealthStatus:
        return self.scripts.HealthCheck(script_service_pb2.HealthCheckRequest(), **kw).health

    def standard_health(self, service: str = "", **kw: Any) -> _health.ServingStatus:
        """The standard gRPC health check (grpc.health.v1 Check) of ``service`` ("" is the server as a
        whole, "scriptengine.v1.ScriptService" one service): what probes and load balancers ask, over
        this client's channel and TLS, no token needed. ``health()`` is the engine's own, with its
        components, and needs a principal."""
        return _health.status_of(self._standard_health(_health.request(c.checked_text("service", service)), **kw))

    def run_script(self, source: str, args: Optional[c.Arguments] = None, *,
                   context: Optional[script_pb2.ExecutionContext] = None,
                   compilation: Optional[script_pb2.CompilationContext] = None, **kw: Any) -> script_pb2.ExecutionResult:
        """Runs ad-hoc source; returns the full ExecutionResult whatever the script's outcome. The
        arguments are ``args``, or ``context.arguments`` when ``args`` is None: giving both is a
        ValueError (neither silently wins)."""
        req = script_service_pb2.RunScriptRequest(source=c.checked_text("source", source), context=c.execution_context(args, context), compilation=compilation)
        return self.scripts.RunScript(req, **kw).result

    def run(self, source: str, args: Optional[c.Arguments] = None, **kw: Any) -> c.JSON:
        """Runs ad-hoc source with these arguments and returns its JSON value (ScriptFailedError if it
        fails). A ``context=`` may hold the arguments instead, as for run_script."""
        return c.value_of(self.run_script(source, args, **kw))

    def compile(self, source: str, compilation: Optional[script_pb2.CompilationContext] = None, **kw: Any) -> script_pb2.CompiledScript:
        return self.scripts.CompileScript(script_service_pb2.CompileScriptRequest(source=c.checked_text("source", source), context=compilation), **kw).script

    def execute(self, script_id: str, args: Optional[c.Arguments] = None, *, version: int = 0,
                context: Optional[script_pb2.ExecutionContext] = None, **kw: Any) -> c.JSON:
        """Runs a stored script (its latest version, or ``version``) and returns its JSON value
        (ScriptFailedError if it fails). The arguments are ``args``, or ``context.arguments`` when
        ``args`` is None: giving both is a ValueError."""
        req = script_service_pb2.ExecuteScriptRequest(script_id=c.checked_text("script_id", script_id), version=version, context=c.execution_context(args, context))
        return c.value_of(self.scripts.ExecuteScript(req, **kw).result)

    def delete(self, script_id: str, **kw: Any) -> int:
        """Deletes a stored script with every version (scripts:delete permission); returns how many there were."""
        return int(self.scripts.DeleteScript(script_service_pb2.DeleteScriptRequest(script_id=c.checked_text("script_id", script_id)), **kw).versions_deleted)

    def migrate(self, tool_name: str, config: Optional[migration_pb2.MigrationConfig] = None, **kw: Any) -> migration_pb2.MigrationResult:
        return self.migrations.MigrateTool(migration_service_pb2.MigrateToolRequest(tool_name=c.checked_text("tool_name", tool_name), config=config), **kw).result

    def rollback(self, tool_name: str, config: Optional[migration_pb2.RollbackConfig] = None, **kw: Any) -> migration_pb2.RollbackResult:
        return self.migrations.RollbackTool(migration_service_pb2.RollbackToolRequest(tool_name=c.checked_text("tool_name", tool_name), config=config), **kw).result

    def subscribe(self, event_types: Sequence[str] = (), *, after_sequence: Optional[int] = None,
                  on_lost: Optional[Callable[[Any], None]] = None, on_started: Optional[Callable[[Any], None]] = None,
                  resume: bool = True, max_reconnects: int = 10,
                  stop: Optional[threading.Event] = None) -> Generator[events_pb2.ServiceEvent, None, None]:
        """Yields events. When the connection drops, the server shuts down (UNAVAILABLE), the stream
        is reset (CANCELLED, neither by ``stop`` nor by close()) or the reader fell behind
        (EVENTS_LOST, ``events.on_lag = "disconnect"``) it resubscribes after the last
        sequence it yielded (before the first, after the first stream's ``started.latest_sequence``),
        or after the stream's ``resume_after_sequence`` when the server said one; it ends when the server ends the stream, ``stop`` is set (even while no event comes),
        the client is closed or the generator is (``close()``: a break alone leaves the stream open while the generator is referenced). Missed events go to ``on_lost``, or raise EventsLostError when it is
        None; a notice that missed nothing (``missed_count`` 0, e.g. resuming exactly where a cleanly
        stopped run of the server ended) only reaches ``on_lost``."""
        position: dict[str, Optional[int]] = {"after": after_sequence}
        types = c.event_types_of(event_types)  # raised here, not at the first iteration

        def one(healthy: Callable[[], None]) -> Generator[events_pb2.ServiceEvent, None, None]:
            req = event_service_pb2.SubscribeRequest(event_types=types)
            if position["after"] is not None:
                req.after_sequence = position["after"]
            with _cancelled_on(stop, self.events.Subscribe(req)) as stream, c.resume_point(position):
                for msg in stream:
                    event = c.subscription_event(msg, position, healthy, on_started, on_lost)
                    if event is not None:
                        yield event

        return self._resuming(one, resume=resume, max_reconnects=max_reconnects, stop=stop)

    def watch(self, service_type: str = "", *, on_restart: Optional[Callable[[], None]] = None,
              on_synced: Optional[Callable[[], None]] = None, resume: bool = True, max_reconnects: int = 10,
              stop: Optional[threading.Event] = None) -> Generator[registry_service_pb2.WatchServicesResponse, None, None]:
        """Yields registration changes. Every stream starts with an EXISTING snapshot of the live
        registrations, so when the connection drops, the server shuts down (UNAVAILABLE), the stream
        is reset (CANCELLED, neither by ``stop`` nor by close()) or the reader fell more than
        ``registry.watch_buffer`` changes behind (EVENTS_LOST) it watches again and the new snapshot
        brings the caller up to date (treat EXISTING as "the current state", replacing what it knew). ``on_restart`` is called for each (re)started stream, before
        its snapshot, and ``on_synced`` when its snapshot is complete (the server's SYNCED, which is
        not yielded: at once for a watch nothing matches, never from a server that predates it); it
        ends when the server ends the stream, ``stop`` is set (even while nothing changes) or the
        client is closed."""
        service_type = c.checked_text("service_type", service_type)  # raised here, not at the first iteration

        def one(healthy: Callable[[], None]) -> Generator[registry_service_pb2.WatchServicesResponse, None, None]:
            if on_restart:
                on_restart()
            request = registry_service_pb2.WatchServicesRequest(service_type=service_type)
            with _cancelled_on(stop, self.registry.WatchServices(request)) as stream:
                for msg in stream:
                    change = c.watch_change(msg, healthy, on_synced)
                    if change is not None:
                        yield change

        return self._resuming(one, resume=resume, max_reconnects=max_reconnects, stop=stop)

    def _back_off(self, delay: float, stop: Optional[threading.Event]) -> None:
        """Waits ``delay`` seconds between streams, or less: close() ends the wait at once, and so
        does ``stop`` (close() then within _STOP_POLL, as one Event is waited on at a time)."""
        if stop is None:
            self._closing.wait(delay)
            return
        end = time.monotonic() + delay
        while not self._closed and (left := end - time.monotonic()) > 0:
            if stop.wait(min(left, _STOP_POLL)):
                return

    def _resuming(self, one: Callable[[Callable[[], None]], Generator[T, None, None]], *, resume: bool, max_reconnects: int,
                  stop: Optional[threading.Event]) -> Generator[T, None, None]:
        """Runs one stream after another (``one`` is a stream's life): after a dropped connection, a
        server shutdown (UNAVAILABLE), a reset stream (CANCELLED, neither by ``stop`` nor by
        close()) or a reader that fell behind (EVENTS_LOST) it backs off, never less than RetryInfo,
        and starts a new stream; a clean end, ``stop`` or ``close()`` ends it. ``healthy`` resets the
        count of failed reconnects; a stream that fell behind before yielding anything counts as one
        more (its ``started`` alone is no success), so a reader that gets nothing between two falls
        gives up after ``max_reconnects``, while one that keeps receiving goes on."""
        failures = 0

        def healthy() -> None:
            nonlocal failures
            failures = 0

        def stopped() -> bool:
            return self._closed or (stop is not None and stop.is_set())

        while not stopped():
            stream = one(healthy)
            before, delivered = failures, False
            try:
                for item in stream:
                    delivered = True
                    yield item
                    if stopped():
                        return
                return
            except ScriptEngineError as err:
                if not c.dropped(err):
                    raise
                if stopped():  # the call was cancelled by ``stop`` or close(): a clean end
                    return
                if c.fell_behind(err) and not delivered:
                    failures = before
                failures += 1
                if not resume or failures > max_reconnects:
                    raise
                self._back_off(self._retry.backoff(failures, err.retry_delay), stop)
            finally:
                stream.close()  # closes the call when the reader leaves
