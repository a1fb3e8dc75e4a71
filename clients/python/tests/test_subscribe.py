"""subscribe() resumes after a dropped connection from the last sequence it yielded, or a live one
from where it started; across a clean restart it resumes where the stopping server said, missing
nothing; ``stop`` and ``close()`` end an idle stream cleanly (sync and async)."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from concurrent import futures
from typing import Any, Callable

import grpc
import pytest

import scriptengine_client as se
from conftest import CutProxy, start_server
from scriptengine.v1 import event_service_pb2, event_service_pb2_grpc, events_pb2, registry_service_pb2, registry_service_pb2_grpc, script_service_pb2
from scriptengine.v1 import script_pb2


def ctx(execution_id: str) -> script_pb2.ExecutionContext:
    return script_pb2.ExecutionContext(execution_id=execution_id)


def test_subscribe_resumes(server) -> None:
    proxy = CutProxy(server.grpc)
    starts: list = []
    try:
        with se.Client(server.grpc) as direct, se.Client(proxy.address) as via_proxy:
            events = via_proxy.subscribe(["script_executed"], after_sequence=0, on_started=starts.append)
            direct.run("1", context=ctx("before-cut"))
            first = next(events)
            assert first.script_executed.execution_id == "before-cut"
            proxy.cut()
            direct.run("2", context=ctx("during-cut-1"))
            direct.run("3", context=ctx("during-cut-2"))
            got = [next(events), next(events)]
            assert [e.script_executed.execution_id for e in got] == ["during-cut-1", "during-cut-2"]
            assert first.sequence < got[0].sequence < got[1].sequence
            assert len(starts) >= 2
            events.close()
    finally:
        proxy.close()


def test_async_subscribe_resumes(server) -> None:
    async def main() -> None:
        proxy = CutProxy(server.grpc)
        starts: list = []
        try:
            async with se.AsyncClient(server.grpc) as direct, se.AsyncClient(proxy.address) as via_proxy:
                events = via_proxy.subscribe(["script_executed"], after_sequence=0, on_started=starts.append)
                await direct.run("1", context=ctx("before-cut"))
                first = await anext(events)
                assert first.script_executed.execution_id == "before-cut"
                proxy.cut()
                await direct.run("2", context=ctx("during-cut-1"))
                await direct.run("3", context=ctx("during-cut-2"))
                got = [await anext(events), await anext(events)]
                assert [e.script_executed.execution_id for e in got] == ["during-cut-1", "during-cut-2"]
                assert len(starts) >= 2
                await events.aclose()
        finally:
            proxy.close()

    asyncio.run(asyncio.wait_for(main(), 30))


def test_resume_after_unknown_sequence_reports_the_loss_once(server) -> None:
    """A resume after a sequence beyond the server's latest (a reset store) gets RESTART, then all the
    server retains, none of it this type: a connection dropped then resumes from where the server
    went on, so the notice is not repeated."""
    proxy = CutProxy(server.grpc)
    reasons: list[int] = []
    starts = [0]
    try:
        with se.Client(server.grpc) as direct, se.Client(proxy.address) as via_proxy:
            def on_lost(lost: Any) -> None:
                reasons.append(lost.reason)
                if len(reasons) == 1:
                    proxy.cut()

            def on_started(_: Any) -> None:
                starts[0] += 1
                if starts[0] == 2:
                    direct.events.Emit(event_service_pb2.EmitRequest(event=events_pb2.ServiceEvent(
                        migration_started=events_pb2.MigrationStarted(tool_name="t", migration_id="after-cut"))))

            events = via_proxy.subscribe(["migration_started"], after_sequence=1_000_000, on_lost=on_lost, on_started=on_started)
            got: list = []
            reader = threading.Thread(target=lambda: got.append(next(events)), daemon=True)
            reader.start()
            reader.join(30)
            assert [e.migration_started.migration_id for e in got] == ["after-cut"]
            assert reasons == [event_service_pb2.LOSS_REASON_RESTART]
            events.close()
    finally:
        proxy.close()


def test_subscribe_resumes_across_server_restart() -> None:
    """A server that shuts down ends the stream with UNAVAILABLE (ENGINE_STOPPED, RetryInfo): the
    iterator resubscribes and carries on with the next server on the address."""
    from conftest import start_server
    from test_client import free_port

    address = f"127.0.0.1:{free_port()}"
    servers = [start_server(None, "--grpc-address", address)]
    starts: list = []
    try:
        with se.Client(address) as client:
            # The new server announces the gap in sequences (on_lost), then replays its log.
            events = client.subscribe(["script_executed"], after_sequence=0, on_started=starts.append, on_lost=lambda lost: None,
                                      max_reconnects=1000)  # however long the next server takes to start
            # Sequences are per process and SubscriptionStarted carries no process identity: a resume is only
            # recognised as crossing a restart when the last sequence seen is beyond the new server's latest.
            for i in range(5):
                client.run("1", context=ctx(f"first-server-{i}"))
                assert next(events).script_executed.execution_id == f"first-server-{i}"
            pending: list = []
            reader = threading.Thread(target=lambda: pending.append(next(events)))
            reader.start()
            servers[0].stop()
            servers.append(start_server(None, "--grpc-address", address))
            # RunScript is not retried, and grpcio shares subchannels between channels to one address:
            # `client`'s, still backing off after the first server went away, would fail this call at
            # once. A channel with its own subchannel connects to the new server.
            with se.Client(address, channel_options=[("grpc.use_local_subchannel_pool", 1)]) as direct:
                direct.run("2", context=ctx("second-server"))
            reader.join(30)
            assert [e.script_executed.execution_id for e in pending] == ["second-server"]
            assert len(starts) >= 2
            events.close()
    finally:
        for s in servers:
            s.stop()


def test_live_subscription_resumes_from_where_it_started(server) -> None:
    """Without after_sequence, a reconnect resumes from the first stream's started.latest_sequence:
    an event published while the subscriber cannot reconnect is still delivered, before later ones."""
    proxy = CutProxy(server.grpc)
    starts: list[threading.Event] = [threading.Event(), threading.Event()]
    count = [0]

    def on_started(_: Any) -> None:
        if count[0] < len(starts):
            starts[count[0]].set()
        count[0] += 1

    try:
        with se.Client(server.grpc) as direct, se.Client(proxy.address) as via_proxy:
            events = via_proxy.subscribe(["script_executed"], on_started=on_started)
            got: list = []
            reader = threading.Thread(target=lambda: got.extend([next(events), next(events)]))
            reader.start()
            assert starts[0].wait(30)
            proxy.refusing = True
            proxy.cut()
            direct.run("1", context=ctx("during-gap"))
            proxy.refusing = False
            assert starts[1].wait(30)
            direct.run("2", context=ctx("after-gap"))
            reader.join(30)
            assert [e.script_executed.execution_id for e in got] == ["during-gap", "after-gap"]
            events.close()
    finally:
        proxy.close()


def test_async_live_subscription_resumes_from_where_it_started(server) -> None:
    async def main() -> None:
        proxy = CutProxy(server.grpc)
        starts = [asyncio.Event(), asyncio.Event()]
        count = [0]

        def on_started(_: Any) -> None:
            if count[0] < len(starts):
                starts[count[0]].set()
            count[0] += 1

        try:
            async with se.AsyncClient(server.grpc) as direct, se.AsyncClient(proxy.address) as via_proxy:
                events = via_proxy.subscribe(["script_executed"], on_started=on_started)
                reader = asyncio.ensure_future(anext(events))  # opens the live stream
                await starts[0].wait()
                proxy.refusing = True
                proxy.cut()
                await direct.run("1", context=ctx("during-gap"))
                proxy.refusing = False
                await starts[1].wait()
                await direct.run("2", context=ctx("after-gap"))
                got = [await reader, await anext(events)]
                assert [e.script_executed.execution_id for e in got] == ["during-gap", "after-gap"]
                await events.aclose()
        finally:
            proxy.close()

    asyncio.run(asyncio.wait_for(main(), 30))


def test_subscribe_goes_on_across_clean_restart_without_on_lost() -> None:
    """A live subscription filtered to script_executed, across a clean restart on the same data dir and
    address: the stopping run publishes events the filter skips (health STOPPING, deregistration) after
    the last one delivered, and the stream's end says everything up to them was sent
    (resume_after_sequence), so nothing is missed and, without on_lost, the iteration goes on."""
    from test_client import free_port

    address = f"127.0.0.1:{free_port()}"
    servers = [start_server(None, "--grpc-address", address)]
    started = threading.Event()
    got: list = []

    def pull(events: Any) -> threading.Thread:
        def take() -> None:
            try:
                got.append(next(events).script_executed.execution_id)
            except Exception as err:  # noqa: BLE001 - what ended the iteration is the test's finding
                got.append(err)
        reader = threading.Thread(target=take)
        reader.start()
        return reader

    try:
        with se.Client(address) as client:
            # How long the restarted server takes to start is not the subject: a loaded machine can take
            # longer than the default 10 reconnects (at most about 16 s of backoff).
            events = client.subscribe(["script_executed"], on_started=lambda _: started.set(), max_reconnects=1000)
            reader = pull(events)  # opens the live stream
            assert started.wait(30)
            client.run("1", context=ctx("earlier-run"))
            reader.join(30)
            reader = pull(events)  # waiting on the stream when the server stops
            servers[0].stop()
            servers.append(start_server(None, "--grpc-address", address, data_dir=servers[0].data_dir))
            # RunScript is not retried, and `client`'s subchannel may still be backing off: a channel
            # with its own subchannel connects to the new server.
            with se.Client(address, channel_options=[("grpc.use_local_subchannel_pool", 1)]) as direct:
                direct.run("2", context=ctx("this-run"))
            reader.join(30)
            assert got == ["earlier-run", "this-run"]
            events.close()
    finally:
        for s in servers:
            s.stop()


def test_async_subscribe_goes_on_across_clean_restart_without_on_lost() -> None:
    from test_client import free_port

    address = f"127.0.0.1:{free_port()}"
    servers = [start_server(None, "--grpc-address", address)]

    async def main() -> None:
        started = asyncio.Event()
        async with se.AsyncClient(address) as client:
            events = client.subscribe(["script_executed"], on_started=lambda _: started.set(), max_reconnects=1000)
            reader = asyncio.ensure_future(anext(events))  # opens the live stream
            await started.wait()
            await client.run("1", context=ctx("earlier-run"))
            assert (await reader).script_executed.execution_id == "earlier-run"
            reader = asyncio.ensure_future(anext(events))  # waiting on the stream when the server stops
            await asyncio.to_thread(servers[0].stop)
            servers.append(await asyncio.to_thread(start_server, None, "--grpc-address", address, data_dir=servers[0].data_dir))
            async with se.AsyncClient(address, channel_options=[("grpc.use_local_subchannel_pool", 1)]) as direct:
                await direct.run("2", context=ctx("this-run"))
            assert (await reader).script_executed.execution_id == "this-run"
            await events.aclose()

    try:
        asyncio.run(asyncio.wait_for(main(), 60))
    finally:
        for s in servers:
            s.stop()


def test_subscribe_from_checkpoint_across_restart_raises_events_lost() -> None:
    """Resuming after a restart from a checkpoint the earlier run published past: the notice counts what
    that run published after it (missed_count > 0), so without on_lost the iteration raises."""
    first = start_server()
    try:
        with se.Client(first.grpc) as client:
            client.run("1", context=ctx("checkpoint"))
            events = client.subscribe(["script_executed"], after_sequence=0)
            checkpoint = next(events).sequence
            events.close()
            client.run("2", context=ctx("after-checkpoint"))
    finally:
        first.stop()
    server = start_server(data_dir=first.data_dir)
    try:
        with se.Client(server.grpc) as client:
            with pytest.raises(se.EventsLostError) as info:
                next(client.subscribe(["script_executed"], after_sequence=checkpoint))
            assert info.value.lost.reason == event_service_pb2.LOSS_REASON_RESTART
            assert info.value.lost.missed_count > 0

        async def main() -> None:
            async with se.AsyncClient(server.grpc) as aclient:
                with pytest.raises(se.EventsLostError):
                    await anext(aclient.subscribe(["script_executed"], after_sequence=checkpoint))
        asyncio.run(asyncio.wait_for(main(), 30))
    finally:
        server.stop()


def test_subscribe_raises_events_lost_when_events_were_missed() -> None:
    """A loss with missed_count > 0 still ends the iteration when there is no on_lost."""
    server = start_server(None, "--set", "events.log_size=1")
    try:
        with se.Client(server.grpc) as client:
            for i in range(3):
                client.run(str(i))
            with pytest.raises(se.EventsLostError) as info:
                next(client.subscribe(after_sequence=0))
            assert info.value.lost.missed_count > 0

        async def main() -> None:
            async with se.AsyncClient(server.grpc) as aclient:
                with pytest.raises(se.EventsLostError):
                    await anext(aclient.subscribe(after_sequence=0))
        asyncio.run(asyncio.wait_for(main(), 30))
    finally:
        server.stop()


def event_subscribers(client: se.Client) -> int:
    return int(client.scripts.get_metrics(script_service_pb2.GetMetricsRequest()).metrics.event_subscribers)


def until(condition: Callable[[], bool]) -> bool:
    """Polls ``condition`` for up to 10 s (the server frees a cancelled stream once it hears of it)."""
    for _ in range(100):
        if condition():
            return True
        time.sleep(0.1)
    return condition()


@pytest.mark.parametrize("how", ["stop", "close"])
def test_stop_or_close_ends_an_idle_stream_cleanly(server, how: str) -> None:
    """Setting ``stop`` (or closing the client) ends subscribe() and watch() blocked on an idle stream:
    the call is cancelled and the iteration just ends, with no exception into the consumer."""
    with se.Client(server.grpc) as observer:
        client = se.Client(server.grpc)
        stop = threading.Event()
        outcomes: dict[str, object] = {}

        def consume(name: str, stream: Any) -> None:
            try:
                outcomes[name] = list(stream)
            except BaseException as err:  # noqa: BLE001 - the test reports whatever escaped
                outcomes[name] = err

        readers = [
            threading.Thread(target=consume, args=("subscribe", client.subscribe(["migration_completed"], stop=stop))),
            threading.Thread(target=consume, args=("watch", client.watch("NoSuchType", stop=stop))),
        ]
        for r in readers:
            r.start()
        assert until(lambda: event_subscribers(observer) == 1)
        if how == "stop":
            stop.set()
        else:
            client.close()
        for r in readers:
            r.join(10)
        assert not any(r.is_alive() for r in readers)
        assert outcomes == {"subscribe": [], "watch": []}
        assert until(lambda: event_subscribers(observer) == 0)
        client.close()



def _emit_backlog(client: se.Client) -> None:
    """A backlog well past any flow-control window: 400 events of 60 KB."""
    for i in range(400):
        violation = events_pb2.SecurityViolation(kind="backlog", detail="d" * 60_000 + str(i))
        client.events.Emit(event_service_pb2.EmitRequest(event=events_pb2.ServiceEvent(security_violation=violation)))


RESET_ARGS = ("--set", "server.shutdown_grace=1s", "--set", "events.subscriber_buffer=5000")


def test_subscribe_resumes_after_stream_reset_at_shutdown() -> None:
    """A reader stalled through a shutdown cannot take in the stream's UNAVAILABLE end (flow control);
    past the grace the server closes its connections under it (grpcio reads that as UNAVAILABLE,
    grpc-js as CANCELLED: see the resetting server below). The iteration resubscribes and yields the
    next server's event."""
    from test_client import free_port

    address = f"127.0.0.1:{free_port()}"
    servers = [start_server(None, "--grpc-address", address, *RESET_ARGS)]
    try:
        with se.Client(address) as client:
            _emit_backlog(client)
            events = client.subscribe(after_sequence=0, on_lost=lambda _: None)
            next(events)
            time.sleep(0.5)  # then the reader stalls
            servers[0].stop()
            servers.append(start_server(None, "--grpc-address", address, *RESET_ARGS, data_dir=servers[0].data_dir))
            with se.Client(address, channel_options=[("grpc.use_local_subchannel_pool", 1)]) as direct:
                direct.run("2", context=ctx("new-run"))
            for event in events:
                if event.script_executed.execution_id == "new-run":
                    break
            else:
                pytest.fail("the iteration ended")
            events.close()
    finally:
        for s in servers:
            s.stop()


