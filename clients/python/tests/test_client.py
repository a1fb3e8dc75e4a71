"""The Python SDK's own behaviour against a real server: retries, typed errors, the README example."""

from __future__ import annotations

import asyncio
import builtins
import pathlib
import socket
import threading
import time
import types
from typing import Any

import pytest

import scriptengine_client as se
from scriptengine_client import _aio
from conftest import start_server
from google.protobuf import descriptor_pb2, descriptor_pool
from google.rpc import error_details_pb2
from scriptengine.v1 import common_pb2, event_service_pb2, registry_service_pb2, script_pb2, script_service_pb2, tool_service_pb2


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_idempotent_methods_are_the_contracts_declared() -> None:
    """What the contract declares idempotent (idempotency_level in proto/); the TypeScript and Go SDKs
    assert the same set."""
    assert se.IDEMPOTENT_METHODS == {
        "ScriptService/GetScript", "ScriptService/ListScripts", "ScriptService/HealthCheck", "ScriptService/GetMetrics",
        "ScriptService/GetConfig", "ScriptService/Start", "ScriptService/Stop",
        "MigrationService/RollbackTool", "MigrationService/ListMigrations", "MigrationService/GetMigrationStatus",
        "RegistryService/RegisterService", "RegistryService/Heartbeat", "RegistryService/DiscoverServices",
        "ToolService/ListTools", "ToolService/GetTool",
    }
    pool = descriptor_pool.Default()
    for name in se.IDEMPOTENT_METHODS:
        options = pool.FindMethodByName(f"scriptengine.v1.{name.replace('/', '.')}").GetOptions()
        assert options.idempotency_level != descriptor_pb2.MethodOptions.IDEMPOTENCY_UNKNOWN, name


def test_retries_idempotent_call_until_server_is_up() -> None:
    port = free_port()
    retries: list[int] = []
    started: list = []
    timer = threading.Timer(0.3, lambda: started.append(start_server(None, "--grpc-address", f"127.0.0.1:{port}")))
    timer.start()
    try:
        with se.Client(f"127.0.0.1:{port}", retry=se.RetryPolicy(max_attempts=100, initial_backoff=0.1, max_backoff=0.3),
                       on_retry=lambda m, a, d, e: retries.append(a)) as client:
            assert client.health().status == common_pb2.SERVICE_STATUS_HEALTHY
        assert retries
    finally:
        timer.join()
        for s in started:
            s.stop()


def test_does_not_retry_non_idempotent_calls() -> None:
    retries: list[str] = []
    with se.Client(f"127.0.0.1:{free_port()}", on_retry=lambda m, a, d, e: retries.append(m)) as client:
        with pytest.raises(se.UnavailableError):
            client.run("1 + 1")
        with pytest.raises(se.UnavailableError):
            client.compile("1")
        # Repeated after a lost reply, these would say NOT_FOUND for what the first attempt did.
        with pytest.raises(se.UnavailableError):
            client.registry.deregister_service(registry_service_pb2.DeregisterServiceRequest(service_id="s"))
        with pytest.raises(se.UnavailableError):
            client.events.unsubscribe(event_service_pb2.UnsubscribeRequest(subscription_id="s"))
        assert retries == []
        with pytest.raises(se.UnavailableError):
            client.scripts.get_config(script_service_pb2.GetConfigRequest(), timeout=0.8)
        assert retries and set(retries) == {"ScriptService/GetConfig"}


def test_async_retries() -> None:
    async def main() -> None:
        retries: list[str] = []
        async with se.AsyncClient(f"127.0.0.1:{free_port()}", on_retry=lambda m, a, d, e: retries.append(m)) as client:
            with pytest.raises(se.UnavailableError):
                await client.run("1 + 1")
            assert retries == []
            with pytest.raises(se.UnavailableError):
                await client.scripts.GetMetrics(script_service_pb2.GetMetricsRequest(), timeout=0.8)
            assert retries
    asyncio.run(main())


