"""max_reconnects of 0 or less means no reconnect at all (as resume=False): the first dropped stream
raises. A negative value means the same in Go (where 0 is the default, 10) and TS, so it is the
spelling that reads alike in all three. A 10-minute backoff: a loop that would reconnect would sit
waiting instead of raising."""

from __future__ import annotations

import asyncio
import socket

import pytest

import scriptengine_client as se

SLOW = se.RetryPolicy(initial_backoff=600, max_backoff=600)


def closed_port() -> str:
    with socket.create_server(("127.0.0.1", 0)) as s:
        return f"127.0.0.1:{s.getsockname()[1]}"


@pytest.mark.parametrize("kind", ["subscribe", "watch"])
@pytest.mark.parametrize("max_reconnects", [0, -1])
def test_no_reconnect_ends_at_the_first_dropped_stream(kind: str, max_reconnects: int) -> None:
    with se.Client(closed_port(), retry=SLOW) as client, pytest.raises(se.UnavailableError):
        for _ in getattr(client, kind)(max_reconnects=max_reconnects):
            pass


@pytest.mark.parametrize("kind", ["subscribe", "watch"])
@pytest.mark.parametrize("max_reconnects", [0, -1])
def test_async_no_reconnect_ends_at_the_first_dropped_stream(kind: str, max_reconnects: int) -> None:
    async def run() -> None:
        async with se.AsyncClient(closed_port(), retry=SLOW) as client:
            with pytest.raises(se.UnavailableError):
                async for _ in getattr(client, kind)(max_reconnects=max_reconnects):
                    pass

    asyncio.run(asyncio.wait_for(run(), 60))
