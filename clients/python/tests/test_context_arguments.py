"""run, run_script and execute take the arguments as ``args`` or in ``context.arguments`` (they used
to drop the context's, silently); given both, neither silently wins: ValueError."""

from __future__ import annotations

import asyncio

import pytest
from google.protobuf import struct_pb2

import scriptengine_client as se
from scriptengine.v1 import script_pb2

ECHO = "export default (args, ctx) => ({ args, env: ctx.env.REGION ?? null })"


def context() -> script_pb2.ExecutionContext:
    return script_pb2.ExecutionContext(arguments={"n": struct_pb2.Value(number_value=7)}, environment={"REGION": "eu"})


def test_a_contexts_arguments_are_used(server) -> None:
    want = {"args": {"n": 7}, "env": "eu"}
    with se.Client(server.grpc) as client:
        client.compile(ECHO, script_pb2.CompilationContext(script_id="echo"))
        assert client.run(ECHO, context=context()) == want
        assert se._common.value_of(client.run_script(ECHO, context=context())) == want
        assert client.execute("echo", context=context()) == want
        # args alone, beside a context without arguments, as before
        assert client.run(ECHO, {"m": 1}, context=script_pb2.ExecutionContext(environment={"REGION": "us"})) == {"args": {"m": 1}, "env": "us"}

    async def main() -> None:
        async with se.AsyncClient(server.grpc) as aclient:
            assert await aclient.run(ECHO, context=context()) == want
            assert se._common.value_of(await aclient.run_script(ECHO, context=context())) == want
            assert await aclient.execute("echo", context=context()) == want
    asyncio.run(main())


def test_arguments_in_both_places_are_a_value_error(server) -> None:
    with se.Client(server.grpc) as client:
        client.compile(ECHO, script_pb2.CompilationContext(script_id="echo"))
        for call in (lambda: client.run(ECHO, {"m": 1}, context=context()),
                     lambda: client.run_script(ECHO, {}, context=context()),
                     lambda: client.execute("echo", {"m": 1}, context=context())):
            with pytest.raises(ValueError, match="args and in context.arguments"):
                call()

    async def main() -> None:
        async with se.AsyncClient(server.grpc) as aclient:
            for coro in (aclient.run(ECHO, {"m": 1}, context=context()), aclient.execute("echo", {"m": 1}, context=context())):
                with pytest.raises(ValueError, match="args and in context.arguments"):
                    await coro
    asyncio.run(main())