def test_typed_errors(server) -> None:
    with se.Client(server.grpc) as client:
        with pytest.raises(se.NotFoundError) as info:
            client.tools.get_tool(tool_service_pb2.GetToolRequest(name="no_such_tool"))
        assert info.value.reason == "TOOL_NOT_FOUND" and info.value.domain == se.ERROR_DOMAIN
        assert info.value.metadata["tool"] == "no_such_tool"
        # A call outliving its deadline is a TimeoutError, which is also the builtin TimeoutError.
        slow = "export default async () => { await new Promise((r) => setTimeout(r, 3000)); return 1; }"
        with pytest.raises(builtins.TimeoutError):
            client.scripts.run_script(script_service_pb2.RunScriptRequest(source=slow), timeout=0.3)


def test_compile_execute_delete(server) -> None:
    with se.Client(server.grpc) as client:
        for n in (1, 2):
            client.compile(f"export default (args) => args.n + {n}", script_pb2.CompilationContext(script_id="helper-delete"))
        assert client.execute("helper-delete", {"n": 1}) == 3
        assert client.delete("helper-delete") == 2
        with pytest.raises(se.NotFoundError):
            client.execute("helper-delete")

    async def main() -> None:
        async with se.AsyncClient(server.grpc) as client:
            await client.compile("6 * 7", script_pb2.CompilationContext(script_id="helper-delete-async"))
            assert await client.delete("helper-delete-async") == 1
    asyncio.run(main())


def test_integral_numbers_come_back_as_int(server) -> None:
    """As in TS and Go: JSON numbers are doubles on the wire, integral ones within ±2^53 are ints."""
    # (An int argument beyond ±(2^53 - 1) is refused, as a double would round it: 2^53 goes as a float.)
    value = {"n": 3, "half": 2.5, "big": 2 ** 53 - 1, "edge": 2.0 ** 53, "past": 2.0 ** 54, "neg": -7, "list": [1, 2.0, {"x": 0}]}
    source = "export default (a) => a.v"
    with se.Client(server.grpc) as client:
        got = client.run(source, {"v": value})
        assert got == value
        assert [type(got[k]) for k in ("n", "half", "big", "edge", "past", "neg")] == [int, float, int, int, float, int]
        assert [type(x) for x in (got["list"][0], got["list"][1], got["list"][2]["x"])] == [int, int, int]
        assert type(client.run("1 + 2")) is int

    async def main() -> None:
        async with se.AsyncClient(server.grpc) as aclient:
            assert type(await aclient.run("1 + 2")) is int
    asyncio.run(main())


def test_field_violations(server) -> None:
    """google.rpc.BadRequest comes out as ``field_violations``; every detail stays in ``details``."""
    with se.Client(server.grpc) as client:
        with pytest.raises(se.InvalidArgumentError) as info:
            client.compile("")
        assert [v.field for v in info.value.field_violations] == ["source"]
        assert info.value.field_violations[0].description
        assert any(d.Is(error_details_pb2.BadRequest.DESCRIPTOR) for d in info.value.details)
        with pytest.raises(se.NotFoundError) as missing:
            client.tools.get_tool(tool_service_pb2.GetToolRequest(name="no_such_tool"))
        assert missing.value.field_violations == []

    async def main() -> None:
        async with se.AsyncClient(server.grpc) as aclient:
            with pytest.raises(se.InvalidArgumentError) as ainfo:
                await aclient.compile("")
            assert [v.field for v in ainfo.value.field_violations] == ["source"]
    asyncio.run(main())


def test_readme_example(server, capsys) -> None:
    # Run as written (a name it uses but does not define fails), on the test server's address.
    readme = (pathlib.Path(__file__).parents[1] / "README.md").read_text()
    example = readme.split("```python\n", 1)[1].split("```", 1)[0]
    assert '"127.0.0.1:50051"' in example
    exec(example.replace('"127.0.0.1:50051"', repr(server.grpc)), {})
    assert capsys.readouterr().out == "5\n"


