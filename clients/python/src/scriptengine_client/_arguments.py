"""Script arguments as JSON, by the rule the three SDKs share (what their JSON encoders write):
dates and times as ISO 8601 strings, bytes as base64, Decimal as a number, tuples as arrays, map
keys strings only. Anything else (NaN and ±Infinity too, an integer a double would round, containers
nested past MAX_ARGUMENT_DEPTH) fails here, before a call is sent, naming the argument and, inside
it, where (``cfg.rows[2].ts``, as the TS SDK says)."""

from __future__ import annotations

import base64
import datetime
import decimal
import json
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any, Optional

import grpc
from google.protobuf import json_format, struct_pb2

from ._errors import FieldViolation, InvalidArgumentError


#: How deep lists and maps may nest in one argument: the server's bound (32 levels, as for return
#: values), far below Python's recursion limit, which a deeper value would otherwise hit here as a
#: bare RecursionError.
MAX_ARGUMENT_DEPTH = 32

# The largest integer a double (a JSON number) holds exactly, with every one below it.
MAX_SAFE_INTEGER = 2 ** 53 - 1

_IDENTIFIER = re.compile(r"[A-Za-z_$][\w$]*")


class _Unsupported(Exception):
    pass


def _child(path: str, key: str) -> str:
    """The path of ``key`` in the map at ``path``, as the TS SDK writes it: ``cfg.rows``, ``cfg["a b"]``."""
    return f"{path}.{key}" if _IDENTIFIER.fullmatch(key) else f"{path}[{json.dumps(key)}]"


def utf8_error(text: str) -> Optional[str]:
    """Why protobuf cannot encode ``text`` (UTF-8: a lone surrogate), with where; None when it can."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as err:
        return f"{err.reason} at offset {err.start} (U+{ord(text[err.start]):04X})"
    return None


def _non_finite(value: float) -> str:
    """Why NaN or ±Infinity fails: json_format would put it in a Value as it is, though JSON has no such
    number and the server refuses it."""
    name = "NaN" if math.isnan(value) else "Infinity" if value > 0 else "-Infinity"
    return f"a number is {name}, which JSON cannot hold"


def _inexact(written: str) -> str:
    """Why a number a double would round fails, as the server's CLI says it for ``--args``: the script
    would get another number, silently (an id, a uint64 from elsewhere)."""
    return (f"{written} is beyond ±(2^53 - 1), where a JSON number does not hold integers exactly; "
            f"pass it as a string")


def _int(value: int) -> int:
    if abs(value) > MAX_SAFE_INTEGER:
        try:
            written = str(value)
        except ValueError:  # past Python's int-to-str digit limit
            written = f"an integer of {value.bit_length()} bits"
        raise _Unsupported(_inexact(written))
    return value


def _decimal(value: decimal.Decimal) -> float:
    """``value`` as the double sent, refused when that is not the number it says (a float of it
    would be sent as it is: Infinity, 0, another integer)."""
    number = float(value)  # sNaN raises here
    if not value.is_finite():
        return number  # NaN and ±Infinity fail in _plain, as floats
    if math.isinf(number):
        raise _Unsupported(f"Decimal('{value}') is too large for a double")
    if number == 0 and value != 0:
        raise _Unsupported(f"Decimal('{value}') is too small for a double, which would be 0")
    # Beyond 2^53 - 1, only when the double's digits are not those written (1e20 passes), as the CLI.
    if abs(value) > MAX_SAFE_INTEGER and decimal.Decimal(repr(number)) != value:
        raise _Unsupported(_inexact(f"Decimal('{value}')"))
    return number


def _plain(value: Any, path: str, active: set[int]) -> Any:
    """``value`` (at ``path``) as None, bool, int, float, str, list and dict only; ``active`` holds
    the containers being converted (a container inside itself has no JSON form), as many as the
    current depth."""
    if isinstance(value, float) and not math.isfinite(value):
        raise _Unsupported(_non_finite(value))
    if value is None or isinstance(value, (bool, float)):
        return value
    if isinstance(value, int):
        return _int(value)
    if isinstance(value, str):
        if why := utf8_error(value):
            raise _Unsupported(why)
        return value
    if isinstance(value, (datetime.date, datetime.time)):  # datetime is a date
        return value.isoformat()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, decimal.Decimal):
        return _plain(_decimal(value), path, active)  # NaN and ±Infinity fail there
    if isinstance(value, (Mapping, Sequence)):
        if id(value) in active:
            raise _Unsupported("it contains itself")
        if len(active) >= MAX_ARGUMENT_DEPTH:
            raise _Unsupported(f"it nests deeper than {MAX_ARGUMENT_DEPTH} levels")
        active.add(id(value))
        try:
            if isinstance(value, Mapping):
                for key in value:
                    if not isinstance(key, str):
                        raise _Unsupported(f"map key {key!r} ({type(key).__name__}) is not a str")
                    if why := utf8_error(key):
                        raise _Unsupported(f"map key {key!r}: {why}")
                return {key: _at(item, _child(path, key), active) for key, item in value.items()}
            return [_at(item, f"{path}[{i}]", active) for i, item in enumerate(value)]
        finally:
            active.discard(id(value))
    raise _Unsupported(f"unsupported type: {type(value).__name__}")


class _Failed(Exception):
    """Why an argument failed, with where in it (the path of the innermost value that did)."""

    def __init__(self, path: str, why: str) -> None:
        super().__init__(why)
        self.path, self.why = path, why


def _at(value: Any, path: str, active: set[int]) -> Any:
    """_plain of an item inside an argument: a failure there says its path."""
    try:
        return _plain(value, path, active)
    except _Failed:
        raise
    except (_Unsupported, ValueError, TypeError, OverflowError) as err:
        raise _Failed(path, str(err)) from None


def argument_name(name: Any) -> str:
    """``name`` if it can name an argument (a str protobuf can encode), else InvalidArgumentError
    naming it, as for a map key inside one (it was a bare TypeError or UnicodeEncodeError)."""
    if not isinstance(name, str):
        why = f"{name!r} ({type(name).__name__}) is not a str"
    elif bad := utf8_error(name):
        why = f"{name!r}: {bad}"
    else:
        return name
    raise InvalidArgumentError(grpc.StatusCode.INVALID_ARGUMENT, f"argument name {why}",
                               field_violations=[FieldViolation("context.arguments", f"key {why}")])


def argument_value(name: str, value: Any) -> struct_pb2.Value:
    """One argument as a google.protobuf.Value; InvalidArgumentError naming it, and where in it when
    deeper (``argument "cfg": at cfg.rows[2].ts: unsupported type: timedelta``), when it has no JSON
    form."""
    path = _child("", name).lstrip(".")
    try:
        return json_format.ParseDict(_plain(value, path, set()), struct_pb2.Value())
    except _Failed as err:
        why = f"at {err.path}: {err.why}"
    # RecursionError: a backstop for nesting MAX_ARGUMENT_DEPTH does not see (a Mapping or Sequence type
    # whose items recurse on their own).
    except (_Unsupported, json_format.ParseError, ValueError, TypeError, OverflowError, RecursionError) as err:
        why = str(err)
    raise InvalidArgumentError(grpc.StatusCode.INVALID_ARGUMENT, f'argument "{name}": {why}',
                               field_violations=[FieldViolation(f"context.arguments.{name}", why)]) from None
