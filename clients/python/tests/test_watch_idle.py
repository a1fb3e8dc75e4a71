"""A watch that matches no registration gets no change, yet each reconnect that opened a stream
worked: the server's SYNCED says so at once (``on_synced``, never yielded), so connections dropped
one after another (a proxy or load balancer recycling them), however soon, do not add up to
``max_reconnects``, which counts failed reconnects in a row; streams that fail at once still give up
(sync and async)."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Callable, Iterator, Optional

import pytest

import scriptengine_client as se
from conftest import CutProxy, Server, start_server

CUTS = 3


def wait_for(what: str, cond: Callable[[], bool], timeout: float = 10.0) -> None:
    end = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < end, f"timed out waiting for {what}"
        time.sleep(0.005)


async def await_for(what: str, cond: Callable[[], bool], timeout: float = 10.0) -> None:
    end = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < end, f"timed out waiting for {what}"
        await asyncio.sleep(0.005)


@pytest.fixture
def proxied() -> Iterator[CutProxy]:
    server: Server = start_server(None, "--set", "discovery.enabled=false")
    proxy = CutProxy(server.grpc)
    yield proxy
    proxy.close()
    server.stop()


def test_idle_watch_outlives_dropped_connections(proxied: CutProxy) -> None:
    restarts: list[int] = []
    synced: list[int] = []
    yielded: list[object] = []
    ended: list[Optional[BaseException]] = []
    stop = threading.Event()
    with se.Client(proxied.address) as client:
        def run() -> None:
            try:
                for change in client.watch("Nothing", max_reconnects=1, stop=stop, on_restart=lambda: restarts.append(1),
                                           on_synced=lambda: synced.append(1)):
                    yielded.append(change)
                ended.append(None)
            except BaseException as err:  # noqa: BLE001 (reported by the test)
                ended.append(err)

        reader = threading.Thread(target=run, daemon=True)
        reader.start()
        for cut in range(1, CUTS + 1):
            # Cut as soon as the (new) stream is synced, long before the 1 s rule for older servers.
            wait_for(f"SYNCED of stream {cut}", lambda: len(synced) >= cut or bool(ended))
            assert not ended, f"the watch ended before cut {cut} ({len(restarts)} streams): {ended[0]!r}"
            proxied.cut()
        wait_for(f"SYNCED of stream {CUTS + 1}", lambda: len(synced) > CUTS or bool(ended))
        time.sleep(0.2)
        assert not ended, f"the watch ended after {CUTS} cuts ({len(restarts)} streams), each reconnect having worked: {ended[0]!r}"
        assert (len(restarts), len(synced), yielded) == (CUTS + 1, CUTS + 1, [])  # SYNCED is not yielded
        # Streams that fail at once (nothing takes the connection) are failed reconnects: it gives up.
        proxied.refusing = True
        proxied.cut()
        reader.join(15)
        assert ended and isinstance(ended[0], se.UnavailableError), ended


def test_async_idle_watch_outlives_dropped_connections(proxied: CutProxy) -> None:
    restarts: list[int] = []
    synced: list[int] = []
    yielded: list[object] = []

    async def main() -> None:
        async with se.AsyncClient(proxied.address) as client:
            async def run() -> None:
                async for change in client.watch("Nothing", max_reconnects=1, on_restart=lambda: restarts.append(1),
                                                 on_synced=lambda: synced.append(1)):
                    yielded.append(change)

            task = asyncio.create_task(run())
            for cut in range(1, CUTS + 1):
                await await_for(f"SYNCED of stream {cut}", lambda: len(synced) >= cut or task.done())
                assert not task.done(), f"the watch ended before cut {cut} ({len(restarts)} streams): {task.exception()!r}"
                proxied.cut()
            await await_for(f"SYNCED of stream {CUTS + 1}", lambda: len(synced) > CUTS or task.done())
            await asyncio.sleep(0.2)
            assert not task.done(), f"the watch ended after {CUTS} cuts ({len(restarts)} streams): {task.exception()!r}"
            assert (len(restarts), len(synced), yielded) == (CUTS + 1, CUTS + 1, [])
            proxied.refusing = True
            proxied.cut()
            with pytest.raises(se.UnavailableError):
                await asyncio.wait_for(task, 15)
    asyncio.run(main())
