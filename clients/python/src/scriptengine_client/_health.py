"""The standard gRPC health check (grpc.health.v1 Health/Check) without grpcio-health-checking:
its two messages, declared here in a private descriptor pool (so they never clash with that
package's, if the caller also loads it)."""

from __future__ import annotations

import enum
from typing import Any

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

METHOD = "/grpc.health.v1.Health/Check"
#: The name the client's call wrapper knows it by (not idempotent for retries: a probe reports at once).
NAME = "Health/Check"


class ServingStatus(enum.IntEnum):
    """grpc.health.v1.HealthCheckResponse.ServingStatus, as ``standard_health()`` gives it (an int
    enum: equal to grpc_health's ``health_pb2.HealthCheckResponse.SERVING`` and friends)."""

    UNKNOWN = 0
    SERVING = 1
    NOT_SERVING = 2
    SERVICE_UNKNOWN = 3


def _messages() -> tuple[Any, Any]:
    field = descriptor_pb2.FieldDescriptorProto
    file = descriptor_pb2.FileDescriptorProto(name="grpc/health/v1/health.proto", package="grpc.health.v1", syntax="proto3")
    file.message_type.add(name="HealthCheckRequest").field.add(
        name="service", number=1, type=field.TYPE_STRING, label=field.LABEL_OPTIONAL)
    # The status enum as its wire form, a varint: the value is all this client reads.
    file.message_type.add(name="HealthCheckResponse").field.add(
        name="status", number=1, type=field.TYPE_INT32, label=field.LABEL_OPTIONAL)
    pool = descriptor_pool.DescriptorPool()
    pool.Add(file)
    return (message_factory.GetMessageClass(pool.FindMessageTypeByName("grpc.health.v1.HealthCheckRequest")),
            message_factory.GetMessageClass(pool.FindMessageTypeByName("grpc.health.v1.HealthCheckResponse")))


_Request, _Response = _messages()


def request(service: str) -> Any:
    return _Request(service=service)


def serialize(message: Any) -> bytes:
    return bytes(message.SerializeToString())


def deserialize(data: bytes) -> Any:
    return _Response.FromString(data)


def status_of(response: Any) -> ServingStatus:
    """The response's status; one this client does not know (none is defined) reads as UNKNOWN."""
    try:
        return ServingStatus(response.status)
    except ValueError:
        return ServingStatus.UNKNOWN
