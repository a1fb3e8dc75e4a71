"""A call's own credentials (``authorization`` or ``x-api-key`` metadata) are the ones it runs with:
the client's token is not added to it (the server refuses a call whose ``authorization`` and
``x-api-key`` carry different tokens)."""

from __future__ import annotations

import asyncio
from typing import Iterator

import pytest

import scriptengine_client as se
from conftest import Server, start_server
from scriptengine.v1 import script_pb2, script_service_pb2

OPS, APP = "ops-token-0123456789abcdef", "app-token-0123456789abcdef"
AUTH = (f'[[auth.principals]]\nname = "ops"\ntoken = "{OPS}"\npermissions = ["admin"]\n\n'
        f'[[auth.principals]]\nname = "app"\ntoken = "{APP}"\npermissions = []\n')


@pytest.fixture
def auth_server() -> Iterator[Server]:
    s = start_server(AUTH)
    yield s
    s.stop()


def test_a_per_call_api_key_is_not_overridden_by_the_clients_token(auth_server: Server) -> None:
    as_app = [("x-api-key", APP)]
    delete = script_service_pb2.DeleteScriptRequest(script_id="s")
    with se.Client(auth_server.grpc, token=OPS, retry=se.NO_RETRY) as client:
        client.compile("export default () => 1", script_pb2.CompilationContext(script_id="s"))
        # app lacks scripts:delete: the call runs as app, not as the client's ops.
        with pytest.raises(se.PermissionDeniedError):
            client.scripts.delete_script(delete, metadata=as_app)
        with pytest.raises(se.PermissionDeniedError):
            client.scripts.delete_script.future(delete, metadata=as_app).result()
        with pytest.raises(se.UnauthenticatedError):
            client.health(metadata=[("x-api-key", "not-a-token-0123456789")])
        # Per-call authorization already won; without either the token speaks.
        with pytest.raises(se.PermissionDeniedError):
            client.scripts.delete_script(delete, metadata=[("authorization", f"Bearer {APP}")])
        client.health()

    async def main() -> None:
        async with se.AsyncClient(auth_server.grpc, token=OPS, retry=se.NO_RETRY) as aclient:
            with pytest.raises(se.PermissionDeniedError):
                await aclient.scripts.delete_script(delete, metadata=as_app)
    asyncio.run(main())

    with se.Client(auth_server.grpc, token=OPS) as client:
        assert client.delete("s") == 1  # no call as app deleted it
