"""A negative or NaN retry backoff is refused where the client is built, naming the option: before,
it reached no error at all, and every retry (and subscribe()/watch() resume) just did not wait."""

from __future__ import annotations

import asyncio

import pytest

from scriptengine_client import AsyncClient, Client, RetryPolicy

BAD = [{"initial_backoff": -0.1}, {"max_backoff": -1.0}, {"initial_backoff": float("nan")}, {"max_backoff": float("nan")}]


@pytest.mark.parametrize("bad", BAD, ids=lambda b: f"{next(iter(b))}={next(iter(b.values()))}")
def test_client_refuses_a_negative_or_nan_backoff(bad: dict[str, float]) -> None:
    name = next(iter(bad))
    with pytest.raises(ValueError, match=f"retry.{name} "):
        Client("127.0.0.1:1", retry=RetryPolicy(**bad))


@pytest.mark.parametrize("bad", BAD, ids=lambda b: f"{next(iter(b))}={next(iter(b.values()))}")
def test_async_client_refuses_a_negative_or_nan_backoff(bad: dict[str, float]) -> None:
    name = next(iter(bad))

    async def build() -> None:
        AsyncClient("127.0.0.1:1", retry=RetryPolicy(**bad))

    with pytest.raises(ValueError, match=f"retry.{name} "):
        asyncio.run(build())


def test_a_zero_backoff_is_taken_literally() -> None:
    policy = RetryPolicy(initial_backoff=0, max_backoff=0)
    Client("127.0.0.1:1", retry=policy).close()

    async def build() -> None:
        await AsyncClient("127.0.0.1:1", retry=policy).close()

    asyncio.run(build())
    assert policy.backoff(1) == 0 and policy.backoff(3) == 0
