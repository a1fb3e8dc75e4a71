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


def test_futures_type_check(tmp_path: Path) -> None:
    status, out = mypy("""
        from scriptengine_client import CallFuture, Client
        from scriptengine_client._client import _Method
        from scriptengine.v1 import script_service_pb2 as ss
        from scriptengine.v1.service_protocols import UnaryMethod

        def blocking(c: Client) -> str:
            f = c.scripts.ExecuteScript.future(ss.ExecuteScriptRequest(script_id="s"), timeout=2.0, metadata=[("x-trace", "1")])
            r: ss.ExecuteScriptResponse = f.result(5)
            g: CallFuture[ss.RunScriptResponse] = c.scripts.run_script.future(ss.RunScriptRequest(source="1"))
            g.add_done_callback(lambda done: print(done.result().result.success))
            if g.cancel() or g.exception() is not None:
                return ""
            return r.result.execution_id + g.result().result.execution_id

        def sdk_method(m: _Method) -> UnaryMethod[ss.GetScriptRequest, ss.GetScriptResponse]:
            return m  # what the client really puts behind client.scripts.GetScript
    """, tmp_path)
    assert status == 0, out


def test_wrong_futures_are_errors(tmp_path: Path) -> None:
    status, out = mypy("""
        from scriptengine_client import Client
        from scriptengine.v1 import event_service_pb2, script_service_pb2 as ss

        def blocking(c: Client) -> None:
            c.scripts.ExecuteScript.future(ss.HealthCheckRequest())
            n: int = c.scripts.execute_script.future(ss.ExecuteScriptRequest()).result()
            c.events.Subscribe.future(event_service_pb2.SubscribeRequest())
    """, tmp_path)
    assert status == 1, out
    lines = [line for line in out.splitlines() if ": error:" in line]
    assert len(lines) == 3, out
    assert '"HealthCheckRequest"; expected "ExecuteScriptRequest"' in lines[0]
    assert 'expression has type "ExecuteScriptResponse", variable has type "int"' in lines[1]
    assert 'has no attribute "future"' in lines[2]  # a stream is iterated, not a future


def test_raw_streams_type_check_with_cancel(tmp_path: Path) -> None:
    """A raw server stream is an iterator with ``cancel()`` (ServerStream, AsyncServerStream), which is
    how a caller ends it: typed as a plain Iterator/AsyncIterator, ``s.cancel()`` failed --strict."""
    status, out = mypy("""
        from typing import Any, AsyncIterator, Iterator
        from scriptengine_client import AsyncClient, Client
        from scriptengine_client._aio import _AsyncStream
        from scriptengine_client._client import _Stream
        from scriptengine.v1 import event_service_pb2, migration_service_pb2, registry_service_pb2
        from scriptengine.v1.service_protocols import AsyncServerStream, ServerStream

        def blocking(c: Client) -> int:
            s = c.events.subscribe(event_service_pb2.SubscribeRequest())
            for msg in s:
                if msg.HasField("event"):
                    s.cancel()
            w = c.registry.WatchServices(registry_service_pb2.WatchServicesRequest())
            changes: Iterator[registry_service_pb2.WatchServicesResponse] = w
            w.close()
            m = c.migrations.migrate_directory(migration_service_pb2.MigrateDirectoryRequest())
            m.cancel()
            return len(list(changes)) + len(list(m))

        async def asyncio_(c: AsyncClient) -> None:
            s = c.events.Subscribe(event_service_pb2.SubscribeRequest())
            async for msg in s:
                print(msg.WhichOneof("message"))
                s.cancel()
            w = c.registry.watch_services(registry_service_pb2.WatchServicesRequest())
            changes: AsyncIterator[registry_service_pb2.WatchServicesResponse] = w
            w.cancel()
            await w.aclose()

        def sdk_streams(s: _Stream, a: _AsyncStream) -> tuple[ServerStream[Any], AsyncServerStream[Any]]:
            return s, a  # what the clients really return
    """, tmp_path)
    assert status == 0, out


def test_subscribe_and_watch_have_close_for_type_checkers(tmp_path: Path) -> None:
    """subscribe() and watch() are generators: ``close()`` (``aclose()``) ends the stream of one left
    with break, which the README tells callers to do, and ``contextlib.closing`` takes them. Typed as
    a plain Iterator/AsyncIterator, ``events.close()`` failed --strict."""
    status, out = mypy("""
        import contextlib
        from scriptengine_client import AsyncClient, Client

        def blocking(c: Client) -> None:
            events = c.subscribe(["script_executed"])
            for e in events:
                print(e.sequence)
                break
            events.close()
            with contextlib.closing(c.watch("Worker")) as changes:
                for change in changes:
                    print(change.kind)

        async def asyncio_(c: AsyncClient) -> None:
            events = c.subscribe(["script_executed"])
            async for e in events:
                print(e.sequence)
                break
            await events.aclose()
            async with contextlib.aclosing(c.watch("Worker")) as changes:
                async for change in changes:
                    print(change.kind)
    """, tmp_path)
    assert status == 0, out
