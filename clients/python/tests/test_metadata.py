"""A token or per-call metadata a header cannot carry is a ValueError before anything is sent: grpc
failed such a call INTERNAL "Invalid metadata" and logged to stderr (the token's, at every call)."""

from __future__ import annotations

import asyncio
from typing import Any, Iterator

import pytest

import scriptengine_client as se
from conftest import Server, start_server
from scriptengine.v1 import event_service_pb2, script_service_pb2

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
