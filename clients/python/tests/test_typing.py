"""The clients' services are typed (scriptengine/v1/service_protocols.py, generated with the
messages): mypy accepts correct calls on both clients and rejects wrong requests, unknown methods
and misused results."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

from mypy import api

PYTHON_ROOT = Path(__file__).resolve().parents[1]
MYPYPATH = os.pathsep.join([str(PYTHON_ROOT / "src"), str(PYTHON_ROOT.parents[1] / "gen" / "python")])


def mypy(code: str, tmp_path: Path) -> tuple[int, str]:
    snippet = tmp_path / "snippet.py"
    snippet.write_text(textwrap.dedent(code))
    os.environ["MYPYPATH"] = MYPYPATH
    out, err, status = api.run([
        str(snippet), "--strict", "--follow-imports=silent", "--ignore-missing-imports",
        "--no-error-summary", "--cache-dir", str(PYTHON_ROOT.parents[1] / ".tools" / "mypy-cache"),
    ])
    return status, out + err


def test_correct_calls_type_check(tmp_path: Path) -> None:
    status, out = mypy("""
        from scriptengine_client import AsyncClient, Client
        from scriptengine.v1 import event_service_pb2, script_service_pb2

        def blocking(c: Client) -> str:
            r = c.scripts.execute_script(script_service_pb2.ExecuteScriptRequest(script_id="s"), timeout=2.0)
            same: script_service_pb2.ExecuteScriptResponse = c.scripts.ExecuteScript(script_service_pb2.ExecuteScriptRequest())
            for msg in c.events.subscribe(event_service_pb2.SubscribeRequest(), metadata=[("x-trace", "1")]):
                print(msg.WhichOneof("message"))
            return r.result.execution_id + same.result.script_id

        async def asyncio_(c: AsyncClient) -> int:
            h = await c.scripts.health_check(script_service_pb2.HealthCheckRequest())
            async for msg in c.events.Subscribe(event_service_pb2.SubscribeRequest()):
                print(msg)
            return int(h.health.status)
    """, tmp_path)
    assert status == 0, out


def test_wrong_calls_are_errors(tmp_path: Path) -> None:
    status, out = mypy("""
        from scriptengine_client import AsyncClient, Client
        from scriptengine.v1 import script_service_pb2

        def blocking(c: Client) -> None:
            c.scripts.execute_script(script_service_pb2.HealthCheckRequest())
            c.scripts.execute(script_service_pb2.ExecuteScriptRequest())
            n: int = c.scripts.health_check(script_service_pb2.HealthCheckRequest())

        async def asyncio_(c: AsyncClient) -> None:
            r: script_service_pb2.HealthCheckResponse = c.scripts.health_check(script_service_pb2.HealthCheckRequest())
    """, tmp_path)
    assert status == 1, out
    lines = [line for line in out.splitlines() if ": error:" in line]
    assert len(lines) == 4, out
    assert '"HealthCheckRequest"; expected "ExecuteScriptRequest"' in lines[0]
    assert "has no attribute \"execute\"" in lines[1]
    assert 'expression has type "HealthCheckResponse", variable has type "int"' in lines[2]
    assert "Coroutine" in lines[3]  # an asyncio call must be awaited
