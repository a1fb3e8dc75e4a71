"""A reader that falls behind: the server ends its stream RESOURCE_EXHAUSTED EVENTS_LOST (a watch past
registry.watch_buffer, a subscription past events.subscriber_buffer with on_lag "disconnect").
subscribe() and watch() take that as a drop worth resuming: a watch gets a fresh snapshot, a
subscription resubscribes from its last sequence and what the log no longer holds comes to
``on_lost``. Such an end counts toward ``max_reconnects`` only when nothing was yielded since the
last resume."""

from __future__ import annotations

import asyncio
import threading
import time
from concurrent import futures
from typing import Any, Iterator

import grpc
import pytest
from google.rpc import error_details_pb2, status_pb2

import scriptengine_client as se
from conftest import Server, start_server
from scriptengine.v1 import event_service_pb2, event_service_pb2_grpc, events_pb2, registry_service_pb2

# The reader's transport takes in no more than its first window (no BDP growth): past that, what
# the server sends waits in its buffer of 2.
SMALL_WINDOW = [("grpc.http2.bdp_probe", 0)]
LAGGING = '[events]\nsubscriber_buffer = 2\non_lag = "disconnect"\nlog_size = 50\n[registry]\nwatch_buffer = 2\n'


@pytest.fixture
def lagging_server() -> Iterator[Server]:
    s = start_server(LAGGING, "--set", "discovery.enabled=false")
    yield s
    s.stop()


def _emit(client: se.Client, execution_id: str) -> None:
    client.events.Emit(event_service_pb2.EmitRequest(event=events_pb2.ServiceEvent(
        script_executed=events_pb2.ScriptExecuted(script_id="lag-" + "y" * 240, execution_id=execution_id, success=True))))


def _pile_up(client: se.Client) -> None:
    """Well past what the transport buffers between the server's buffer of 2 and the reader."""
    pad = "x" * 240
    with futures.ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda i: _emit(client, f"e-{i}-{pad}"), range(4000)))
    _emit(client, "last")


def test_subscribe_resumes_after_falling_behind(lagging_server: Server) -> None:
    started = threading.Event()
    starts: list[int] = []
    lost: list[int] = []
    with se.Client(lagging_server.grpc, channel_options=SMALL_WINDOW) as client, se.Client(lagging_server.grpc) as other:
        events = client.subscribe(["script_executed"], on_started=lambda s: (starts.append(1), started.set()),
                                  on_lost=lambda l: lost.append(l.missed_count))
        emitter = threading.Thread(target=lambda: (started.wait(30), _pile_up(other)), daemon=True)
        emitter.start()
        next(events)  # the first event; then the reader stalls while the rest pile up
        emitter.join(60)
        last = ""
        for event in events:
            last = event.script_executed.execution_id
            if last == "last":
                break
        assert last == "last"
        assert len(starts) >= 2 and any(n > 0 for n in lost)


def test_async_subscribe_resumes_after_falling_behind(lagging_server: Server) -> None:
    async def main() -> None:
        lost: list[int] = []
        async with se.AsyncClient(lagging_server.grpc, channel_options=SMALL_WINDOW) as client:
            events = client.subscribe(["script_executed"], on_lost=lambda l: lost.append(l.missed_count))
            with se.Client(lagging_server.grpc) as emitter:
                first = asyncio.ensure_future(events.__anext__())
                await asyncio.sleep(0.3)  # the stream is open
                _emit(emitter, "first")
                await first
                await asyncio.to_thread(_pile_up, emitter)  # the reader stalls meanwhile
            async for event in events:
                if event.script_executed.execution_id == "last":
                    break
            else:
                pytest.fail("the subscription ended")
            await events.aclose()  # type: ignore[attr-defined]
            assert any(n > 0 for n in lost)

    asyncio.run(asyncio.wait_for(main(), 60))


def _register(client: se.Client, service_id: str) -> None:
    # 15 KB of metadata each: 60 of them are well past the reader's first window.
    client.registry.register_service(registry_service_pb2.RegisterServiceRequest(
        service=registry_service_pb2.ServiceInfo(service_id=service_id, service_type="Lag", endpoint="127.0.0.1:9001",
                                                 metadata={f"k{k}": "v" * 1000 for k in range(15)})))


def test_watch_resumes_after_falling_behind(lagging_server: Server) -> None:
    restarts: list[int] = []
    stop = threading.Event()
    timer = threading.Timer(30, stop.set)  # a watch that never falls behind waits for more changes
    timer.start()
    with se.Client(lagging_server.grpc, channel_options=SMALL_WINDOW) as client:
        changes = client.watch("Lag", on_restart=lambda: restarts.append(1), stop=stop)
        threading.Timer(0.3, lambda: _register(client, "w-first")).start()
        next(changes)  # opens the watch; then the reader stalls
        with futures.ThreadPoolExecutor(16) as pool:
            list(pool.map(lambda i: _register(client, f"w-{i}"), range(60)))
        time.sleep(0.3)
        seen = False
        for change in changes:
            seen = seen or change.registration.service.service_id == "w-59"
            if seen and len(restarts) >= 2:
                break
        timer.cancel()
        assert seen and len(restarts) >= 2


class LaggingServer(event_service_pb2_grpc.EventServiceServicer):
    """Each subscription starts, yields one event when ``deliver`` is set, then ends EVENTS_LOST;
    after ``streams`` of them one ends cleanly."""

    def __init__(self, streams: int, deliver: bool) -> None:
        self.streams, self.deliver, self.calls = streams, deliver, 0
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        event_service_pb2_grpc.add_EventServiceServicer_to_server(self, self.server)
        self.address = f"127.0.0.1:{self.server.add_insecure_port('127.0.0.1:0')}"
        self.server.start()

    def Subscribe(self, request: Any, context: Any) -> Any:
        self.calls += 1
        yield event_service_pb2.SubscribeResponse(started=event_service_pb2.SubscriptionStarted())
        if self.calls > self.streams:
            return
        if self.deliver:
            yield event_service_pb2.SubscribeResponse(event=events_pb2.ServiceEvent(sequence=self.calls))
        info = error_details_pb2.ErrorInfo(reason="EVENTS_LOST", domain="scriptengine.v1")
        status = status_pb2.Status(code=grpc.StatusCode.RESOURCE_EXHAUSTED.value[0], message="subscriber fell behind")
        status.details.add().Pack(info)
        context.set_trailing_metadata([("grpc-status-details-bin", status.SerializeToString())])
        context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, status.message)


def test_falling_behind_with_events_between_does_not_use_up_max_reconnects() -> None:
    fake = LaggingServer(5, deliver=True)
    try:
        with se.Client(fake.address) as client:
            assert [e.sequence for e in client.subscribe(after_sequence=0, max_reconnects=2)] == [1, 2, 3, 4, 5]
            assert fake.calls == 6
    finally:
        fake.server.stop(0)


def test_falling_behind_with_nothing_between_counts_toward_max_reconnects() -> None:
    fake = LaggingServer(100, deliver=False)
    try:
        with se.Client(fake.address) as client:
            with pytest.raises(se.ResourceExhaustedError) as raised:
                list(client.subscribe(after_sequence=0, max_reconnects=2))
            assert raised.value.reason == "EVENTS_LOST" and fake.calls == 3
    finally:
        fake.server.stop(0)
