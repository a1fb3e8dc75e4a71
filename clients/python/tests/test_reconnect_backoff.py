"""After an outage grpc waits between connection attempts (1 s growing to 120 s by default) and fails
every call at once meanwhile, so the client's retries could not reach a server that was back for
seconds. The channel options bound that wait (both clients share them): the first call after the
server is back succeeds soon."""

from __future__ import annotations

import socket
import threading
import time

import scriptengine_client as se
from scriptengine.v1 import script_service_pb2


class Gate:
    """A TCP gate to ``target``: closes every connection it accepts (counting them) until ``opened``."""

    def __init__(self, target: str) -> None:
        host, port = target.rsplit(":", 1)
        self.target = (host, int(port))
        self.refused = 0
        self.opened = False
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.address = f"127.0.0.1:{self.sock.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                down, _ = self.sock.accept()
            except OSError:
                return
            if not self.opened:
                self.refused += 1
                down.close()
                continue
            up = socket.create_connection(self.target)
            for a, b in ((down, up), (up, down)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(a: socket.socket, b: socket.socket) -> None:
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

    def close(self) -> None:
        self.sock.close()


def test_a_call_reaches_the_server_that_came_back_within_seconds(server) -> None:
    gate = Gate(server.grpc)
    # Its own subchannel: another client's backoff to this address must not decide the outcome.
    client = se.Client(gate.address, channel_options=[("grpc.use_local_subchannel_pool", 1)])
    request = script_service_pb2.GetConfigRequest()
    try:
        # Five refused connection attempts: grpc by default then waits 6.5 s ± 20% before the next.
        end = time.monotonic() + 20
        while gate.refused < 5 and time.monotonic() < end:
            try:
                client.scripts.get_config(request, timeout=1)
            except se.ScriptEngineError:
                pass
            time.sleep(0.1)
        assert gate.refused >= 5
        gate.opened = True
        back, failed = time.monotonic(), 0
        while True:
            try:
                client.scripts.get_config(request, timeout=5)
                break
            except se.ScriptEngineError:
                failed += 1
                if time.monotonic() - back > 10:
                    break
                time.sleep(0.2)
        # The client's retries plus a wait of at most 2 s ± 20%.
        took = time.monotonic() - back
        assert took < 3.5, f"first success {took:.1f} s after the server was back ({failed} calls failed meanwhile)"
    finally:
        client.close()
        gate.close()
