"""Script arguments as JSON, by the rule the three SDKs share (what their JSON encoders write):
dates and times as ISO 8601 strings, bytes as base64, Decimal as a number, tuples as arrays, map
keys strings only. Anything else fails here, before a call is sent, naming the argument."""

from __future__ import annotations

import base64
import datetime
import decimal
from collections.abc import Mapping, Sequence
from typing import Any

import grpc
from google.protobuf import json_format, struct_pb2

from ._errors import FieldViolation, InvalidArgumentError


class _Unsupported(Exception):
    pass


def _plain(value: Any, active: set[int]) -> Any:
    """``value`` as None, bool, int, float, str, list and dict only; ``active`` holds the containers
    being converted (a container inside itself has no JSON form)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (datetime.date, datetime.time)):  # datetime is a date
        return value.isoformat()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, (Mapping, Sequence)):
        if id(value) in active:
            raise _Unsupported("it contains itself")
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
    except (_Unsupported, json_format.ParseError, ValueError, TypeError, OverflowError) as err:
        raise InvalidArgumentError(grpc.StatusCode.INVALID_ARGUMENT, f'argument "{name}": {err}',
                                   field_violations=[FieldViolation(f"context.arguments.{name}", str(err))]) from None
