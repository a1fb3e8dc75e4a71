"""Every SDK exception survives pickle and copy with all its fields: a ProcessPoolExecutor sends a
worker's exception back pickled, and one that failed to rebuild broke the pool (BrokenProcessPool)
instead of reaching the caller."""

from __future__ import annotations

import concurrent.futures
import copy
import multiprocessing
import pickle
from typing import Any, Callable

import grpc
import pytest
from google.protobuf import any_pb2, duration_pb2
from google.rpc import error_details_pb2

import scriptengine_client as se
from scriptengine.v1 import errors_pb2, event_service_pb2, script_pb2

ROUND_TRIPS: dict[str, Callable[[Any], Any]] = {
    "pickle": lambda e: pickle.loads(pickle.dumps(e)),
    "copy": copy.copy,
    "deepcopy": copy.deepcopy,
}

RPC_ERRORS = [se.ScriptEngineError, se.TimeoutError, se.ResourceExhaustedError, se.NotFoundError,
              se.PermissionDeniedError, se.UnauthenticatedError, se.UnavailableError, se.InvalidArgumentError,
              se.FailedPreconditionError, se.AlreadyExistsError, se.AbortedError, se.UnimplementedError,
              se.CancelledError, se.InternalError]


def packed(message: Any) -> any_pb2.Any:
    detail = any_pb2.Any()
    detail.Pack(message)
    return detail


def fields(err: BaseException) -> dict[str, Any]:
    return {"type": type(err), "str": str(err), "args": err.args, **vars(err)}


@pytest.mark.parametrize("how", ROUND_TRIPS)
@pytest.mark.parametrize("cls", RPC_ERRORS, ids=lambda cls: cls.__name__)
def test_rpc_errors_round_trip(cls: type[se.ScriptEngineError], how: str) -> None:
    output = errors_pb2.ExecutionOutput(stdout_tail="step 1\n", stdout_bytes=7)
    err = cls(grpc.StatusCode.DEADLINE_EXCEEDED, "too slow", reason="TIMEOUT", domain=se.ERROR_DOMAIN,
              metadata={"limit": "500ms"}, retry_delay=1.5, field_violations=[se.FieldViolation("source", "empty")],
              details=[packed(output), packed(error_details_pb2.RetryInfo(retry_delay=duration_pb2.Duration(seconds=1)))])
    err.add_note("while running the job")
    back = ROUND_TRIPS[how](err)
    assert fields(back) == fields(err)
    assert back.output == output and back.code_name == "DEADLINE_EXCEEDED"
    assert isinstance(back, cls)


@pytest.mark.parametrize("how", ROUND_TRIPS)
def test_script_failed_and_events_lost_round_trip(how: str) -> None:
    result = script_pb2.ExecutionResult(success=False, error=script_pb2.ExecutionError(
        kind=script_pb2.EXECUTION_ERROR_KIND_SCRIPT_THREW, name="TypeError", message="boom"))
    lost = event_service_pb2.EventsLost(missed_count=3, first_missed_sequence=4, last_missed_sequence=6)
    for err in (se.ScriptFailedError(result), se.EventsLostError(lost)):
        back = ROUND_TRIPS[how](err)
        assert fields(back) == fields(err)
    failed = ROUND_TRIPS[how](se.ScriptFailedError(result))
    assert (failed.kind_name, failed.result.error.message) == ("SCRIPT_THREW", "boom")
    assert ROUND_TRIPS[how](se.EventsLostError(lost)).lost.missed_count == 3


def test_errors_from_the_server_round_trip(server) -> None:
    """As raised: from the status details grpc received (ErrorInfo, BadRequest, ExecutionOutput)."""
    with se.Client(server.grpc) as client:
        raised: list[BaseException] = []
        context = script_pb2.ExecutionContext(timeout=duration_pb2.Duration(nanos=300_000_000))
        for call in (lambda: client.run_script('console.log("step 1"); while (true) {}', context=context),
                     lambda: client.compile(""),
                     lambda: client.execute("no-such-script"),
                     lambda: client.run("throw new TypeError('boom')")):
            with pytest.raises((se.ScriptEngineError, se.ScriptFailedError)) as info:
                call()
            raised.append(info.value)
    assert [type(e) for e in raised] == [se.TimeoutError, se.InvalidArgumentError, se.NotFoundError, se.ScriptFailedError]
    for err in raised:
        for how in ROUND_TRIPS.values():
            assert fields(how(err)) == fields(err)
    timeout = pickle.loads(pickle.dumps(raised[0]))
    assert timeout.reason == "TIMEOUT" and timeout.output.stdout_tail == "step 1\n"


def run_until_timeout(address: str) -> Any:
    with se.Client(address) as client:
        return client.run("while (true) {}", context=script_pb2.ExecutionContext(timeout=duration_pb2.Duration(nanos=300_000_000)))


def test_a_process_pool_job_that_times_out_raises_timeout_error(server) -> None:
    with concurrent.futures.ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        with pytest.raises(se.TimeoutError) as info:
            pool.submit(run_until_timeout, server.grpc).result(60)
    assert info.value.reason == "TIMEOUT" and info.value.output is not None
