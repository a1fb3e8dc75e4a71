"""An AsyncClient opens its channels at its first call, in that call's event loop, and again in
another loop: one built with no loop running (at module level, before asyncio.run) failed its first
call "attached to a different loop", and so did one used under a second asyncio.run."""

from __future__ import annotations

import asyncio

import scriptengine_client as se


def test_an_async_client_built_outside_any_loop_works_in_asyncio_run(server) -> None:
    client = se.AsyncClient(server.grpc)  # no loop running here

    async def first() -> None:
        assert await client.run("1 + 1") == 2

    async def second() -> None:  # another asyncio.run: another loop
        assert await client.run("2 + 2") == 4
        events = client.subscribe(["script_executed"], after_sequence=0)
        assert (await anext(events)).script_executed.success
        await events.aclose()
        await client.close()
        await client.close()  # twice is fine

    asyncio.run(first())
    asyncio.run(second())


def test_an_async_client_closed_in_another_loop_than_it_was_used_in(server) -> None:
    client = se.AsyncClient(server.grpc)
    assert asyncio.run(client.run("3")) == 3
    asyncio.run(client.close())  # its channels' loop is gone: nothing to close in this one

    async def after() -> None:
        try:
            await client.run("1")
        except se.CancelledError as err:
            assert err.message == "the client was closed"
        else:
            raise AssertionError("a closed client's call went")
    asyncio.run(after())


def test_close_ends_a_resuming_subscription_backing_off_in_a_second_loop() -> None:
    """close() ends a subscribe() waiting between streams at once, in a loop other than the one the
    client waited in before (an asyncio.Event is bound to the loop it is first waited in)."""
    client = se.AsyncClient("127.0.0.1:1", retry=se.RetryPolicy(initial_backoff=30, max_backoff=30))

    async def backing_off(close: bool) -> None:
        events = client.subscribe(["script_executed"])
        reader = asyncio.create_task(anext(events, None))
        await asyncio.sleep(0.5)  # the first stream failed: waiting 30 s before the next
        assert not reader.done()
        if close:
            await client.close()
            assert await asyncio.wait_for(reader, 5) is None
        else:
            reader.cancel()

    asyncio.run(backing_off(close=False))
    asyncio.run(backing_off(close=True))
