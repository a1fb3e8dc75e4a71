"""The caller's channel options win over the client's own (the client adds its defaults only for keys
the caller left out, so no key comes twice), and keepalive pings can be turned off as the README says."""

from __future__ import annotations

import socket
import time
from typing import Callable

import scriptengine_client as se
from conftest import CutProxy
from scriptengine.v1 import event_service_pb2

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"


class PingCounter(CutProxy):
    """A CutProxy that counts the HTTP/2 PING frames (not acks) clients send."""

    def __init__(self, target: str) -> None:
        self.pings = 0
        self._frames = b""
        super().__init__(target)

    def _pipe(self, a: socket.socket, b: socket.socket) -> None:  # type: ignore[override]
        client_side = a.getpeername()[1] != self.target[1]
        CutProxy._pipe(_Reading(a, self._read) if client_side else a, b)  # type: ignore[arg-type]

    def _read(self, data: bytes) -> None:
        buf = self._frames + data
        if buf.startswith(PREFACE):
            buf = buf[len(PREFACE):]
        while len(buf) >= 9 and len(buf) >= 9 + int.from_bytes(buf[:3], "big"):
            if buf[3] == 0x6 and not buf[4] & 0x1:
                self.pings += 1
            buf = buf[9 + int.from_bytes(buf[:3], "big"):]
        self._frames = buf


class _Reading:
    """A socket whose received bytes are shown to ``seen`` (what CutProxy._pipe calls of it)."""

    def __init__(self, sock: socket.socket, seen: Callable[[bytes], None]) -> None:
        self.sock, self.seen = sock, seen

    def recv(self, n: int) -> bytes:
        data = self.sock.recv(n)
        self.seen(data)
        return data

    def shutdown(self, how: int) -> None:
        self.sock.shutdown(how)


def connections(server, options: list) -> int:
    """How many connections two clients with these channel options open to the server."""
    proxy = CutProxy(server.grpc)
    try:
        with se.Client(proxy.address, channel_options=options) as a, se.Client(proxy.address, channel_options=options) as b:
            a.health()
            b.health()
            return len(proxy.conns) // 2
    finally:
        proxy.close()


def test_callers_subchannel_pool_option_wins(server) -> None:
    # The client's own: a connection per channel, so each client has one.
    assert connections(server, []) == 2
    # The caller's: grpc's shared pool, so clients with the same options share one.
    assert connections(server, [("grpc.use_local_subchannel_pool", 0)]) == 1


def quiet_stream_pings(server, options: list) -> int:
    """The keepalive pings a client with these options sends over a quiet subscription in 2 s (grpc's
    bandwidth probes, pings that follow data received, are off so as not to be counted)."""
    proxy = PingCounter(server.grpc)
    try:
        with se.Client(proxy.address, channel_options=[*options, ("grpc.http2.bdp_probe", 0)]) as c:
            request = event_service_pb2.SubscribeRequest(event_types=["migration_started"])
            stream = c.events.Subscribe(request, timeout=15)
            assert next(stream).WhichOneof("message") == "started"
            before = proxy.pings
            time.sleep(2)
            pings = proxy.pings - before
            stream.cancel()
            return pings
    finally:
        proxy.close()


def test_keepalive_off_as_documented(server) -> None:
    # The counter sees pings when they are due often...
    assert quiet_stream_pings(server, [("grpc.keepalive_time_ms", 200)]) > 0
    # ...and none with the README's way to turn them off.
    assert quiet_stream_pings(server, [("grpc.keepalive_time_ms", 2**31 - 1)]) == 0