def test_receives_results_larger_than_4_mib() -> None:
    # A server whose caps allow outputs past the defaults sends responses over grpcio's 4 MiB default.
    big = start_server(None, "--set", "execution.max_return_bytes=8388608")
    try:
        with se.Client(big.grpc) as client:
            assert len(client.run("'y'.repeat(5 * 1024 * 1024)")) == 5 * 1024 * 1024

        async def main() -> None:
            async with se.AsyncClient(big.grpc) as aclient:
                assert len(await aclient.run("'z'.repeat(5 * 1024 * 1024)")) == 5 * 1024 * 1024
        asyncio.run(main())
        # The caller's own limit is kept.
        with se.Client(big.grpc, channel_options=[("grpc.max_receive_message_length", 1024 * 1024)]) as small:
            with pytest.raises(se.ScriptEngineError):
                small.run("'y'.repeat(2 * 1024 * 1024)")
    finally:
        big.stop()


def test_async_close_ends_calls_in_flight(server) -> None:
    """Closing the AsyncClient ends its calls in flight with se.CancelledError (grpc.aio raises
    asyncio.CancelledError, which would read as the caller's task being cancelled) and, as on Client,
    a subscribe or watch iteration quietly; cancelling the task itself still raises
    asyncio.CancelledError."""
    slow = "export default async () => { await new Promise((r) => setTimeout(r, 3000)); return 1 }"

    async def outcome(coro: Any) -> BaseException | None:
        try:
            await coro
        except BaseException as e:  # noqa: BLE001 - the test looks at what ended the call
            return e
        return None

    async def read_all(stream: Any) -> None:
        async for _ in stream:
            pass

    async def main() -> None:
        client = se.AsyncClient(server.grpc)
        helpers = [asyncio.create_task(outcome(read_all(client.subscribe()))),
                   asyncio.create_task(outcome(read_all(client.watch())))]
        calls = [asyncio.create_task(outcome(client.run(slow))),
                 asyncio.create_task(outcome(read_all(client.events.Subscribe(event_service_pb2.SubscribeRequest()))))]
        await asyncio.sleep(0.5)
        await client.close()
        for ended in [await t for t in calls]:
            assert isinstance(ended, se.CancelledError), repr(ended)
            assert "closed" in ended.message
        assert [await t for t in helpers] == [None, None]

        async with se.AsyncClient(server.grpc) as other:
            task = asyncio.create_task(other.run(slow))
            await asyncio.sleep(0.5)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
    asyncio.run(main())


def test_async_close_on_python_3_10(monkeypatch) -> None:
    """Python 3.10's asyncio.Task has no cancelling() (3.11+), and the package supports 3.10: a closed
    AsyncClient's calls still end with the typed CancelledError there, not AttributeError."""
    class Task310:  # what asyncio.current_task() gives on 3.10, as far as cancelling() goes
        pass

    monkeypatch.setattr(asyncio, "current_task", lambda loop=None: Task310())
    client = types.SimpleNamespace(_closed=True)
    with pytest.raises(se.CancelledError, match="the client was closed"):
        _aio._raise_if_closed(client)  # type: ignore[arg-type]
    client._closed = False
    _aio._raise_if_closed(client)  # type: ignore[arg-type]  # not closed: the task's own cancellation goes on


def test_a_call_on_a_closed_client_is_the_typed_cancelled_error(server) -> None:
    """grpc raises ValueError (sync) or UsageError (asyncio) for a closed channel."""
    client = se.Client(server.grpc)
    client.close()
    for call in (client.health, lambda: next(iter(client.events.subscribe(event_service_pb2.SubscribeRequest())))):
        with pytest.raises(se.CancelledError, match="the client was closed"):
            call()

    async def main() -> None:
        aclient = se.AsyncClient(server.grpc)
        await aclient.close()
        with pytest.raises(se.CancelledError, match="the client was closed"):
            await aclient.health()
        with pytest.raises(se.CancelledError, match="the client was closed"):
            aclient.events.subscribe(event_service_pb2.SubscribeRequest())
    asyncio.run(main())


