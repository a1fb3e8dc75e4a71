"""Script arguments as JSON, by the rule the three SDKs share (what their JSON encoders write):
dates and times as ISO 8601 strings, bytes as base64, Decimal as a number, tuples as arrays, map
keys strings only. Anything else (NaN and ±Infinity too, containers nested past MAX_ARGUMENT_DEPTH) fails
here, before a call is sent, naming the argument."""

from __future__ import annotations

import base64
import datetime
import decimal
import math
from collections.abc import Mapping, Sequence
from typing import Any

import grpc
from google.protobuf import json_format, struct_pb2

from ._errors import FieldViolation, InvalidArgumentError


#: How deep lists and maps may nest in one argument: the server's bound (32 levels, as for return
#: values), far below Python's recursion limit, which a deeper value would otherwise hit here as a
#: bare RecursionError.
MAX_ARGUMENT_DEPTH = 32


class _Unsupported(Exception):
    pass


def _non_finite(value: float) -> str:
    """Why NaN or ±Infinity fails: json_format would put it in a Value as it is, though JSON has no such
    number and the server refuses it."""
    name = "NaN" if math.isnan(value) else "Infinity" if value > 0 else "-Infinity"
    return f"a number is {name}, which JSON cannot hold"


def _plain(value: Any, active: set[int]) -> Any:
    """``value`` as None, bool, int, float, str, list and dict only; ``active`` holds the containers
    being converted (a container inside itself has no JSON form), as many as the current depth."""
    if isinstance(value, float) and not math.isfinite(value):
        raise _Unsupported(_non_finite(value))
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (datetime.date, datetime.time)):  # datetime is a date
        return value.isoformat()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, decimal.Decimal):
        if value.is_finite() and math.isinf(float(value)):
            raise _Unsupported(f"Decimal('{value}') is too large for a double")
        return _plain(float(value), active)  # NaN and ±Infinity fail there, sNaN in float()
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
                return {key: _plain(item, active) for key, item in value.items()}
            return [_plain(item, active) for item in value]
        finally:
            active.discard(id(value))
    raise _Unsupported(f"unsupported type: {type(value).__name__}")


def argument_value(name: str, value: Any) -> struct_pb2.Value:
    """One argument as a google.protobuf.Value; InvalidArgumentError naming it when it has no JSON form."""
    try:
        return json_format.ParseDict(_plain(value, set()), struct_pb2.Value())
    # RecursionError: a backstop for nesting MAX_ARGUMENT_DEPTH does not see (a Mapping or Sequence type
    # whose items recurse on their own).
    except (_Unsupported, json_format.ParseError, ValueError, TypeError, OverflowError, RecursionError) as err:
        raise InvalidArgumentError(grpc.StatusCode.INVALID_ARGUMENT, f'argument "{name}": {err}',
                                   field_violations=[FieldViolation(f"context.arguments.{name}", str(err))]) from None
