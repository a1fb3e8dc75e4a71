"""close() while a subscribe()/watch() loop waits out its backoff between streams ends the loop at
once, quietly and with no stream after it, as in the Go and TS clients; the loop used to sleep the
backoff out (here the client's 10 minutes, or a server's RetryInfo) before it noticed."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any, Iterator

import grpc
import pytest

import scriptengine_client as se
from scriptengine.v1 import event_service_pb2_grpc, registry_service_pb2_grpc
from conftest import fake_server

SLOW = se.RetryPolicy(initial_backoff=600, max_backoff=600)


class Dropping(event_service_pb2_grpc.EventServiceServicer, registry_service_pb2_grpc.RegistryServiceServicer):
    """Ends every Subscribe and WatchServices UNAVAILABLE at once, counting them."""

    def __init__(self) -> None:
        self.streams = 0

    def _drop(self, context: grpc.ServicerContext) -> Iterator[Any]:
        self.streams += 1
        context.abort(grpc.StatusCode.UNAVAILABLE, "going away")
        yield from ()

    def Subscribe(self, request: Any, context: grpc.ServicerContext) -> Iterator[Any]:
        return self._drop(context)

    def WatchServices(self, request: Any, context: grpc.ServicerContext) -> Iterator[Any]:
        return self._drop(context)


@pytest.fixture
def dropping() -> Iterator[tuple[str, Dropping]]:
    servicer = Dropping()
    with fake_server(servicer, event_service_pb2_grpc.add_EventServiceServicer_to_server, registry_service_pb2_grpc.add_RegistryServiceServicer_to_server) as address:
        yield address, servicer


def wait_for(cond, what: str, timeout: float = 20) -> None:
    end = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < end, f"timed out waiting for {what}"
        time.sleep(0.02)


@pytest.mark.parametrize("kind", ["subscribe", "watch"])
@pytest.mark.parametrize("with_stop", [False, True])
def test_close_ends_a_backoff(dropping, kind: str, with_stop: bool) -> None:
    address, server = dropping
    client = se.Client(address, retry=SLOW)
    ended = threading.Event()
    outcome: list[object] = []

    def iterate() -> None:
        try:
            stop = threading.Event() if with_stop else None
            for _ in getattr(client, kind)(stop=stop):
                pass
            outcome.append("quietly")
        except Exception as err:  # noqa: BLE001 - the outcome is asserted below
            outcome.append(err)
        finally:
            ended.set()

    threading.Thread(target=iterate, daemon=True).start()
    try:
        wait_for(lambda: server.streams >= 1, "the first stream")
        time.sleep(0.5)  # past the failure's handling, into the backoff
        client.close()
        assert ended.wait(20), "close() did not end the loop: it is waiting out the backoff"
        assert outcome == ["quietly"]
        assert server.streams == 1, "a stream after close()"
    finally:
        client.close()


@pytest.mark.parametrize("kind", ["subscribe", "watch"])
def test_async_close_ends_a_backoff(dropping, kind: str) -> None:
    address, server = dropping

    async def run() -> None:
        client = se.AsyncClient(address, retry=SLOW)

        async def iterate() -> str:
            async for _ in getattr(client, kind)():
                pass
            return "quietly"

        task = asyncio.ensure_future(iterate())
        try:
            while server.streams < 1:
                await asyncio.sleep(0.02)
            await asyncio.sleep(0.5)  # past the failure's handling, into the backoff
            await client.close()
            assert await asyncio.wait_for(task, 20) == "quietly"
            assert server.streams == 1, "a stream after close()"
        finally:
            task.cancel()
            await client.close()

    asyncio.run(asyncio.wait_for(run(), 60))
