"""The blocking client's unary methods have ``.future()``: a grpc.Future that another thread can
cancel, which stops the script on the server, with the direct call's deadlines and typed errors."""

from __future__ import annotations

import threading
import time

import grpc
import pytest
from google.protobuf import duration_pb2

import scriptengine_client as se
from scriptengine.v1 import script_pb2, script_service_pb2


def active(client: se.Client) -> int:
    return int(client.scripts.GetMetrics(script_service_pb2.GetMetricsRequest()).metrics.active_connections)


def busy() -> script_service_pb2.RunScriptRequest:
    return script_service_pb2.RunScriptRequest(source="for (;;) {}", context=script_pb2.ExecutionContext())


def test_cancelling_the_future_stops_the_running_script(server) -> None:
    with se.Client(server.grpc) as client:
        future = client.scripts.RunScript.future(busy())
        assert isinstance(future, grpc.Future)
        deadline = time.monotonic() + 10
        while active(client) == 0:
            assert time.monotonic() < deadline, "the script never started"
            time.sleep(0.05)
        assert future.cancel()
        assert future.cancelled() and future.done()
        with pytest.raises(se.CancelledError):
            future.result(5)
        assert isinstance(future.exception(), se.CancelledError)
        deadline = time.monotonic() + 5
        while active(client) != 0:
            assert time.monotonic() < deadline, "the server did not stop the script"
            time.sleep(0.05)
        assert client.run("1 + 1") == 2  # the client goes on


def test_the_future_has_the_default_deadline_and_typed_errors(server) -> None:
    with se.Client(server.grpc, execution_timeout=0.5) as client:
        # A script that waits a minute and may: only the client's 0.5 s deadline ends it (else the
        # result would not be there within 10 s, a grpc.FutureTimeoutError), whatever the machine's speed.
        idle = script_service_pb2.RunScriptRequest(source="export default () => new Promise((r) => setTimeout(r, 60000))",
                                                   context=script_pb2.ExecutionContext(timeout=duration_pb2.Duration(seconds=90)))
        with pytest.raises(se.TimeoutError):
            client.scripts.RunScript.future(idle).result(10)
        with pytest.raises(se.NotFoundError) as raised:
            client.scripts.get_script.future(script_service_pb2.GetScriptRequest(script_id="nope")).result(10)
        assert raised.value.reason
        ok = client.scripts.RunScript.future(script_service_pb2.RunScriptRequest(source="40 + 2"))
        done: list = []
        called = threading.Event()
        ok.add_done_callback(lambda f: (done.append(f), called.set()))
        assert ok.result(10).result.success and ok.exception() is None
        assert called.wait(5) and done == [ok]


def test_a_stream_has_no_future(server) -> None:
    with se.Client(server.grpc) as client, pytest.raises(TypeError):
        client.events.Subscribe.future(None)
