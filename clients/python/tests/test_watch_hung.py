"""A watch stream that brings no message (not SYNCED, not a change), however long it lasts (a hung
server, a proxy with no backend that holds the stream and then drops it), is a failed reconnect: the
watch gives up after ``max_reconnects`` of them in a row (sync and async). It used to count any stream
that lasted a second as working, and retried forever."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any, Iterator

import grpc
import pytest

import scriptengine_client as se
from scriptengine.v1 import registry_service_pb2_grpc
from conftest import fake_server

HOLD = 1.5


class HungRegistry(registry_service_pb2_grpc.RegistryServiceServicer):
    """Its watches send nothing and end UNAVAILABLE after HOLD seconds."""

    def __init__(self) -> None:
        self.watches = 0

    def WatchServices(self, request: Any, context: grpc.ServicerContext) -> Iterator[Any]:
        self.watches += 1
        threading.Event().wait(HOLD)
        context.abort(grpc.StatusCode.UNAVAILABLE, "no backend")
        yield from ()


@pytest.fixture
def hung() -> Iterator[tuple[str, HungRegistry]]:
    registry = HungRegistry()
    with fake_server(registry, registry_service_pb2_grpc.add_RegistryServiceServicer_to_server) as address:
        yield address, registry


def test_watch_gives_up_on_streams_that_bring_nothing(hung) -> None:
    address, registry = hung
    stop = threading.Event()
    timer = threading.Timer(12, stop.set)
    timer.start()
    restarts = 0

    def restarted() -> None:
        nonlocal restarts
        restarts += 1

    started = time.monotonic()
    try:
        with se.Client(address) as client, pytest.raises(se.UnavailableError):
            for _ in client.watch(max_reconnects=1, on_restart=restarted, stop=stop):
                pass
            pytest.fail(f"still retrying after {time.monotonic() - started:.0f} s ({restarts} streams)")
    finally:
        timer.cancel()
    assert (restarts, registry.watches) == (2, 2)  # the first stream and max_reconnects (1) more


def test_async_watch_gives_up_on_streams_that_bring_nothing(hung) -> None:
    address, registry = hung
    restarts = 0

    def restarted() -> None:
        nonlocal restarts
        restarts += 1

    async def main() -> None:
        async with se.AsyncClient(address) as client:
            async def watch() -> None:
                async for _ in client.watch(max_reconnects=1, on_restart=restarted):
                    pass

            with pytest.raises(se.UnavailableError):
                try:
                    await asyncio.wait_for(watch(), 12)
                except asyncio.TimeoutError:
                    pytest.fail(f"still retrying after 12 s ({restarts} streams)")

    asyncio.run(main())
    assert (restarts, registry.watches) == (2, 2)
