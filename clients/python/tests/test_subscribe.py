"""subscribe() resumes after a dropped connection from the last sequence it yielded (sync and async)."""

from __future__ import annotations

import asyncio
import socket
import threading

import scriptengine_client as se
from scriptengine.v1 import script_pb2


class CutProxy:
    """Forwards TCP to a target until cut() drops every connection."""

    def __init__(self, target: str) -> None:
        host, port = target.rsplit(":", 1)
        self.target = (host, int(port))
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.address = f"127.0.0.1:{self.sock.getsockname()[1]}"
        self.conns: list[socket.socket] = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                down, _ = self.sock.accept()
            except OSError:
                return
            up = socket.create_connection(self.target)
            with self.lock:
                self.conns += [down, up]
            for a, b in ((down, up), (up, down)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(a: socket.socket, b: socket.socket) -> None:
        try:
            while data := a.recv(65536):
                b.sendall(data)
        except OSError:
            pass
        finally:
            for s in (a, b):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def cut(self) -> None:
        with self.lock:
            for c in self.conns:
                try:
                    c.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                c.close()
            self.conns = []

    def close(self) -> None:
        self.sock.close()
        self.cut()


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
            events = client.subscribe(["script_executed"], after_sequence=0, on_started=starts.append, on_lost=lambda lost: None)
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