def test_close_ends_calls_in_flight_with_the_typed_cancelled_error(server) -> None:
    """As on AsyncClient and as the README says: a call in flight when a Client is closed ends with
    CancelledError "the client was closed", not grpc's "Channel closed!", whether called directly,
    through a future or as a raw stream."""
    slow = "export default async () => { await new Promise((r) => setTimeout(r, 3000)); return 1 }"
    client = se.Client(server.grpc)
    future = client.scripts.RunScript.future(script_service_pb2.RunScriptRequest(source=slow))
    stream = client.events.subscribe(event_service_pb2.SubscribeRequest())
    ended: dict[str, BaseException | None] = {}

    def outcome(name: str, call: Any) -> None:
        try:
            call()
            ended[name] = None
        except BaseException as e:  # noqa: BLE001 - the test looks at what ended the call
            ended[name] = e

    threads = [threading.Thread(target=outcome, args=args) for args in (
        ("direct", lambda: client.run(slow)), ("future", lambda: future.result(10)), ("stream", lambda: list(stream)))]
    for t in threads:
        t.start()
    time.sleep(0.5)
    client.close()
    for t in threads:
        t.join(10)
    assert sorted(ended) == ["direct", "future", "stream"]
    for name, err in [*ended.items(), ("future.exception()", future.exception(1))]:
        assert isinstance(err, se.CancelledError), (name, repr(err))
        assert err.message == "the client was closed", name


def test_async_calls_fail_when_awaited_not_when_made(server) -> None:
    """An AsyncClient unary method returns a coroutine: a closed client's error comes when it is
    awaited (as a deadline already passed does), not from the call that makes it."""
    async def main() -> None:
        aclient = se.AsyncClient(server.grpc)
        await aclient.close()
        calls = [aclient.scripts.health_check(script_service_pb2.HealthCheckRequest()),
                 aclient.tools.ListTools(tool_service_pb2.ListToolsRequest(), timeout=5)]
        for call in calls:
            with pytest.raises(se.CancelledError, match="the client was closed"):
                await call
    asyncio.run(main())


def test_cancel_ends_a_raw_stream(server) -> None:
    """``cancel()`` on a raw server stream ends the call: a reader waiting on it gets CancelledError,
    on Client and on AsyncClient (whose stream had no cancel() before), and the client goes on."""
    with se.Client(server.grpc) as client:
        stream = client.events.subscribe(event_service_pb2.SubscribeRequest())
        assert next(stream).WhichOneof("message") == "started"
        threading.Timer(0.3, stream.cancel).start()
        with pytest.raises(se.CancelledError, match="cancelled"):
            next(stream)
        assert client.run("1") == 1

    async def main() -> None:
        async with se.AsyncClient(server.grpc) as aclient:
            stream = aclient.events.subscribe(event_service_pb2.SubscribeRequest())
            assert (await stream.__anext__()).WhichOneof("message") == "started"
            asyncio.get_running_loop().call_later(0.3, stream.cancel)
            with pytest.raises(se.CancelledError, match="the call was cancelled"):
                await stream.__anext__()
            closed = aclient.events.subscribe(event_service_pb2.SubscribeRequest())
            await closed.aclose()
            with pytest.raises(se.CancelledError, match="the call was cancelled"):
                await closed.__anext__()
            assert await aclient.run("1") == 1
    asyncio.run(main())


@pytest.mark.parametrize("address", ["", "  "])
def test_an_empty_address_is_refused_at_construction(address: str) -> None:
    """``Client("")`` (an unset variable read as "") failed each call INTERNAL "the target uri is not
    valid": a ValueError where the client is built, saying the default."""
    for make in (se.Client, se.AsyncClient):
        with pytest.raises(ValueError, match=r"^address must be a server's host:port \(the default is 127\.0\.0\.1:50051\)"):
            make(address)