def test_async_subscribe_resumes_after_stream_reset_at_shutdown() -> None:
    from test_client import free_port

    address = f"127.0.0.1:{free_port()}"
    servers = [start_server(None, "--grpc-address", address, *RESET_ARGS)]

    async def main() -> None:
        async with se.AsyncClient(address) as client:
            events = client.subscribe(after_sequence=0, on_lost=lambda _: None)
            await anext(events)
            await asyncio.sleep(0.5)  # then the reader stalls
            await asyncio.to_thread(servers[0].stop)
            servers.append(await asyncio.to_thread(start_server, None, "--grpc-address", address, *RESET_ARGS, data_dir=servers[0].data_dir))
            async with se.AsyncClient(address, channel_options=[("grpc.use_local_subchannel_pool", 1)]) as direct:
                await direct.run("2", context=ctx("new-run"))
            async for event in events:
                if event.script_executed.execution_id == "new-run":
                    break
            else:
                pytest.fail("the iteration ended")
            await events.aclose()

    try:
        with se.Client(address) as client:
            _emit_backlog(client)
        asyncio.run(asyncio.wait_for(main(), 60))
    finally:
        for s in servers:
            s.stop()


class ResettingServer(event_service_pb2_grpc.EventServiceServicer, registry_service_pb2_grpc.RegistryServiceServicer):
    """Ends the first stream of each kind CANCELLED after one message, as grpc-js and proxies report a
    stream the server side reset under the reader; later streams send one message and stay open until
    the client leaves. ``afters`` holds each Subscribe's after_sequence."""

    def __init__(self) -> None:
        self.afters: list[int] = []
        self.watches = 0
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
        event_service_pb2_grpc.add_EventServiceServicer_to_server(self, self.server)
        registry_service_pb2_grpc.add_RegistryServiceServicer_to_server(self, self.server)
        self.address = f"127.0.0.1:{self.server.add_insecure_port('127.0.0.1:0')}"
        self.server.start()

    def Subscribe(self, request: Any, context: Any) -> Any:
        self.afters.append(request.after_sequence)
        yield event_service_pb2.SubscribeResponse(started=event_service_pb2.SubscriptionStarted())
        yield event_service_pb2.SubscribeResponse(event=events_pb2.ServiceEvent(sequence=request.after_sequence + 1))
        self._end(len(self.afters), context)

    def WatchServices(self, request: Any, context: Any) -> Any:
        self.watches += 1
        service = registry_service_pb2.ServiceInfo(service_id=f"w-{self.watches}")
        yield registry_service_pb2.WatchServicesResponse(kind=registry_service_pb2.CHANGE_KIND_EXISTING,
                                                         registration=registry_service_pb2.Registration(service=service))
        self._end(self.watches, context)

    @staticmethod
    def _end(n: int, context: Any) -> None:
        if n == 1:
            context.abort(grpc.StatusCode.CANCELLED, "stream reset")
        while context.is_active():
            time.sleep(0.05)

    def stop(self) -> None:
        self.server.stop(0)


