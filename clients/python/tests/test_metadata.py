"""A token or per-call metadata a header cannot carry is a ValueError before anything is sent: grpc
failed such a call INTERNAL "Invalid metadata" and logged to stderr (the token's, at every call)."""

from __future__ import annotations

import asyncio
from typing import Any, Iterator, Sequence

import grpc
import pytest

import scriptengine_client as se
from conftest import Server, start_server, fake_server
from scriptengine.v1 import event_service_pb2, event_service_pb2_grpc, script_service_pb2, script_service_pb2_grpc

HEALTH = script_service_pb2.HealthCheckRequest()
SECRET = "s3cret-token-value"


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    """One for the module: a refused call never reaches it."""
    s = start_server()
    yield s
    s.stop()


@pytest.mark.parametrize("token", [SECRET + "\n", SECRET + " ", "s3cret\ttoken", "s3crét-token", "s3cret\u00a0token"])
def test_a_token_a_header_cannot_carry_is_refused_at_construction(token: str) -> None:
    for make in (se.Client, se.AsyncClient):
        with pytest.raises(ValueError, match="^token holds a character a header cannot carry at offset") as info:
            make("127.0.0.1:1", token=token)
        assert "s3cret" not in str(info.value)  # never the token itself


BAD_METADATA = [
    [("X-Trace", "1")],                     # uppercase
    [("x trace", "1")],                     # a space
    [("", "1")],
    [(":path", "/")],
    [("x-trace", "1\n")],                   # a newline read from a file
    [("x-trace", "café")],
    [("x-trace", b"\xff")],
    [("x-trace", "1"), ("authorization", "Bearer " + SECRET + "\n")],
    {"X-Trace": "1"},                       # a mapping is checked as its pairs
    "x-trace",                              # a str: its letters were taken as pairs
    [("x-trace",)],
    ["ab"],                                 # was sent as the pair ("a", "b")
]


@pytest.mark.parametrize("metadata", BAD_METADATA, ids=repr)
def test_metadata_a_header_cannot_carry_is_a_value_error(server, capfd, metadata: Any) -> None:
    with se.Client(server.grpc) as client:
        for call in (lambda: client.scripts.health_check(HEALTH, metadata=metadata),
                     lambda: client.scripts.HealthCheck.future(HEALTH, metadata=metadata),
                     lambda: client.events.subscribe(event_service_pb2.SubscribeRequest(), metadata=metadata)):
            with pytest.raises(ValueError, match="^metadata"):
                call()

    async def main() -> None:
        async with se.AsyncClient(server.grpc) as aclient:
            with pytest.raises(ValueError, match="^metadata"):
                await aclient.scripts.health_check(HEALTH, metadata=metadata)
            with pytest.raises(ValueError, match="^metadata"):
                aclient.events.subscribe(event_service_pb2.SubscribeRequest(), metadata=metadata)
    asyncio.run(main())
    assert "Illegal header" not in capfd.readouterr().err  # grpc never saw it


def test_metadata_grpc_takes_still_goes(server) -> None:
    metadata = [("x-trace_id.v2", "a b ~!"), ("x-raw", b"ascii"), ("x-blob-bin", b"\xff\x00"), ("x-empty", "")]
    with se.Client(server.grpc, token=None) as client:
        assert client.scripts.health_check(HEALTH, metadata=metadata).health.status
        assert client.scripts.HealthCheck.future(HEALTH, metadata=metadata).result(10).health.status

    async def main() -> None:
        async with se.AsyncClient(server.grpc) as aclient:
            assert (await aclient.scripts.health_check(HEALTH, metadata=metadata)).health.status
    asyncio.run(main())


class Recorder(script_service_pb2_grpc.ScriptServiceServicer, event_service_pb2_grpc.EventServiceServicer):
    """Notes each call's metadata."""

    def __init__(self) -> None:
        self.seen: list[dict[str, Any]] = []

    def HealthCheck(self, request: Any, context: grpc.ServicerContext) -> Any:
        self.seen.append(dict(context.invocation_metadata()))
        return script_service_pb2.HealthCheckResponse()

    def Subscribe(self, request: Any, context: grpc.ServicerContext) -> Iterator[Any]:
        self.seen.append(dict(context.invocation_metadata()))
        yield event_service_pb2.SubscribeResponse()


@pytest.fixture
def recorder() -> Iterator[tuple[str, Recorder]]:
    servicer = Recorder()
    with fake_server(servicer, script_service_pb2_grpc.add_ScriptServiceServicer_to_server, event_service_pb2_grpc.add_EventServiceServicer_to_server) as address:
        yield address, servicer


def test_metadata_may_be_a_mapping(recorder) -> None:
    """A dict failed "too many values to unpack" (or, with keys of two letters, was sent as the pair
    of them): it is taken as its items, in every kind of call, a principal in it as in pairs."""
    address, server = recorder
    md = {"x-trace": "1", "authorization": "Bearer mine"}
    with se.Client(address, token=SECRET) as client:
        client.scripts.health_check(HEALTH, metadata=md)
        client.scripts.health_check.future(HEALTH, metadata=md).result(10)
        list(client.events.subscribe(event_service_pb2.SubscribeRequest(), metadata=md))
        client.health(metadata={"x-trace": "2"})

    async def main() -> None:
        async with se.AsyncClient(address, token=SECRET) as aclient:
            await aclient.scripts.health_check(HEALTH, metadata=md)
            async for _ in aclient.events.subscribe(event_service_pb2.SubscribeRequest(), metadata=md):
                pass
    asyncio.run(main())
    got = [(m.get("x-trace"), m.get("authorization")) for m in server.seen]
    assert got == [("1", "Bearer mine")] * 3 + [("2", f"Bearer {SECRET}")] + [("1", "Bearer mine")] * 2, got


def test_pairs_as_lists_still_go(recorder) -> None:
    address, server = recorder
    pairs: Sequence[Any] = [["x-trace", "1"]]
    with se.Client(address) as client:
        client.scripts.health_check(HEALTH, metadata=pairs)
    assert server.seen[0]["x-trace"] == "1"
