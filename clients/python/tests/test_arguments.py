"""Script arguments follow the rule the three SDKs share: what a JSON encoder writes (dates and times
as ISO 8601 strings, bytes as base64, Decimal as a number, tuples as arrays); a value with no JSON
form (a non-str map key, a set, NaN or ±Infinity, any other object) is InvalidArgumentError naming
the argument, raised before anything is sent."""

from __future__ import annotations

import asyncio
import datetime
import decimal
from pathlib import Path
from typing import Any

import pytest

import scriptengine_client as se
from test_typing import mypy

WHEN = datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)


def test_arguments_are_sent_as_json_writes_them(server) -> None:
    args: dict[str, Any] = {
        "datetime": WHEN, "date": WHEN.date(), "time": datetime.time(3, 4, 5),
        "bytes": b"hi", "bytearray": bytearray(b"hi"), "memoryview": memoryview(b"hi"),
        "decimal": decimal.Decimal("1.5"), "tuple": (1, "a"), "nested": {"at": [WHEN], "raw": (b"\x00",)},
    }
    want = {
        "datetime": "2024-01-02T03:04:05+00:00", "date": "2024-01-02", "time": "03:04:05",
        "bytes": "aGk=", "bytearray": "aGk=", "memoryview": "aGk=",
        "decimal": 1.5, "tuple": [1, "a"], "nested": {"at": ["2024-01-02T03:04:05+00:00"], "raw": ["AA=="]},
    }
    with se.Client(server.grpc) as client:
        assert client.run("export default (a) => a", args) == want

    async def main() -> None:
        async with se.AsyncClient(server.grpc) as aclient:
            assert await aclient.run("export default (a) => a", args) == want
    asyncio.run(main())


def test_the_depth_bound_is_exported() -> None:
    assert se.MAX_ARGUMENT_DEPTH == 32


def _nested(depth: int, make: Any) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = make(value)
    return value


def _no_json_form() -> list[Any]:
    looped: list[Any] = []
    looped.append(looped)
    return [pytest.param({1: "a"}, r"map key 1 \(int\) is not a str", id="int key"),
            pytest.param({"s": {1, 2}}, "unsupported type: set", id="set"),
            pytest.param([object()], "unsupported type: object", id="object"),
            pytest.param(looped, "it contains itself", id="loop"),
            # Past the server's depth, and past Python's recursion limit (was a bare RecursionError).
            pytest.param(_nested(se.MAX_ARGUMENT_DEPTH + 1, lambda v: [v]), "it nests deeper than 32 levels", id="33 lists"),
            pytest.param(_nested(5000, lambda v: [v]), "it nests deeper than 32 levels", id="5000 lists"),
            pytest.param(_nested(5000, lambda v: {"k": (v,)}), "it nests deeper than 32 levels", id="5000 maps"),
            pytest.param(10 ** 400, "too large", id="huge int"),
            # JSON has no NaN or ±Infinity (the server refuses them): wherever they sit, as float or Decimal.
            pytest.param(float("nan"), "a number is NaN", id="nan"),
            pytest.param(float("inf"), "a number is Infinity", id="inf"),
            pytest.param({"a": [1, float("-inf")]}, "a number is -Infinity", id="nested -inf"),
            pytest.param((decimal.Decimal("NaN"),), "a number is NaN", id="decimal nan"),
            pytest.param(decimal.Decimal("-Infinity"), "a number is -Infinity", id="decimal -inf"),
            pytest.param(decimal.Decimal("sNaN"), "signaling NaN", id="decimal snan"),
            pytest.param(decimal.Decimal("1e400"), r"Decimal\('1E\+400'\) is too large", id="huge decimal")]


@pytest.mark.parametrize("value,why", _no_json_form())
def test_an_argument_with_no_json_form_fails_before_the_call(value: Any, why: str) -> None:
    # Nothing listens there: a call that was sent would be UnavailableError.
    with se.Client("127.0.0.1:1", retry=se.NO_RETRY) as client:
        with pytest.raises(se.InvalidArgumentError, match=f'argument "v": .*{why}') as info:
            client.run("export default (a) => a", {"ok": 1, "v": value})
        assert info.value.field_violations[0].field == "context.arguments.v"
        with pytest.raises(se.InvalidArgumentError, match='argument "v"'):
            client.execute("some-script", {"v": value})

    async def main() -> None:
        async with se.AsyncClient("127.0.0.1:1", retry=se.NO_RETRY) as aclient:
            with pytest.raises(se.InvalidArgumentError, match='argument "v"'):
                await aclient.run("export default (a) => a", {"v": value})
    asyncio.run(main())


def test_a_lone_surrogate_in_source_fails_before_the_call_as_in_an_argument() -> None:
    """A str protobuf cannot encode (UTF-8) was a bare UnicodeEncodeError in source, while in an
    argument it is InvalidArgumentError: source is the same now."""
    source = "export default () => '\ud800'"
    with se.Client("127.0.0.1:1", retry=se.NO_RETRY) as client:
        with pytest.raises(se.InvalidArgumentError, match='argument "v"'):
            client.run("export default (a) => a", {"v": "\ud800"})
        for call in (lambda: client.run(source), lambda: client.run_script(source), lambda: client.compile(source)):
            with pytest.raises(se.InvalidArgumentError, match=r"^INVALID_ARGUMENT: source: surrogates not allowed at offset 22 \(U\+D800\)") as info:
                call()
            assert [v.field for v in info.value.field_violations] == ["source"]

    async def main() -> None:
        async with se.AsyncClient("127.0.0.1:1", retry=se.NO_RETRY) as aclient:
            for coro in (aclient.run(source), aclient.compile(source)):
                with pytest.raises(se.InvalidArgumentError, match="source: surrogates not allowed"):
                    await coro
    asyncio.run(main())


def test_such_arguments_type_check(tmp_path: Path) -> None:
    status, out = mypy("""
        import datetime, decimal
        from scriptengine_client import AsyncClient, Client

        def blocking(c: Client) -> object:
            return c.run("export default (a) => a", {"when": datetime.datetime.now(), "day": datetime.date.today(),
                                                     "raw": b"x", "n": decimal.Decimal(1), "pair": (1, 2)})

        async def asyncio_(c: AsyncClient) -> object:
            return await c.execute("s", {"at": datetime.time(1, 2), "buf": bytearray(b"x")})
    """, tmp_path)
    assert status == 0, out