def test_subscribe_resumes_after_cancelled_not_of_its_own_doing() -> None:
    """A stream that ends CANCELLED though neither ``stop`` nor close() cancelled it was reset: the
    iteration resubscribes after the last event it yielded. close() still ends it quietly."""
    fake = ResettingServer()
    try:
        client = se.Client(fake.address)
        events = client.subscribe(after_sequence=0)
        assert [next(events).sequence, next(events).sequence] == [1, 2]
        assert fake.afters == [0, 1]
        rest: list = []
        reader = threading.Thread(target=lambda: rest.append(list(events)))
        reader.start()
        time.sleep(0.2)
        client.close()
        reader.join(10)
        assert rest == [[]] and fake.afters == [0, 1]
    finally:
        fake.stop()


def test_async_subscribe_resumes_after_cancelled_not_of_its_own_doing() -> None:
    fake = ResettingServer()

    async def main() -> None:
        client = se.AsyncClient(fake.address)
        events = client.subscribe(after_sequence=0)
        assert [(await anext(events)).sequence, (await anext(events)).sequence] == [1, 2]
        assert fake.afters == [0, 1]
        pending = asyncio.ensure_future(anext(events))
        await asyncio.sleep(0.2)
        await client.close()
        with pytest.raises(StopAsyncIteration):
            await pending
        assert fake.afters == [0, 1]

    try:
        asyncio.run(asyncio.wait_for(main(), 30))
    finally:
        fake.stop()


