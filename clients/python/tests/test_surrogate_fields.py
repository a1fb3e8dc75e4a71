"""Every string a helper puts in a request (``script_id``, ``tool_name``, ``service``,
``event_types``, ``service_type``) is checked as ``source`` and the arguments are: a lone surrogate,
which protobuf cannot encode (UTF-8), is InvalidArgumentError naming the field, raised before
anything is sent, as Go names the field of an unencodable request. It was a bare UnicodeEncodeError,
no ScriptEngineError, from where the helper built the request."""

from __future__ import annotations

import asyncio
from typing import Any, Callable

import pytest

import scriptengine_client as se

BAD = "x\ud800"
REASON = r"surrogates not allowed at offset 1 \(U\+D800\)"


def blocking_calls(client: se.Client) -> dict[str, Callable[[], Any]]:
    return {
        "script_id": lambda: client.execute(BAD),
        "script_id ": lambda: client.delete(BAD),
        "tool_name": lambda: client.migrate(BAD),
        "tool_name ": lambda: client.rollback(BAD),
        "service": lambda: client.standard_health(BAD),
        "event_types[1]": lambda: client.subscribe(["script_executed", BAD]),
        "service_type": lambda: client.watch(BAD),
    }


def test_a_lone_surrogate_in_a_helpers_string_names_its_field() -> None:
    with se.Client("127.0.0.1:1", retry=se.NO_RETRY) as client:
        for field, call in blocking_calls(client).items():
            field = field.strip()
            with pytest.raises(se.InvalidArgumentError, match=rf"^INVALID_ARGUMENT: {re_field(field)}: {REASON}") as info:
                call()
            assert [v.field for v in info.value.field_violations] == [field]


def test_a_lone_surrogate_in_an_async_helpers_string_names_its_field() -> None:
    async def main() -> None:
        async with se.AsyncClient("127.0.0.1:1", retry=se.NO_RETRY) as client:
            calls: dict[str, Callable[[], Any]] = {
                "script_id": lambda: client.execute(BAD),
                "script_id ": lambda: client.delete(BAD),
                "tool_name": lambda: client.migrate(BAD),
                "tool_name ": lambda: client.rollback(BAD),
                "service": lambda: client.standard_health(BAD),
            }
            for field, call in calls.items():
                with pytest.raises(se.InvalidArgumentError, match=rf"^INVALID_ARGUMENT: {re_field(field.strip())}: {REASON}"):
                    await call()
            # Raised by the call, as for a str given as event_types, not at the first iteration.
            for field, stream in (("event_types[1]", lambda: client.subscribe(["script_executed", BAD])),
                                  ("service_type", lambda: client.watch(BAD))):
                with pytest.raises(se.InvalidArgumentError, match=rf"^INVALID_ARGUMENT: {re_field(field)}: {REASON}"):
                    stream()
    asyncio.run(main())


def re_field(field: str) -> str:
    return field.replace("[", r"\[").replace("]", r"\]")
