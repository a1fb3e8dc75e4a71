"""A server that stops answering without closing its connection (SIGSTOP, a host gone without a reset)
looks fine to TCP: with no HTTP/2 pings a stream on it waited forever. The client now pings, also on a
stream quiet for many pings (grpc core stops after two pings without data unless told otherwise), so
the stream fails UNAVAILABLE (without them it would end at its deadline, DEADLINE_EXCEEDED)."""

from __future__ import annotations

import asyncio
import signal
import time

import scriptengine_client as se
from scriptengine.v1 import event_service_pb2

KEEPALIVE = [("grpc.keepalive_time_ms", 300), ("grpc.keepalive_timeout_ms", 500)]


def test_frozen_server_fails_stream_within_keepalive(server) -> None:
    other = se.Client(server.grpc)
    try:
        with se.Client(server.grpc, channel_options=KEEPALIVE) as c:
            stream = c.events.Subscribe(event_service_pb2.SubscribeRequest(), timeout=15)
            assert next(stream).WhichOneof("message") == "started"
            # Quiet for many pings, then an event: the stream is still open.
            time.sleep(2)
            other.run("1")
            assert next(stream).WhichOneof("message") == "event"
            time.sleep(2)
            server.proc.send_signal(signal.SIGSTOP)
            try:
                next(stream)
                raise AssertionError("the stream went on")
            except se.UnavailableError:
                pass
    finally:
        server.proc.send_signal(signal.SIGCONT)
        other.close()


def test_async_frozen_server_fails_stream_within_keepalive(server) -> None:
    async def main() -> None:
        async with se.AsyncClient(server.grpc) as other, se.AsyncClient(server.grpc, channel_options=KEEPALIVE) as c:
            stream = c.events.Subscribe(event_service_pb2.SubscribeRequest(), timeout=15).__aiter__()
            assert (await stream.__anext__()).WhichOneof("message") == "started"
            await asyncio.sleep(2)
            await other.run("1")
            assert (await stream.__anext__()).WhichOneof("message") == "event"
            await asyncio.sleep(2)
            server.proc.send_signal(signal.SIGSTOP)
            try:
                await stream.__anext__()
                raise AssertionError("the stream went on")
            except se.UnavailableError:
                pass

    try:
        asyncio.run(main())
    finally:
        server.proc.send_signal(signal.SIGCONT)