def test_both_clients_share_the_resume_rules() -> None:
    """The resume point and what counts as a dropped connection live in _common, for Client and
    AsyncClient alike: the asyncio client no longer borrows a private helper of the blocking one."""
    from scriptengine_client import _aio, _client, _common

    position: dict[str, int | None] = {"after": 5}
    with pytest.raises(se.UnavailableError), _common.resume_point(position):
        raise se.UnavailableError(grpc.StatusCode.UNAVAILABLE, "shutting down", metadata={"resume_after_sequence": "57"})
    assert position["after"] == 57
    with pytest.raises(se.UnavailableError), _common.resume_point(position):
        raise se.UnavailableError(grpc.StatusCode.UNAVAILABLE, "gone", metadata={"resume_after_sequence": "x"})
    assert position["after"] == 57
    assert _common.dropped(se.UnavailableError(grpc.StatusCode.UNAVAILABLE, "gone"))
    assert _common.dropped(se.CancelledError(grpc.StatusCode.CANCELLED, "reset"))
    assert _common.dropped(se.ResourceExhaustedError(grpc.StatusCode.RESOURCE_EXHAUSTED, "fell behind", reason="EVENTS_LOST"))
    assert not _common.dropped(se.ResourceExhaustedError(grpc.StatusCode.RESOURCE_EXHAUSTED, "quota", reason="STREAM_QUOTA"))
    assert not hasattr(_client, "_resume_point") and not hasattr(_aio, "_resume_point")


