"""``standard_health()`` is the grpc.health.v1 check, as the TypeScript and Go SDKs offer it: no token
needed (the server here requires one for its own calls), typed errors for an unknown service."""

from __future__ import annotations

import asyncio
from typing import Iterator

import pytest

import scriptengine_client as se
from conftest import Server, start_server

AUTH = '[[auth.principals]]\nname = "ops"\ntoken = "admin-token-0123456789"\npermissions = ["admin"]\n'


@pytest.fixture
def auth_server() -> Iterator[Server]:
    s = start_server(AUTH)
    yield s
    s.stop()


def test_standard_health(auth_server: Server) -> None:
    with se.Client(auth_server.grpc) as client:
        with pytest.raises(se.UnauthenticatedError):
            client.health()
        assert client.standard_health() == se.ServingStatus.SERVING
        assert client.standard_health("scriptengine.v1.ScriptService", timeout=5) is se.ServingStatus.SERVING
        with pytest.raises(se.NotFoundError):
            client.standard_health("no.such.Service")

    async def main() -> None:
        async with se.AsyncClient(auth_server.grpc) as aclient:
            assert await aclient.standard_health() is se.ServingStatus.SERVING
            with pytest.raises(se.NotFoundError):
                await aclient.standard_health("no.such.Service")
    asyncio.run(main())
