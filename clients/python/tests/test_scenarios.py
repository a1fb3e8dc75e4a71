"""Runs every scenario of test/scenarios/*.json through the Python SDK (blocking and asyncio)
against a fresh real server per scenario. See test/scenarios/README.md for the format."""

from __future__ import annotations

import asyncio
import json
import math
from typing import Any

import pytest
from google.protobuf import json_format

import scriptengine_client as se
from conftest import ROOT, start_server

SCENARIOS = [json.loads(p.read_text()) for p in sorted((ROOT / "test/scenarios").glob("*.json"))]

KINDS = {
    "Timeout": se.TimeoutError, "ResourceExhausted": se.ResourceExhaustedError, "NotFound": se.NotFoundError,
    "PermissionDenied": se.PermissionDeniedError, "Unauthenticated": se.UnauthenticatedError,
    "Unavailable": se.UnavailableError, "InvalidArgument": se.InvalidArgumentError,
    "FailedPrecondition": se.FailedPreconditionError, "AlreadyExists": se.AlreadyExistsError,
    "Aborted": se.AbortedError, "Unimplemented": se.UnimplementedError, "Cancelled": se.CancelledError,
    "Internal": se.InternalError,
}
SERVICES = {"ScriptService": "scripts", "MigrationService": "migrations", "EventService": "events",
            "RegistryService": "registry", "ToolService": "tools"}


def mismatch(want: Any, got: Any, path: str = "$") -> str | None:
    if isinstance(want, dict):
        if "$present" in want:
            return None if got is not None else f"{path}: expected a value, got none"
        if "$absent" in want:
            return None if got is None else f"{path}: expected no value, got {got!r}"
        if not isinstance(got, dict):
            return f"{path}: expected an object, got {got!r}"
        for k, v in want.items():
            m = mismatch(v, got.get(k), f"{path}.{k}")
            if m:
                return m
        return None
    if isinstance(want, list):
        if not isinstance(got, list) or len(got) != len(want):
            return f"{path}: expected {len(want)} items, got {got!r}"
        for i, (w, g) in enumerate(zip(want, got)):
            m = mismatch(w, g, f"{path}[{i}]")
            if m:
                return m
        return None
    if isinstance(want, (int, float)) and not isinstance(want, bool) and isinstance(got, (int, float)) and not isinstance(got, bool):
        return None if math.isclose(want, got, abs_tol=1e-9) else f"{path}: expected {want}, got {got}"
    return None if want == got and type(want) is type(got) else f"{path}: expected {want!r}, got {got!r}"


def to_json(msg: Any) -> Any:
    return json.loads(json_format.MessageToJson(msg))




def check(step: dict, label: str, ok: bool, value: Any) -> None:
    expect = step["expect"]
    if "error" in expect:
        want = expect["error"]
        assert not ok, f"{label}: expected an error, got {value!r}"
        assert isinstance(value, KINDS[want["kind"]]), f"{label}: expected {want['kind']}Error, got {value!r}"
        if "code" in want:
            assert value.code_name == want["code"], label
        if "reason" in want:
            assert value.reason == want["reason"], label
        if "domain" in want:
            assert value.domain == want["domain"], label
        if "metadata" in want:
            assert mismatch(want["metadata"], value.metadata, "$.metadata") is None, f"{label}: {value.metadata}"
        if "retry_delay" in want:
            assert (value.retry_delay is not None) == want["retry_delay"], label
    elif "script_error" in expect:
        assert not ok and isinstance(value, se.ScriptFailedError), f"{label}: expected a script error, got {value!r}"
        assert value.kind_name == expect["script_error"]["kind"], label
    else:
        if not ok:
            raise AssertionError(f"{label}: {value!r}") from value
        m = mismatch(expect.get("response", {}), value)
        assert m is None, f"{label}: {m}"


STEP_KINDS = ("call", "run", "migrate", "rollback", "subscribe", "next_events")


def label_of(i: int, step: dict) -> str:
    return f"step {i + 1} ({step.get('call') or next((k for k in STEP_KINDS if k in step), '?')})"


def config_of(step: dict, key: str) -> Any:
    """The protobuf config of a migrate (MigrationConfig) or rollback (RollbackConfig) step, or None."""
    from scriptengine.v1 import migration_pb2
    config = step[key].get("config")
    if config is None:
        return None
    cls = migration_pb2.MigrationConfig if key == "migrate" else migration_pb2.RollbackConfig
    return json_format.ParseDict(config, cls())


