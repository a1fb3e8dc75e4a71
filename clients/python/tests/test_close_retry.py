"""close() while a unary call waits out a retry backoff ends the call at once with CancelledError
("the client was closed"), as Go's Close fails it ErrCancelled, with no attempt after it; the call
used to sleep the backoff out (here 10 minutes; a server's RetryInfo up to the call's deadline)."""

from __future__ import annotations

import asyncio
import threading
from typing import Any, Iterator

import grpc
import pytest

import scriptengine_client as se
from scriptengine.v1 import script_service_pb2_grpc
from conftest import fake_server

# A backoff past the default deadline is not waited: the clients set none (default_timeout=0).
SLOW = se.RetryPolicy(max_attempts=5, initial_backoff=600, max_backoff=600)


class Unavailable(script_service_pb2_grpc.ScriptServiceServicer):
    """Fails every HealthCheck UNAVAILABLE (retried: it is idempotent), counting them."""

    def __init__(self) -> None:
        self.calls = 0

    def HealthCheck(self, request: Any, context: grpc.ServicerContext) -> Any:
        self.calls += 1
        context.abort(grpc.StatusCode.UNAVAILABLE, "down")


@pytest.fixture
def unavailable() -> Iterator[tuple[str, Unavailable]]:
    servicer = Unavailable()
    with fake_server(servicer, script_service_pb2_grpc.add_ScriptServiceServicer_to_server) as address:
        yield address, servicer


def test_close_ends_a_retry_backoff(unavailable) -> None:
    address, server = unavailable
    backing_off = threading.Event()
    client = se.Client(address, retry=SLOW, default_timeout=0, on_retry=lambda *_: backing_off.set())
    ended = threading.Event()
    outcome: list[object] = []

    def call() -> None:
        try:
            client.health()
        except Exception as err:  # noqa: BLE001 - the outcome is asserted below
            outcome.append(err)
        finally:
            ended.set()

    threading.Thread(target=call, daemon=True).start()
    try:
        assert backing_off.wait(20), "no retry"
        client.close()
        assert ended.wait(20), "close() did not end the call: it is waiting out the backoff"
        assert len(outcome) == 1 and isinstance(outcome[0], se.CancelledError), outcome
        assert str(outcome[0]) == "CANCELLED: the client was closed"
        assert server.calls == 1, "an attempt after close()"
    finally:
        client.close()


def test_async_close_ends_a_retry_backoff(unavailable) -> None:
    address, server = unavailable

    async def run() -> None:
        backing_off = asyncio.Event()
        client = se.AsyncClient(address, retry=SLOW, default_timeout=0, on_retry=lambda *_: backing_off.set())
        task = asyncio.ensure_future(client.health())
        try:
            await asyncio.wait_for(backing_off.wait(), 20)
            await client.close()
            with pytest.raises(se.CancelledError, match="^CANCELLED: the client was closed$"):
                await asyncio.wait_for(task, 20)
            assert server.calls == 1, "an attempt after close()"
        finally:
            task.cancel()
            await client.close()

    asyncio.run(asyncio.wait_for(run(), 60))
