"""The asyncio client (grpc.aio)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any, AsyncGenerator, Callable, Mapping, Optional, Sequence, TypeVar, Union

import grpc
import grpc.aio

from scriptengine.v1 import event_service_pb2, events_pb2, migration_pb2, migration_service_pb2, registry_service_pb2, script_pb2, script_service_pb2
from scriptengine.v1 import service_protocols as sp

from . import _common as c
from . import _health
from ._errors import ScriptEngineError, UnavailableError, from_rpc_error
from ._pool import ChannelPool

T = TypeVar("T")


class _AsyncMethod:
    def __init__(self, client: "AsyncClient", callable_: Any, name: str) -> None:
        self._client, self._callable, self._name = client, callable_, name
        self._streaming = name in c.STREAMING_METHODS

    def __call__(self, request: Any, *, timeout: Optional[float] = None,
                 metadata: c.Metadata = None, **kwargs: Any) -> Any:
        if not self._streaming:
            return self._unary(request, timeout, metadata, kwargs)
        if self._client._closed:
            raise c.closed_error()
        md = c.metadata_with(self._client._token, metadata)
        return _AsyncStream(self._client, self._callable(request, timeout=c.stream_timeout(timeout), metadata=md, **kwargs))

    async def _unary(self, request: Any, timeout: Optional[float], metadata: c.Metadata,
                     kwargs: dict[str, Any]) -> Any:
        # Checked here, not in __call__: a call's every error comes when it is awaited, as a
        # coroutine's does (one made but never awaited raises nothing).
        cl = self._client
        if cl._closed:
            raise c.closed_error()
        md = c.metadata_with(cl._token, metadata)
        deadline = c.deadline_of(c.call_timeout(timeout, self._name, cl._default_timeout, cl._execution_timeout))
        attempt = 0
        while True:
            attempt += 1
            try:
                return await self._callable(request, timeout=c.remaining(deadline), metadata=md, **kwargs)
            except grpc.RpcError as rpc_error:
                err = from_rpc_error(rpc_error)
            except asyncio.CancelledError:
                _raise_if_closed(cl)
                raise
            except grpc.aio.UsageError:  # a call on a channel closed meanwhile
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
            # close() ends the wait at once: the next attempt would fail so.
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(cl._closing_event().wait(), delay)
            if cl._closed:
                raise c.closed_error() from None


class _AsyncStream:
    """A server stream's responses (``async for``), its failures as typed errors. ``cancel()`` ends
    the call (``aclose()`` too, awaited, as on the async generator it used to be); a reader waiting
    on it then gets CancelledError, as on Client. The generated protocols type it as AsyncServerStream."""

    def __init__(self, client: "AsyncClient", call: Any) -> None:
        self._client, self._call = client, call
        self._responses = call.__aiter__()
        self._cancelled = False

    def __aiter__(self) -> "_AsyncStream":
        return self

    async def __anext__(self) -> Any:
        try:
            return await self._responses.__anext__()
        except grpc.RpcError as rpc_error:
            raise from_rpc_error(rpc_error) from None
        except asyncio.CancelledError:
            _raise_if_closed(self._client)
            # grpc.aio ends a call cancelled by cancel() as if the reader's own task were: the
            # typed error instead, unless the task really is being cancelled.
            if self._cancelled and not _task_cancelling():
                raise c.cancelled_error() from None
            raise

    def cancel(self) -> None:
        self._cancelled = True
        self._call.cancel()

    async def aclose(self) -> None:
        self.cancel()


def _task_cancelling() -> bool:
    """Whether the current task is being cancelled; False on Python 3.10, which has no
    ``Task.cancelling()``."""
    cancelling = getattr(asyncio.current_task(), "cancelling", None)
    return cancelling is not None and cancelling() > 0


def _raise_if_closed(client: "AsyncClient") -> None:
    """grpc.aio ends the calls of a closed channel with asyncio.CancelledError, which reads as the
    caller's own task being cancelled; when the task is not (``cancelling()`` is 0) and the client
    was closed, the call ends with the typed CancelledError instead, as in the sync client. Python
    3.10 has no ``Task.cancelling()``: there the closed client alone decides."""
    if client._closed and not _task_cancelling():
        raise c.closed_error() from None


class _AsyncService:
    def __init__(self, client: "AsyncClient", service: str, stub: Any) -> None:
        for name in dir(stub):
            if name[:1].isupper():
                method = _AsyncMethod(client, getattr(stub, name), f"{service}/{name}")
                setattr(self, name, method)
                setattr(self, c.snake(name), method)


class AsyncClient:
    """asyncio ScriptEngine client over grpc.aio; the same API as Client, with ``await`` and ``async for``."""

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
        # Opened at the first call, in its event loop, and again in another loop's first call: a
        # grpc.aio channel works only in the loop it was opened in, and a client built outside any
        # (at module level, before asyncio.run) or used under two asyncio.run calls failed "attached
        # to a different loop".
        self._channel = ChannelPool(lambda: grpc.aio.secure_channel(address, creds, options) if creds else grpc.aio.insecure_channel(address, options),
                                    owner=asyncio.get_running_loop)
        self._token, self._default_timeout, self._execution_timeout = token, default_timeout, execution_timeout
        self._retry, self._on_retry = retry, on_retry
        self._closed = False
        # Set by close(): ends a retry's or a subscribe()/watch() backoff at once. One per event loop (_closing_event).
        self._closing = asyncio.Event()
        self._closing_loop: Optional[asyncio.AbstractEventLoop] = None
        for attr, (service, stub) in c.SERVICES.items():
            setattr(self, attr, _AsyncService(self, service, stub(self._channel)))
        self._standard_health = _AsyncMethod(self, self._channel.unary_unary(
            _health.METHOD, request_serializer=_health.serialize, response_deserializer=_health.deserialize), _health.NAME)

    scripts: sp.ScriptServiceAsyncMethods
    migrations: sp.MigrationServiceAsyncMethods
    events: sp.EventServiceAsyncMethods
    registry: sp.RegistryServiceAsyncMethods
    tools: sp.ToolServiceAsyncMethods

    async def close(self) -> None:
        """Closes the channels; calls still in flight end with CancelledError (the typed one), one
        waiting out a retry backoff at once."""
        self._closed = True
        self._closing_event().set()
        await asyncio.gather(*(channel.close() for channel in self._channel.close_all()))

    def _closing_event(self) -> asyncio.Event:
        """``_closing`` for the running event loop: a new one in another loop (an asyncio.Event is
        bound to the loop it is first waited in, and a client may serve one asyncio.run after another)."""
        loop = asyncio.get_running_loop()
        if self._closing_loop is not loop:
            self._closing, self._closing_loop = asyncio.Event(), loop
            if self._closed:
                self._closing.set()
        return self._closing

    async def __aenter__(self) -> "AsyncClient":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def health(self, **kw: Any) -> script_pb2.HealthStatus:
        return (await self.scripts.HealthCheck(script_service_pb2.HealthCheckRequest(), **kw)).health

    async def standard_health(self, service: str = "", **kw: Any) -> _health.ServingStatus:
        """The standard gRPC health check (grpc.health.v1 Check) of ``service`` ("" is the server as a
        whole, "scriptengine.v1.ScriptService" one service): what probes and load balancers ask, over
        this client's channel and TLS, no token needed. ``health()`` is the engine's own, with its
        components, and needs a principal."""
        return _health.status_of(await self._standard_health(_health.request(c.checked_text("service", service)), **kw))

    async def run_script(self, source: str, args: Optional[c.Arguments] = None, *,
                         context: Optional[script_pb2.ExecutionContext] = None,
                         compilation: Optional[script_pb2.CompilationContext] = None, **kw: Any) -> script_pb2.ExecutionResult:
        """As Client.run_script: the arguments are ``args``, or ``context.arguments`` when ``args`` is
        None; giving both is a ValueError."""
        req = script_service_pb2.RunScriptRequest(source=c.checked_text("source", source), context=c.execution_context(args, context), compilation=compilation)
        return (await self.scripts.RunScript(req, **kw)).result

    async def run(self, source: str, args: Optional[c.Arguments] = None, **kw: Any) -> c.JSON:
        """As Client.run (``context.arguments`` are used when ``args`` is None; both is a ValueError)."""
        return c.value_of(await self.run_script(source, args, **kw))

    async def compile(self, source: str, compilation: Optional[script_pb2.CompilationContext] = None, **kw: Any) -> script_pb2.CompiledScript:
        return (await self.scripts.CompileScript(script_service_pb2.CompileScriptRequest(source=c.checked_text("source", source), context=compilation), **kw)).script

    async def execute(self, script_id: str, args: Optional[c.Arguments] = None, *, version: int = 0,
                      context: Optional[script_pb2.ExecutionContext] = None, **kw: Any) -> c.JSON:
        """As Client.execute (``context.arguments`` are used when ``args`` is None; both is a ValueError)."""
        req = script_service_pb2.ExecuteScriptRequest(script_id=c.checked_text("script_id", script_id), version=version, context=c.execution_context(args, context))
        return c.value_of((await self.scripts.ExecuteScript(req, **kw)).result)

    async def delete(self, script_id: str, **kw: Any) -> int:
        """Deletes a stored script with every version (scripts:delete permission); returns how many there were."""
        return int((await self.scripts.DeleteScript(script_service_pb2.DeleteScriptRequest(script_id=c.checked_text("script_id", script_id)), **kw)).versions_deleted)

    async def migrate(self, tool_name: str, config: Optional[migration_pb2.MigrationConfig] = None, **kw: Any) -> migration_pb2.MigrationResult:
        return (await self.migrations.MigrateTool(migration_service_pb2.MigrateToolRequest(tool_name=c.checked_text("tool_name", tool_name), config=config), **kw)).result

    async def rollback(self, tool_name: str, config: Optional[migration_pb2.RollbackConfig] = None, **kw: Any) -> migration_pb2.RollbackResult:
        return (await self.migrations.RollbackTool(migration_service_pb2.RollbackToolRequest(tool_name=c.checked_text("tool_name", tool_name), config=config), **kw)).result

    def subscribe(self, event_types: Sequence[str] = (), *, after_sequence: Optional[int] = None,
                  on_lost: Optional[Callable[[Any], None]] = None, on_started: Optional[Callable[[Any], None]] = None,
                  resume: bool = True, max_reconnects: int = 10) -> AsyncGenerator[events_pb2.ServiceEvent, None]:
        """Async-iterates events, resubscribing after the last yielded sequence (before the first, after
        the first stream's ``started.latest_sequence``), or after the stream's ``resume_after_sequence``
        when the server said one, when the connection drops, the server shuts down, the stream is
        reset (CANCELLED, neither by the caller nor by close()) or the reader fell behind (EVENTS_LOST). Cancel the consuming task, or
        ``aclose()`` the iterator (a break alone leaves the stream open while it is referenced), to stop. Missed events go to ``on_lost``, or raise EventsLostError
        when it is None; a notice that missed nothing (``missed_count`` 0, e.g. resuming exactly where a
        cleanly stopped run of the server ended) only reaches ``on_lost``."""
        position: dict[str, Optional[int]] = {"after": after_sequence}
        types = c.event_types_of(event_types)  # raised here, not at the first iteration

        async def one(healthy: Callable[[], None]) -> AsyncGenerator[events_pb2.ServiceEvent, None]:
            req = event_service_pb2.SubscribeRequest(event_types=types)
            if position["after"] is not None:
                req.after_sequence = position["after"]
            stream = self.events.Subscribe(req)
            try:
                with c.resume_point(position):
                    async for msg in stream:
                        event = c.subscription_event(msg, position, healthy, on_started, on_lost)
                        if event is not None:
                            yield event
            finally:
                await stream.aclose()

        return self._resuming(one, resume=resume, max_reconnects=max_reconnects)

    def watch(self, service_type: str = "", *, on_restart: Optional[Callable[[], None]] = None,
              on_synced: Optional[Callable[[], None]] = None, resume: bool = True,
              max_reconnects: int = 10) -> AsyncGenerator[registry_service_pb2.WatchServicesResponse, None]:
        """Async-iterates registration changes. Every stream starts with an EXISTING snapshot of the
        live registrations, so when the connection drops, the server shuts down (UNAVAILABLE), the
        stream is reset (CANCELLED, neither by the caller nor by close()) or the reader fell behind
        (EVENTS_LOST) it watches again and the new
        snapshot brings the caller up to date. ``on_restart`` is called for each (re)started stream,
        before its snapshot, and ``on_synced`` when its snapshot is complete (the server's SYNCED,
        not yielded), as on Client. Cancel the consuming task, or ``aclose()`` the iterator, to stop."""
        service_type = c.checked_text("service_type", service_type)  # raised here, not at the first iteration

        async def one(healthy: Callable[[], None]) -> AsyncGenerator[registry_service_pb2.WatchServicesResponse, None]:
            if on_restart:
                on_restart()
            stream = self.registry.WatchServices(registry_service_pb2.WatchServicesRequest(service_type=service_type))
            try:
                async for msg in stream:
                    change = c.watch_change(msg, healthy, on_synced)
                    if change is not None:
                        yield change
            finally:
                await stream.aclose()

        return self._resuming(one, resume=resume, max_reconnects=max_reconnects)

    async def _resuming(self, one: Callable[[Callable[[], None]], AsyncGenerator[T, None]], *, resume: bool,
                        max_reconnects: int) -> AsyncGenerator[T, None]:
        """Runs one stream after another (``one`` is a stream's life): after a dropped connection, a
        server shutdown (UNAVAILABLE), a reset stream (CANCELLED, neither by the caller nor by
        close()) or a reader that fell behind (EVENTS_LOST) it backs off, never less than RetryInfo,
        and starts a new stream. ``healthy`` resets the count of failed reconnects; a stream that
        fell behind before yielding anything counts as one more, as on Client."""
        failures = 0

        def healthy() -> None:
            nonlocal failures
            failures = 0

        while True:
            stream = one(healthy)
            before, delivered = failures, False
            try:
                async for item in stream:
                    delivered = True
                    yield item
                return
            except ScriptEngineError as err:
                if not c.dropped(err):
                    raise
                if self._closed:  # as on Client: closing the client ends the iteration, quietly
                    return
                # (The caller's own task cancellation is asyncio.CancelledError, which goes on up.)
                if c.fell_behind(err) and not delivered:
                    failures = before
                failures += 1
                if not resume or failures > max_reconnects:
                    raise
                # close() ends the wait at once, and the iteration with it.
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self._closing_event().wait(), self._retry.backoff(failures, err.retry_delay))
                if self._closed:
                    return
            finally:
                await stream.aclose()  # closes the call when the reader leaves