def test_break_leaves_a_referenced_stream_open_and_close_ends_it(server) -> None:
    """As the README says: the stream opens at the first iteration, not at subscribe(); a ``for``
    left with break keeps the generator, and its stream, while it is referenced; ``close()``
    (``aclose()``, or contextlib.closing / aclosing) ends it."""
    with se.Client(server.grpc) as client:
        events = client.subscribe(["script_executed"], after_sequence=0)
        assert event_subscribers(client) == 0  # not opened yet
        client.run("1")
        for _ in events:
            break
        assert event_subscribers(client) == 1
        events.close()
        assert until(lambda: event_subscribers(client) == 0)
        with contextlib.closing(client.subscribe(["script_executed"], after_sequence=0)) as events:
            for _ in events:
                break
        assert until(lambda: event_subscribers(client) == 0)

        async def main() -> None:
            async with se.AsyncClient(server.grpc) as aclient:
                async with contextlib.aclosing(aclient.subscribe(["script_executed"], after_sequence=0)) as aevents:
                    async for _ in aevents:
                        break
                    assert event_subscribers(client) == 1
                assert await asyncio.to_thread(until, lambda: event_subscribers(client) == 0)
        asyncio.run(main())


def test_a_str_for_event_types_is_refused() -> None:
    """``subscribe("script_executed")`` type-checks (a str is a Sequence[str]) but its letters went as
    types (``unknown event type "s"``): a TypeError saying to pass a list, at the call."""
    with se.Client("127.0.0.1:1") as client:
        with pytest.raises(TypeError, match=r"^event_types is a str: pass a list of event types, e\.g\. \['script_executed'\]"):
            client.subscribe("script_executed")
    with pytest.raises(TypeError, match="pass a list"):
        se.AsyncClient("127.0.0.1:1").subscribe("script_executed")
