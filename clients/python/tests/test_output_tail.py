"""A run stopped by a limit returns no result: its error's ``output`` has the end of what it printed,
and even with both tails full of 4-byte characters the trailers pass grpcio's 8 KiB limit."""

from __future__ import annotations

import pytest
from google.protobuf import duration_pb2

import scriptengine_client as se
from scriptengine.v1 import script_pb2, script_service_pb2


def run_until_timeout(client: se.Client, source: str) -> se.ScriptEngineError:
    context = script_pb2.ExecutionContext(timeout=duration_pb2.Duration(nanos=500_000_000))
    with pytest.raises(se.TimeoutError) as info:
        client.scripts.run_script(script_service_pb2.RunScriptRequest(source=source, context=context), timeout=20)
    return info.value


def test_timeout_carries_output_tail(server) -> None:
    with se.Client(server.grpc) as client:
        err = run_until_timeout(client, 'console.log("step 1"); console.error("slow"); while (true) {}')
        assert err.reason == "TIMEOUT"
        assert err.output is not None
        assert (err.output.stdout_tail, err.output.stderr_tail, err.output.stdout_bytes, err.output.stdout_cut) == ("step 1\n", "slow\n", 7, False)
        full = run_until_timeout(client, 'console.log("😀".repeat(5000)); console.error("😀".repeat(5000)); while (true) {}')
        assert full.output is not None
        assert full.output.stdout_tail == "😀" * 255 + "\n" and full.output.stderr_tail == "😀" * 255 + "\n"
        assert full.output.stdout_bytes == 20001 and full.output.stdout_cut
