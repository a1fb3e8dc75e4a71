import datetime

from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from scriptengine.v1 import common_pb2 as _common_pb2
from scriptengine.v1 import migration_pb2 as _migration_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ServiceEvent(_message.Message):
    __slots__ = ("sequence", "timestamp", "event_id", "source", "script_compiled", "script_executed", "health_status_changed", "migration_started", "migration_completed", "service_registered", "service_unregistered", "security_violation")
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    SCRIPT_COMPILED_FIELD_NUMBER: _ClassVar[int]
    SCRIPT_EXECUTED_FIELD_NUMBER: _ClassVar[int]
    HEALTH_STATUS_CHANGED_FIELD_NUMBER: _ClassVar[int]
    MIGRATION_STARTED_FIELD_NUMBER: _ClassVar[int]
    MIGRATION_COMPLETED_FIELD_NUMBER: _ClassVar[int]
    SERVICE_REGISTERED_FIELD_NUMBER: _ClassVar[int]
    SERVICE_UNREGISTERED_FIELD_NUMBER: _ClassVar[int]
    SECURITY_VIOLATION_FIELD_NUMBER: _ClassVar[int]
    sequence: int
    timestamp: _timestamp_pb2.Timestamp
    event_id: str
    source: str
    script_compiled: ScriptCompiled
    script_executed: ScriptExecuted
    health_status_changed: HealthStatusChanged
    migration_started: MigrationStarted
    migration_completed: MigrationCompleted
    service_registered: ServiceRegistered
    service_unregistered: ServiceUnregistered
    security_violation: SecurityViolation
    def __init__(self, sequence: _Optional[int] = ..., timestamp: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., event_id: _Optional[str] = ..., source: _Optional[str] = ..., script_compiled: _Optional[_Union[ScriptCompiled, _Mapping]] = ..., script_executed: _Optional[_Union[ScriptExecuted, _Mapping]] = ..., health_status_changed: _Optional[_Union[HealthStatusChanged, _Mapping]] = ..., migration_started: _Optional[_Union[MigrationStarted, _Mapping]] = ..., migration_completed: _Optional[_Union[MigrationCompleted, _Mapping]] = ..., service_registered: _Optional[_Union[ServiceRegistered, _Mapping]] = ..., service_unregistered: _Optional[_Union[ServiceUnregistered, _Mapping]] = ..., security_violation: _Optional[_Union[SecurityViolation, _Mapping]] = ...) -> None: ...

class ScriptCompiled(_message.Message):
    __slots__ = ("script_id", "success", "duration", "error")
    SCRIPT_ID_FIELD_NUMBER: _ClassVar[int]
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    DURATION_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    script_id: str
    success: bool
    duration: _duration_pb2.Duration
    error: str
    def __init__(self, script_id: _Optional[str] = ..., success: _Optional[bool] = ..., duration: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., error: _Optional[str] = ...) -> None: ...

class ScriptExecuted(_message.Message):
    __slots__ = ("script_id", "execution_id", "success", "duration", "resource_usage")
    SCRIPT_ID_FIELD_NUMBER: _ClassVar[int]
    EXECUTION_ID_FIELD_NUMBER: _ClassVar[int]
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    DURATION_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_USAGE_FIELD_NUMBER: _ClassVar[int]
    script_id: str
    execution_id: str
    success: bool
    duration: _duration_pb2.Duration
    resource_usage: _common_pb2.ResourceUsage
    def __init__(self, script_id: _Optional[str] = ..., execution_id: _Optional[str] = ..., success: _Optional[bool] = ..., duration: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., resource_usage: _Optional[_Union[_common_pb2.ResourceUsage, _Mapping]] = ...) -> None: ...

class HealthStatusChanged(_message.Message):
    __slots__ = ("service_id", "status", "timestamp", "message")
    SERVICE_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    service_id: str
    status: _common_pb2.ServiceStatus
    timestamp: _timestamp_pb2.Timestamp
    message: str
    def __init__(self, service_id: _Optional[str] = ..., status: _Optional[_Union[_common_pb2.ServiceStatus, str]] = ..., timestamp: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., message: _Optional[str] = ...) -> None: ...

class MigrationStarted(_message.Message):
    __slots__ = ("tool_name", "migration_id")
    TOOL_NAME_FIELD_NUMBER: _ClassVar[int]
    MIGRATION_ID_FIELD_NUMBER: _ClassVar[int]
    tool_name: str
    migration_id: str
    def __init__(self, tool_name: _Optional[str] = ..., migration_id: _Optional[str] = ...) -> None: ...

class MigrationCompleted(_message.Message):
    __slots__ = ("tool_name", "migration_id", "success", "result")
    TOOL_NAME_FIELD_NUMBER: _ClassVar[int]
    MIGRATION_ID_FIELD_NUMBER: _ClassVar[int]
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    tool_name: str
    migration_id: str
    success: bool
    result: _migration_pb2.MigrationResult
    def __init__(self, tool_name: _Optional[str] = ..., migration_id: _Optional[str] = ..., success: _Optional[bool] = ..., result: _Optional[_Union[_migration_pb2.MigrationResult, _Mapping]] = ...) -> None: ...

class ServiceRegistered(_message.Message):
    __slots__ = ("service_id", "service_type", "metadata")
    class MetadataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _struct_pb2.Value
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ...) -> None: ...
    SERVICE_ID_FIELD_NUMBER: _ClassVar[int]
    SERVICE_TYPE_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    service_id: str
    service_type: str
    metadata: _containers.MessageMap[str, _struct_pb2.Value]
    def __init__(self, service_id: _Optional[str] = ..., service_type: _Optional[str] = ..., metadata: _Optional[_Mapping[str, _struct_pb2.Value]] = ...) -> None: ...

class ServiceUnregistered(_message.Message):
    __slots__ = ("service_id", "reason")
    SERVICE_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    service_id: str
    reason: str
    def __init__(self, service_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class SecurityViolation(_message.Message):
    __slots__ = ("kind", "principal", "script_id", "execution_id", "detail", "security_level", "count", "peer")
    KIND_FIELD_NUMBER: _ClassVar[int]
    PRINCIPAL_FIELD_NUMBER: _ClassVar[int]
    SCRIPT_ID_FIELD_NUMBER: _ClassVar[int]
    EXECUTION_ID_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    SECURITY_LEVEL_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    PEER_FIELD_NUMBER: _ClassVar[int]
    kind: str
    principal: str
    script_id: str
    execution_id: str
    detail: str
    security_level: _common_pb2.SecurityLevel
    count: int
    peer: str
    def __init__(self, kind: _Optional[str] = ..., principal: _Optional[str] = ..., script_id: _Optional[str] = ..., execution_id: _Optional[str] = ..., detail: _Optional[str] = ..., security_level: _Optional[_Union[_common_pb2.SecurityLevel, str]] = ..., count: _Optional[int] = ..., peer: _Optional[str] = ...) -> None: ...