def request_of(call: str, request: Any) -> Any:
    from scriptengine.v1 import (event_service_pb2, migration_service_pb2, registry_service_pb2,
                                 script_service_pb2, tool_service_pb2)
    svc, method = call.split(".")
    module = {"ScriptService": script_service_pb2, "MigrationService": migration_service_pb2,
              "EventService": event_service_pb2, "RegistryService": registry_service_pb2,
              "ToolService": tool_service_pb2}[svc]
    desc = module.DESCRIPTOR.services_by_name[svc].methods_by_name[method]
    from google.protobuf import message_factory
    cls = message_factory.GetMessageClass(desc.input_type)
    return svc, method, json_format.ParseDict(request or {}, cls())


def run_sync(scenario: dict, server: Any) -> None:
    clients: dict[str, se.Client] = {}
    subs: dict[str, Any] = {}
    try:
        for i, step in enumerate(scenario["steps"]):
            label = label_of(i, step)
            token = step.get("token")
            client = clients.get(token or "")
            if client is None:
                client = clients[token or ""] = se.Client(server.grpc, token=token, retry=se.NO_RETRY)
            try:
                if "call" in step:
                    svc, method, req = request_of(step["call"], step.get("request"))
                    value, ok = to_json(getattr(getattr(client, SERVICES[svc]), method)(req)), True
                elif "run" in step:
                    v = client.run(step["run"]["source"], step["run"].get("args"))
                    value, ok = ({} if v is None else {"value": v}), True
                elif "migrate" in step:
                    value, ok = to_json(client.migrate(step["migrate"]["tool_name"], config_of(step, "migrate"))), True
                elif "rollback" in step:
                    value, ok = to_json(client.rollback(step["rollback"]["tool_name"], config_of(step, "rollback"))), True
                elif "subscribe" in step:
                    sub = step["subscribe"]
                    after = int(sub["after_sequence"]) if "after_sequence" in sub else None
                    subs[step["as"]] = client.subscribe(sub.get("event_types", ()), after_sequence=after)
                    value, ok = {}, True
                else:
                    it = subs[step["next_events"]]
                    events = []
                    for _ in range(step.get("count", 1)):
                        ev = next(it, None)
                        if ev is None:
                            break
                        events.append(to_json(ev))
                    value, ok = {"events": events}, True
            except (se.ScriptEngineError, se.ScriptFailedError, se.EventsLostError) as err:
                value, ok = err, False
            check(step, label, ok, value)
    finally:
        for it in subs.values():
            it.close()
        for cl in clients.values():
            cl.close()


async def run_async(scenario: dict, server: Any) -> None:
    clients: dict[str, se.AsyncClient] = {}
    subs: dict[str, Any] = {}
    try:
        for i, step in enumerate(scenario["steps"]):
            label = label_of(i, step)
            token = step.get("token")
            client = clients.get(token or "")
            if client is None:
                client = clients[token or ""] = se.AsyncClient(server.grpc, token=token, retry=se.NO_RETRY)
            try:
                if "call" in step:
                    svc, method, req = request_of(step["call"], step.get("request"))
                    value, ok = to_json(await getattr(getattr(client, SERVICES[svc]), method)(req)), True
                elif "run" in step:
                    v = await client.run(step["run"]["source"], step["run"].get("args"))
                    value, ok = ({} if v is None else {"value": v}), True
                elif "migrate" in step:
                    value, ok = to_json(await client.migrate(step["migrate"]["tool_name"], config_of(step, "migrate"))), True
                elif "rollback" in step:
                    value, ok = to_json(await client.rollback(step["rollback"]["tool_name"], config_of(step, "rollback"))), True
                elif "subscribe" in step:
                    sub = step["subscribe"]
                    after = int(sub["after_sequence"]) if "after_sequence" in sub else None
                    subs[step["as"]] = client.subscribe(sub.get("event_types", ()), after_sequence=after)
                    value, ok = {}, True
                else:
                    it = subs[step["next_events"]]
                    events = []
                    for _ in range(step.get("count", 1)):
                        ev = await anext(it, None)
                        if ev is None:
                            break
                        events.append(to_json(ev))
                    value, ok = {"events": events}, True
            except (se.ScriptEngineError, se.ScriptFailedError, se.EventsLostError) as err:
                value, ok = err, False
            check(step, label, ok, value)
    finally:
        for it in subs.values():
            await it.aclose()
        for cl in clients.values():
            await cl.close()


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s["name"] for s in SCENARIOS])
def test_scenario(scenario: dict, mode: str) -> None:
    server = start_server(scenario.get("server", {}).get("toml"))
    try:
        if mode == "sync":
            run_sync(scenario, server)
        else:
            asyncio.run(run_async(scenario, server))
    finally:
        server.stop()
