"""A default_timeout or execution_timeout of 0 sets no deadline, as most gRPC clients read an unset
timeout and as the Go and TS clients do, and so does inf; a call's own ``timeout=0`` is a deadline
already passed: TimeoutError, nothing sent. Before, an option of 0 gave every call 1 ms (a future()
0 s), inf went to grpc as it was, and a call's ``timeout=0`` was sent with 1 ms."""

from __future__ import annotations

import asyncio
import math
import sys
from typing import Any, Iterator, Optional

import grpc
import pytest

import scriptengine_client as se
from scriptengine_client import _common
from scriptengine.v1 import event_service_pb2, event_service_pb2_grpc, script_service_pb2, script_service_pb2_grpc
from conftest import fake_server


def no_deadline(remaining: Optional[float]) -> bool:
    """grpc's server tells a call without a deadline ~9.2e18 s remaining (None in some versions)."""
    return remaining is None or remaining > 1e9


class Deadlines(script_service_pb2_grpc.ScriptServiceServicer, event_service_pb2_grpc.EventServiceServicer):
    """Notes each HealthCheck's, ExecuteScript's and Subscribe's time remaining."""

    def __init__(self) -> None:
        self.remaining: list[Optional[float]] = []

    def HealthCheck(self, request: Any, context: grpc.ServicerContext) -> Any:
        self.remaining.append(context.time_remaining())
        return script_service_pb2.HealthCheckResponse()

    def ExecuteScript(self, request: Any, context: grpc.ServicerContext) -> Any:
        self.remaining.append(context.time_remaining())
        return script_service_pb2.ExecuteScriptResponse()

    def Subscribe(self, request: Any, context: grpc.ServicerContext) -> Iterator[Any]:
        self.remaining.append(context.time_remaining())
        yield event_service_pb2.SubscribeResponse()


@pytest.fixture
def deadlines() -> Iterator[tuple[str, Deadlines]]:
    servicer = Deadlines()
    with fake_server(servicer, script_service_pb2_grpc.add_ScriptServiceServicer_to_server, event_service_pb2_grpc.add_EventServiceServicer_to_server) as address:
        yield address, servicer


NONE = [pytest.param(0, id="0"), pytest.param(math.inf, id="inf")]
HEALTH = script_service_pb2.HealthCheckRequest()
SUBSCRIBE = event_service_pb2.SubscribeRequest()
EXECUTE = script_service_pb2.ExecuteScriptRequest(script_id="s")


@pytest.mark.parametrize("option", NONE)
def test_a_timeout_option_of_0_or_inf_sets_no_deadline(deadlines, option: float) -> None:
    address, server = deadlines
    with se.Client(address, default_timeout=option, execution_timeout=option) as client:
        client.scripts.health_check(HEALTH)
        client.scripts.execute_script(EXECUTE)
        client.scripts.health_check.future(HEALTH).result()
        client.scripts.execute_script.future(EXECUTE).result()
        assert len(server.remaining) == 4 and all(map(no_deadline, server.remaining)), server.remaining
        client.scripts.health_check(HEALTH, timeout=60)  # a call's own timeout still holds
        assert not no_deadline(server.remaining[-1]) and server.remaining[-1] < 120


@pytest.mark.parametrize("option", NONE)
def test_async_a_timeout_option_of_0_or_inf_sets_no_deadline(deadlines, option: float) -> None:
    address, server = deadlines

    async def calls() -> None:
        client = se.AsyncClient(address, default_timeout=option, execution_timeout=option)
        try:
            await client.scripts.health_check(HEALTH)
            await client.scripts.execute_script(EXECUTE)
        finally:
            await client.close()

    asyncio.run(calls())
    assert len(server.remaining) == 2 and all(map(no_deadline, server.remaining)), server.remaining


def test_the_defaults_set_a_deadline(deadlines) -> None:
    address, server = deadlines
    with se.Client(address) as client:
        client.scripts.health_check(HEALTH)
        client.scripts.execute_script(EXECUTE)
    assert len(server.remaining) == 2 and not any(map(no_deadline, server.remaining)), server.remaining


