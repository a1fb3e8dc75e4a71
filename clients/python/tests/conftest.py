"""Starts the real server from this repository on free ports, per test, and a TCP proxy to it whose
connections a test can cut or refuse."""

from __future__ import annotations

import json
import os
import pathlib
import socket
import subprocess
import tempfile
import threading
from concurrent import futures
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Optional

import grpc
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[3]
# Every SDK's runner starts the server the same way: no drain wait on shutdown, one worker.
SERVER_ARGS = ["--set", "server.shutdown_grace=0s", "--set", "pool.workers=1"]


@dataclass
class Server:
    grpc: str
    http: str
    data_dir: str
    proc: subprocess.Popen

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def start_server(toml: Optional[str] = None, *extra: str, data_dir: Optional[str] = None) -> Server:
    """``data_dir``: the one a stopped server used (a restart); a fresh one when None."""
    data_dir = data_dir or tempfile.mkdtemp(prefix="scriptengine-py-")
    args = [os.environ.get("SCRIPTENGINE_NODE", "node"), str(ROOT / "src/main.ts"),
            "--grpc-address", "127.0.0.1:0", "--http-address", "127.0.0.1:0", "--data-dir", data_dir]
    if toml:
        path = pathlib.Path(data_dir, "config.toml")
        path.write_text(toml)
        args += ["--config", str(path)]
    args += SERVER_ARGS + list(extra)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCRIPTENGINE_")}
    proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    stderr: list[str] = []
    threading.Thread(target=lambda: stderr.extend(proc.stderr), daemon=True).start()
    for line in proc.stdout:
        try:
            msg = json.loads(line)
        except ValueError:
            continue
        if isinstance(msg, dict) and "listening" in msg:
            threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()
            return Server(msg["listening"]["grpc"], msg["listening"]["http"], data_dir, proc)
    proc.wait()
    raise RuntimeError(f"server exited with {proc.returncode} before listening:\n{''.join(stderr)}")


@pytest.fixture
def server() -> Iterator[Server]:
    s = start_server()
    yield s
    s.stop()


class CutProxy:
    """Forwards TCP to ``target`` until ``cut()`` drops every connection it carries; while
    ``refusing`` is set it closes each new connection at once, counting them in ``refused``."""

    def __init__(self, target: str, refusing: bool = False) -> None:
        host, port = target.rsplit(":", 1)
        self.target = (host, int(port))
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.address = f"127.0.0.1:{self.sock.getsockname()[1]}"
        self.conns: list[socket.socket] = []
        self.lock = threading.Lock()
        self.refusing = refusing
        self.refused = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                down, _ = self.sock.accept()
            except OSError:
                return
            if self.refusing:
                self.refused += 1
                down.close()
                continue
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
            conns, self.conns = self.conns, []
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            c.close()

    def close(self) -> None:
        self.sock.close()
        self.cut()


@contextmanager
def fake_server(servicer: Any, *add_to_server: Callable[[Any, grpc.Server], None]) -> Iterator[str]:
    """A loopback gRPC server answering with ``servicer`` for the services whose generated
    ``add_*_to_server`` functions are given; yields its address and stops it after."""
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    for add in add_to_server:
        add(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.stop(0)
