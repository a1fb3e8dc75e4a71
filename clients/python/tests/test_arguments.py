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
            # A double would round it (the script got another number, silently): as the CLI's --args.
            pytest.param(2 ** 53, r"9007199254740992 is beyond ±\(2\^53 - 1\), .*; pass it as a string", id="2**53"),
            pytest.param([-(2 ** 63) + 1], r"at v\[0\]: -9223372036854775807 is beyond ±\(2\^53 - 1\)", id="-(2**63 - 1)"),
            pytest.param(10 ** 400, r"10{400} is beyond ±\(2\^53 - 1\)", id="huge int"),
            pytest.param(10 ** 5000, r"an integer of 16610 bits is beyond", id="int past str's digit limit"),
            # JSON has no NaN or ±Infinity (the server refuses them): wherever they sit, as float or Decimal.
            pytest.param(float("nan"), "a number is NaN", id="nan"),
            pytest.param(float("inf"), "a number is Infinity", id="inf"),
            pytest.param({"a": [1, float("-inf")]}, "a number is -Infinity", id="nested -inf"),
            pytest.param((decimal.Decimal("NaN"),), "a number is NaN", id="decimal nan"),
            pytest.param(decimal.Decimal("-Infinity"), "a number is -Infinity", id="decimal -inf"),
            pytest.param(decimal.Decimal("sNaN"), "signaling NaN", id="decimal snan"),
            pytest.param(decimal.Decimal("1e400"), r"Decimal\('1E\+400'\) is too large for a double", id="huge decimal"),
            # A nonzero Decimal a double makes 0, or an integer it rounds: refused as changed, not sent.
            pytest.param(decimal.Decimal("1e-400"), r"Decimal\('1E-400'\) is too small for a double, which would be 0", id="tiny decimal"),
            pytest.param(decimal.Decimal("-1e-400"), r"Decimal\('-1E-400'\) is too small", id="tiny negative decimal"),
            pytest.param(decimal.Decimal("12345678901234567890.0"), r"Decimal\('12345678901234567890.0'\) is beyond ±\(2\^53 - 1\)", id="rounded decimal")]


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


def test_integers_within_a_doubles_exact_range_are_sent_as_they_are(server) -> None:
    """The largest safe integers, a Decimal whose double has its digits (1e20, as the CLI's --args
    lets 1e20 pass), and a float beyond 2^53 (already a double: nothing is rounded) still go."""
    with se.Client(server.grpc) as client:
        show = "export default (a) => a.v.map(String)"
        v = [2 ** 53 - 1, -(2 ** 53 - 1), decimal.Decimal("1e20"), 2.0 ** 60, decimal.Decimal("0.1")]
        assert client.run(show, {"v": v}) == ["9007199254740991", "-9007199254740991", "100000000000000000000",
                                              "1152921504606847000", "0.1"]


@pytest.mark.parametrize("args,why", [
    ({"cfg": {"rows": [{}, {}, {"ts": datetime.timedelta(1)}]}}, r"at cfg\.rows\[2\]\.ts: unsupported type: timedelta"),
    ({"cfg": {"a b": [{1: "x"}]}}, r'at cfg\["a b"\]\[0\]: map key 1 \(int\) is not a str'),
    ({"cfg": {"k": "\udc00"}}, r"at cfg\.k: surrogates not allowed at offset 0 \(U\+DC00\)"),
    ({"cfg": {"k": {"\ud800": 1}}}, r"at cfg\.k: map key '\\ud800': surrogates not allowed"),
    ({"two words": [float("nan")]}, r'at \["two words"\]\[0\]: a number is NaN'),
], ids=["timedelta", "int key", "surrogate", "surrogate key", "name not an identifier"])
def test_a_nested_failure_says_where(args: dict[str, Any], why: str) -> None:
    """``argument "cfg": unsupported type: timedelta`` said which argument, not where in it: the
    path now, as the TS SDK writes it."""
    with se.Client("127.0.0.1:1", retry=se.NO_RETRY) as client:
        with pytest.raises(se.InvalidArgumentError, match=f'^INVALID_ARGUMENT: argument "[^"]+": {why}') as info:
            client.run("export default (a) => a", args)
        assert info.value.field_violations[0].field == f"context.arguments.{next(iter(args))}"


@pytest.mark.parametrize("args,why", [
    ({1: "x"}, r"argument name 1 \(int\) is not a str"),
    ({None: "x"}, r"argument name None \(NoneType\) is not a str"),
    ({"\ud800": 1}, r"argument name '\\ud800': surrogates not allowed at offset 0 \(U\+D800\)"),
], ids=["int", "None", "surrogate"])
def test_an_argument_name_that_is_no_str_fails_as_a_nested_key_does(args: Any, why: str) -> None:
    """A top-level key was a bare TypeError (not a str) or UnicodeEncodeError (a lone surrogate),
    while a nested one gave InvalidArgumentError: the same now, before anything is sent."""
    with se.Client("127.0.0.1:1", retry=se.NO_RETRY) as client:
        for call in (lambda: client.run("1", {"ok": 1, **args}), lambda: client.execute("s", args)):
            with pytest.raises(se.InvalidArgumentError, match=f"^INVALID_ARGUMENT: {why}") as info:
                call()
            assert [v.field for v in info.value.field_violations] == ["context.arguments"]

    async def main() -> None:
        async with se.AsyncClient("127.0.0.1:1", retry=se.NO_RETRY) as aclient:
            with pytest.raises(se.InvalidArgumentError, match=why):
                await aclient.run("1", args)
    asyncio.run(main())