def test_a_calls_own_timeout_of_0_fails_at_once(deadlines) -> None:
    address, server = deadlines
    with se.Client(address, default_timeout=0) as client:
        with pytest.raises(se.TimeoutError):
            client.scripts.health_check(HEALTH, timeout=0)
        with pytest.raises(se.TimeoutError):
            client.scripts.health_check.future(HEALTH, timeout=0).result()
        with pytest.raises(se.TimeoutError):
            list(client.events.subscribe(SUBSCRIBE, timeout=0))
        client.scripts.health_check(HEALTH)  # the server was there to reach
    assert len(server.remaining) == 1


def test_a_streams_own_timeout_of_inf_is_no_deadline(deadlines) -> None:
    address, server = deadlines
    with se.Client(address) as client:
        assert len(list(client.events.subscribe(SUBSCRIBE, timeout=math.inf))) == 1
    assert len(server.remaining) == 1 and no_deadline(server.remaining[0]), server.remaining


def test_async_a_calls_own_timeout_of_0_fails_at_once(deadlines) -> None:
    address, server = deadlines

    async def call() -> None:
        client = se.AsyncClient(address)
        try:
            with pytest.raises(se.TimeoutError):
                await client.scripts.health_check(HEALTH, timeout=0)
            with pytest.raises(se.TimeoutError):
                async for _ in client.events.subscribe(SUBSCRIBE, timeout=0):
                    pass
        finally:
            await client.close()

    asyncio.run(call())
    assert server.remaining == []


def test_a_calls_own_timeout_of_nan_is_a_value_error(deadlines) -> None:
    address, server = deadlines
    with se.Client(address) as client:
        with pytest.raises(ValueError, match="timeout must be a number of seconds, not nan"):
            client.scripts.health_check(HEALTH, timeout=math.nan)
        with pytest.raises(ValueError):
            client.scripts.health_check.future(HEALTH, timeout=math.nan)
        with pytest.raises(ValueError):
            list(client.events.subscribe(SUBSCRIBE, timeout=math.nan))

    async def call() -> None:
        aclient = se.AsyncClient(address)
        try:
            with pytest.raises(ValueError):
                await aclient.scripts.health_check(HEALTH, timeout=math.nan)
        finally:
            await aclient.close()

    asyncio.run(call())
    assert server.remaining == []


# Past about 240 years, now + timeout overflows grpc core's int64 nanoseconds: such a call failed at
# once with DEADLINE_EXCEEDED. From 100 years (MAX_TIMEOUT) a timeout sets no deadline, as inf.
HUGE = [pytest.param(8e9, id="8e9"), pytest.param(float(sys.maxsize), id="maxsize"),
        pytest.param(_common.MAX_TIMEOUT, id="100 years")]


@pytest.mark.parametrize("huge", HUGE)
def test_a_timeout_too_long_for_grpc_sets_no_deadline(deadlines, huge: float) -> None:
    address, server = deadlines
    with se.Client(address, default_timeout=huge, execution_timeout=huge) as client:
        client.scripts.health_check(HEALTH)
        client.scripts.execute_script(EXECUTE)
        client.scripts.health_check.future(HEALTH).result()
        client.scripts.health_check(HEALTH, timeout=huge)
        client.scripts.health_check.future(HEALTH, timeout=huge).result()
        assert len(list(client.events.subscribe(SUBSCRIBE, timeout=huge))) == 1

    async def calls() -> None:
        async with se.AsyncClient(address, default_timeout=huge) as aclient:
            await aclient.scripts.health_check(HEALTH)
            await aclient.scripts.health_check(HEALTH, timeout=huge)
            assert len([m async for m in aclient.events.subscribe(SUBSCRIBE, timeout=huge)]) == 1

    asyncio.run(calls())
    assert len(server.remaining) == 9 and all(map(no_deadline, server.remaining)), server.remaining


def test_a_timeout_just_below_the_bound_is_a_deadline(deadlines) -> None:
    address, server = deadlines
    below = _common.MAX_TIMEOUT * 0.99
    with se.Client(address) as client:
        client.scripts.health_check(HEALTH, timeout=below)
        list(client.events.subscribe(SUBSCRIBE, timeout=below))
    # (grpc's wire format caps what the server sees: a deadline still, not none.)
    assert len(server.remaining) == 2 and not any(map(no_deadline, server.remaining)), server.remaining
