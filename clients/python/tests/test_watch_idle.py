"""A watch that matches no registration gets no change, yet each reconnect that opened a stream
worked: connections dropped one after another (a proxy or load balancer recycling them) do not add
up to ``max_reconnects``, which counts failed reconnects in a row; streams that fail at once still
give up (sync and async)."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from typing import Iterator, Optional

import pytest

import scriptengine_client as se
from conftest import Server, start_server

# Long enough for a reconnected stream to count as open (the SDK's WATCH_SETTLED is 1 s).
OPEN_FOR = 2.0
CUTS = 3


class CutProxy:
    """A TCP proxy to ``target`` whose ``cut()`` drops every connection it carries; once ``refuse``
    is set it closes new connections at once."""

    def __init__(self, target: str) -> None:
        host, port = target.rsplit(":", 1)
        self._target = (host, int(port))
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.address = f"127.0.0.1:{self._listener.getsockname()[1]}"
        self._open: list[socket.socket] = []
        self._lock = threading.Lock()
        self.refuse = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                down, _ = self._listener.accept()
            except OSError:
                return
            if self.refuse:
                down.close()
                continue
            up = socket.create_connection(self._target)
            with self._lock:
                self._open += [down, up]
            for src, dst in ((down, up), (up, down)):
                threading.Thread(target=self._pipe, args=(src, dst), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def cut(self) -> None:
        with self._lock:
            conns, self._open = self._open, []
        for s in conns:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def close(self) -> None:
        self._listener.close()
        self.cut()


@pytest.fixture
def proxied() -> Iterator[CutProxy]:
    server: Server = start_server(None, "--set", "discovery.enabled=false")
    proxy = CutProxy(server.grpc)
    yield proxy
    proxy.close()
    server.stop()


def test_idle_watch_outlives_dropped_connections(proxied: CutProxy) -> None:
    restarts: list[int] = []
    ended: list[Optional[BaseException]] = []
    stop = threading.Event()
    with se.Client(proxied.address) as client:
        def run() -> None:
            try:
                for _ in client.watch("Nothing", max_reconnects=1, stop=stop, on_restart=lambda: restarts.append(1)):
                    pass
                ended.append(None)
            except BaseException as err:  # noqa: BLE001 (reported by the test)
                ended.append(err)

        reader = threading.Thread(target=run, daemon=True)
        reader.start()
        for cut in range(1, CUTS + 1):
            time.sleep(OPEN_FOR)  # the (new) stream is open and idle
            assert not ended, f"the watch ended before cut {cut} ({len(restarts)} streams): {ended[0]!r}"
            proxied.cut()
        time.sleep(OPEN_FOR)
        assert not ended, f"the watch ended after {CUTS} cuts ({len(restarts)} streams), each reconnect having worked: {ended[0]!r}"
        assert len(restarts) == CUTS + 1
        # Streams that fail at once (nothing takes the connection) are failed reconnects: it gives up.
        proxied.refuse = True
        proxied.cut()
        reader.join(15)
        assert ended and isinstance(ended[0], se.UnavailableError), ended


def test_async_idle_watch_outlives_dropped_connections(proxied: CutProxy) -> None:
    restarts: list[int] = []

    async def main() -> None:
        async with se.AsyncClient(proxied.address) as client:
            async def run() -> None:
                async for _ in client.watch("Nothing", max_reconnects=1, on_restart=lambda: restarts.append(1)):
                    pass

            task = asyncio.create_task(run())
            for cut in range(1, CUTS + 1):
                await asyncio.sleep(OPEN_FOR)
                assert not task.done(), f"the watch ended before cut {cut} ({len(restarts)} streams): {task.exception()!r}"
                proxied.cut()
            await asyncio.sleep(OPEN_FOR)
            assert not task.done(), f"the watch ended after {CUTS} cuts ({len(restarts)} streams): {task.exception()!r}"
            assert len(restarts) == CUTS + 1
            proxied.refuse = True
            proxied.cut()
            with pytest.raises(se.UnavailableError):
                await asyncio.wait_for(task, 15)
    asyncio.run(main())
