"""A negative or NaN retry backoff, an infinite one, and a negative or NaN default_timeout or
execution_timeout are refused where the client is built, naming the option: before, a negative or NaN
backoff reached no error at all (every retry and subscribe()/watch() resume just did not wait), an
infinite one an OverflowError from time.sleep or a wait without end, and a bad timeout failed
every call after 1 ms."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from scriptengine_client import AsyncClient, Client, RetryPolicy

BAD_BACKOFFS = [{"initial_backoff": -0.1}, {"max_backoff": -1.0}, {"initial_backoff": float("nan")}, {"max_backoff": float("nan")},
                {"initial_backoff": float("inf")}, {"max_backoff": float("inf")}]
BAD = [("retry." + next(iter(b)), {"retry": RetryPolicy(**b)}) for b in BAD_BACKOFFS] + [
    (name, {name: value}) for name in ("default_timeout", "execution_timeout") for value in (-1.0, float("nan"))]


@pytest.mark.parametrize(("name", "bad"), BAD, ids=repr)
def test_client_refuses_a_bad_backoff_or_timeout(name: str, bad: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=f"^{name} "):
        Client("127.0.0.1:1", **bad)


@pytest.mark.parametrize(("name", "bad"), BAD, ids=repr)
def test_async_client_refuses_a_bad_backoff_or_timeout(name: str, bad: dict[str, Any]) -> None:
    async def build() -> None:
        AsyncClient("127.0.0.1:1", **bad)

    with pytest.raises(ValueError, match=f"^{name} "):
        asyncio.run(build())


def test_a_zero_backoff_is_taken_literally() -> None:
    policy = RetryPolicy(initial_backoff=0, max_backoff=0)
    Client("127.0.0.1:1", retry=policy).close()

    async def build() -> None:
        await AsyncClient("127.0.0.1:1", retry=policy).close()

    asyncio.run(build())
    assert policy.backoff(1) == 0 and policy.backoff(3) == 0


def test_a_zero_timeout_is_taken() -> None:
    Client("127.0.0.1:1", default_timeout=0, execution_timeout=0).close()
