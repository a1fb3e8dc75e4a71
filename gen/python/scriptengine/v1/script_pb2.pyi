import datetime

from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from scriptengine.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ScriptLanguage(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SCRIPT_LANGUAGE_UNSPECIFIED: _ClassVar[ScriptLanguage]
    SCRIPT_LANGUAGE_JAVASCRIPT: _ClassVar[ScriptLanguage]
    SCRIPT_LANGUAGE_TYPESCRIPT: _ClassVar[ScriptLanguage]

class ScriptKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SCRIPT_KIND_UNSPECIFIED: _ClassVar[ScriptKind]
    SCRIPT_KIND_MODULE: _ClassVar[ScriptKind]
    SCRIPT_KIND_EXPRESSION: _ClassVar[ScriptKind]

class ExecutionErrorKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    EXECUTION_ERROR_KIND_UNSPECIFIED: _ClassVar[ExecutionErrorKind]
    EXECUTION_ERROR_KIND_SCRIPT_THREW: _ClassVar[ExecutionErrorKind]
    EXECUTION_ERROR_KIND_TIMEOUT: _ClassVar[ExecutionErrorKind]
    EXECUTION_ERROR_KIND_MEMORY_LIMIT: _ClassVar[ExecutionErrorKind]
    EXECUTION_ERROR_KIND_OUTPUT_LIMIT: _ClassVar[ExecutionErrorKind]
    EXECUTION_ERROR_KIND_INVALID_RETURN_VALUE: _ClassVar[ExecutionErrorKind]
    EXECUTION_ERROR_KIND_TOOL_ERROR: _ClassVar[ExecutionErrorKind]
    EXECUTION_ERROR_KIND_SECURITY_VIOLATION: _ClassVar[ExecutionErrorKind]
    EXECUTION_ERROR_KIND_CANCELLED: _ClassVar[ExecutionErrorKind]
    EXECUTION_ERROR_KIND_WORKER_CRASHED: _ClassVar[ExecutionErrorKind]
SCRIPT_LANGUAGE_UNSPECIFIED: ScriptLanguage
SCRIPT_LANGUAGE_JAVASCRIPT: ScriptLanguage
SCRIPT_LANGUAGE_TYPESCRIPT: ScriptLanguage
SCRIPT_KIND_UNSPECIFIED: ScriptKind
SCRIPT_KIND_MODULE: ScriptKind
SCRIPT_KIND_EXPRESSION: ScriptKind
EXECUTION_ERROR_KIND_UNSPECIFIED: ExecutionErrorKind
EXECUTION_ERROR_KIND_SCRIPT_THREW: ExecutionErrorKind
EXECUTION_ERROR_KIND_TIMEOUT: ExecutionErrorKind
EXECUTION_ERROR_KIND_MEMORY_LIMIT: ExecutionErrorKind
EXECUTION_ERROR_KIND_OUTPUT_LIMIT: ExecutionErrorKind
EXECUTION_ERROR_KIND_INVALID_RETURN_VALUE: ExecutionErrorKind
EXECUTION_ERROR_KIND_TOOL_ERROR: ExecutionErrorKind
EXECUTION_ERROR_KIND_SECURITY_VIOLATION: ExecutionErrorKind
EXECUTION_ERROR_KIND_CANCELLED: ExecutionErrorKind
EXECUTION_ERROR_KIND_WORKER_CRASHED: ExecutionErrorKind

class ExecutionContext(_message.Message):
    __slots__ = ("execution_id", "script_id", "arguments", "environment", "working_directory", "security_context", "timeout", "available_tools", "user_context", "collect_cpu_profile", "resource_limits")
    class ArgumentsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _struct_pb2.Value
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ...) -> None: ...
    class EnvironmentEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    EXECUTION_ID_FIELD_NUMBER: _ClassVar[int]
    SCRIPT_ID_FIELD_NUMBER: _ClassVar[int]
    ARGUMENTS_FIELD_NUMBER: _ClassVar[int]
    ENVIRONMENT_FIELD_NUMBER: _ClassVar[int]
    WORKING_DIRECTORY_FIELD_NUMBER: _ClassVar[int]
    SECURITY_CONTEXT_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    AVAILABLE_TOOLS_FIELD_NUMBER: _ClassVar[int]
    USER_CONTEXT_FIELD_NUMBER: _ClassVar[int]
    COLLECT_CPU_PROFILE_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_LIMITS_FIELD_NUMBER: _ClassVar[int]
    execution_id: str
    script_id: str
    arguments: _containers.MessageMap[str, _struct_pb2.Value]
    environment: _containers.ScalarMap[str, str]
    working_directory: str
    security_context: _common_pb2.SecurityContext
    timeout: _duration_pb2.Duration
    available_tools: _containers.RepeatedScalarFieldContainer[str]
    user_context: _common_pb2.UserContext
    collect_cpu_profile: bool
    resource_limits: _common_pb2.ResourceLimits
    def __init__(self, execution_id: _Optional[str] = ..., script_id: _Optional[str] = ..., arguments: _Optional[_Mapping[str, _struct_pb2.Value]] = ..., environment: _Optional[_Mapping[str, str]] = ..., working_directory: _Optional[str] = ..., security_context: _Optional[_Union[_common_pb2.SecurityContext, _Mapping]] = ..., timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., available_tools: _Optional[_Iterable[str]] = ..., user_context: _Optional[_Union[_common_pb2.UserContext, _Mapping]] = ..., collect_cpu_profile: _Optional[bool] = ..., resource_limits: _Optional[_Union[_common_pb2.ResourceLimits, _Mapping]] = ...) -> None: ...

class ExecutionError(_message.Message):
    __slots__ = ("kind", "name", "message", "stack", "line", "column", "causes", "errors")
    KIND_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    STACK_FIELD_NUMBER: _ClassVar[int]
    LINE_FIELD_NUMBER: _ClassVar[int]
    COLUMN_FIELD_NUMBER: _ClassVar[int]
    CAUSES_FIELD_NUMBER: _ClassVar[int]
    ERRORS_FIELD_NUMBER: _ClassVar[int]
    kind: ExecutionErrorKind
    name: str
    message: str
    stack: str
    line: int
    column: int
    causes: _containers.RepeatedCompositeFieldContainer[ErrorCause]
    errors: _containers.RepeatedCompositeFieldContainer[ErrorCause]
    def __init__(self, kind: _Optional[_Union[ExecutionErrorKind, str]] = ..., name: _Optional[str] = ..., message: _Optional[str] = ..., stack: _Optional[str] = ..., line: _Optional[int] = ..., column: _Optional[int] = ..., causes: _Optional[_Iterable[_Union[ErrorCause, _Mapping]]] = ..., errors: _Optional[_Iterable[_Union[ErrorCause, _Mapping]]] = ...) -> None: ...

class ErrorCause(_message.Message):
    __slots__ = ("name", "message", "stack", "line", "column")
    NAME_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    STACK_FIELD_NUMBER: _ClassVar[int]
    LINE_FIELD_NUMBER: _ClassVar[int]
    COLUMN_FIELD_NUMBER: _ClassVar[int]
    name: str
    message: str
    stack: str
    line: int
    column: int
    def __init__(self, name: _Optional[str] = ..., message: _Optional[str] = ..., stack: _Optional[str] = ..., line: _Optional[int] = ..., column: _Optional[int] = ...) -> None: ...

class ExecutionResult(_message.Message):
    __slots__ = ("execution_id", "script_id", "return_value", "stdout", "stderr", "execution_time", "success", "error", "resource_usage", "metadata", "cpu_profile")
    class MetadataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _struct_pb2.Value
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ...) -> None: ...
    EXECUTION_ID_FIELD_NUMBER: _ClassVar[int]
    SCRIPT_ID_FIELD_NUMBER: _ClassVar[int]
    RETURN_VALUE_FIELD_NUMBER: _ClassVar[int]
    STDOUT_FIELD_NUMBER: _ClassVar[int]
    STDERR_FIELD_NUMBER: _ClassVar[int]
    EXECUTION_TIME_FIELD_NUMBER: _ClassVar[int]
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_USAGE_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    CPU_PROFILE_FIELD_NUMBER: _ClassVar[int]
    execution_id: str
    script_id: str
    return_value: _struct_pb2.Value
    stdout: str
    stderr: str
    execution_time: _duration_pb2.Duration
    success: bool
    error: ExecutionError
    resource_usage: _common_pb2.ResourceUsage
    metadata: _containers.MessageMap[str, _struct_pb2.Value]
    cpu_profile: str
    def __init__(self, execution_id: _Optional[str] = ..., script_id: _Optional[str] = ..., return_value: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ..., stdout: _Optional[str] = ..., stderr: _Optional[str] = ..., execution_time: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., success: _Optional[bool] = ..., error: _Optional[_Union[ExecutionError, _Mapping]] = ..., resource_usage: _Optional[_Union[_common_pb2.ResourceUsage, _Mapping]] = ..., metadata: _Optional[_Mapping[str, _struct_pb2.Value]] = ..., cpu_profile: _Optional[str] = ...) -> None: ...

class CompilationContext(_message.Message):
    __slots__ = ("script_id", "language", "kind", "name", "metadata", "validate_only")
    class MetadataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    SCRIPT_ID_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    VALIDATE_ONLY_FIELD_NUMBER: _ClassVar[int]
    script_id: str
    language: ScriptLanguage
    kind: ScriptKind
    name: str
    metadata: _containers.ScalarMap[str, str]
    validate_only: bool
    def __init__(self, script_id: _Optional[str] = ..., language: _Optional[_Union[ScriptLanguage, str]] = ..., kind: _Optional[_Union[ScriptKind, str]] = ..., name: _Optional[str] = ..., metadata: _Optional[_Mapping[str, str]] = ..., validate_only: _Optional[bool] = ...) -> None: ...

class Diagnostic(_message.Message):
    __slots__ = ("severity", "message", "line", "column")
    SEVERITY_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    LINE_FIELD_NUMBER: _ClassVar[int]
    COLUMN_FIELD_NUMBER: _ClassVar[int]
    severity: _common_pb2.Severity
    message: str
    line: int
    column: int
    def __init__(self, severity: _Optional[_Union[_common_pb2.Severity, str]] = ..., message: _Optional[str] = ..., line: _Optional[int] = ..., column: _Optional[int] = ...) -> None: ...

class CompiledScript(_message.Message):
    __slots__ = ("script_id", "version", "source_hash", "language", "kind", "name", "source_size", "compiled_at", "compile_time", "cache_hit", "diagnostics", "metadata")
    class MetadataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    SCRIPT_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    SOURCE_HASH_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    SOURCE_SIZE_FIELD_NUMBER: _ClassVar[int]
    COMPILED_AT_FIELD_NUMBER: _ClassVar[int]
    COMPILE_TIME_FIELD_NUMBER: _ClassVar[int]
    CACHE_HIT_FIELD_NUMBER: _ClassVar[int]
    DIAGNOSTICS_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    script_id: str
    version: int
    source_hash: str
    language: ScriptLanguage
    kind: ScriptKind
    name: str
    source_size: int
    compiled_at: _timestamp_pb2.Timestamp
    compile_time: _duration_pb2.Duration
    cache_hit: bool
    diagnostics: _containers.RepeatedCompositeFieldContainer[Diagnostic]
    metadata: _containers.ScalarMap[str, str]
    def __init__(self, script_id: _Optional[str] = ..., version: _Optional[int] = ..., source_hash: _Optional[str] = ..., language: _Optional[_Union[ScriptLanguage, str]] = ..., kind: _Optional[_Union[ScriptKind, str]] = ..., name: _Optional[str] = ..., source_size: _Optional[int] = ..., compiled_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., compile_time: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., cache_hit: _Optional[bool] = ..., diagnostics: _Optional[_Iterable[_Union[Diagnostic, _Mapping]]] = ..., metadata: _Optional[_Mapping[str, str]] = ...) -> None: ...

class HealthStatus(_message.Message):
    __slots__ = ("status", "service_id", "version", "timestamp", "uptime", "components", "message")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    SERVICE_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    UPTIME_FIELD_NUMBER: _ClassVar[int]
    COMPONENTS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    status: _common_pb2.ServiceStatus
    service_id: str
    version: str
    timestamp: _timestamp_pb2.Timestamp
    uptime: _duration_pb2.Duration
    components: _containers.RepeatedCompositeFieldContainer[ComponentHealth]
    message: str
    def __init__(self, status: _Optional[_Union[_common_pb2.ServiceStatus, str]] = ..., service_id: _Optional[str] = ..., version: _Optional[str] = ..., timestamp: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., uptime: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., components: _Optional[_Iterable[_Union[ComponentHealth, _Mapping]]] = ..., message: _Optional[str] = ...) -> None: ...

class ComponentHealth(_message.Message):
    __slots__ = ("name", "status", "message")
    NAME_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    name: str
    status: _common_pb2.ServiceStatus
    message: str
    def __init__(self, name: _Optional[str] = ..., status: _Optional[_Union[_common_pb2.ServiceStatus, str]] = ..., message: _Optional[str] = ...) -> None: ...

class PerformanceMetrics(_message.Message):
    __slots__ = ("memory_usage", "active_connections", "cpu_usage", "total_executions", "successful_executions", "failed_executions", "success_rate", "latency_p50", "latency_p95", "latency_p99", "average_execution_time", "cache_size", "cache_hits", "cache_misses", "cache_hit_rate", "queue_length", "pool_size", "busy_isolates", "isolate_recycles", "worker_restarts", "total_compilations", "uptime", "timestamp", "event_subscribers", "stored_script_bytes", "lagged_events", "lag_disconnects", "compile_queue_length", "abandoned_compilations", "rejected_executions", "rejected_compilations")
    MEMORY_USAGE_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_CONNECTIONS_FIELD_NUMBER: _ClassVar[int]
    CPU_USAGE_FIELD_NUMBER: _ClassVar[int]
    TOTAL_EXECUTIONS_FIELD_NUMBER: _ClassVar[int]
    SUCCESSFUL_EXECUTIONS_FIELD_NUMBER: _ClassVar[int]
    FAILED_EXECUTIONS_FIELD_NUMBER: _ClassVar[int]
    SUCCESS_RATE_FIELD_NUMBER: _ClassVar[int]
    LATENCY_P50_FIELD_NUMBER: _ClassVar[int]
    LATENCY_P95_FIELD_NUMBER: _ClassVar[int]
    LATENCY_P99_FIELD_NUMBER: _ClassVar[int]
    AVERAGE_EXECUTION_TIME_FIELD_NUMBER: _ClassVar[int]
    CACHE_SIZE_FIELD_NUMBER: _ClassVar[int]
    CACHE_HITS_FIELD_NUMBER: _ClassVar[int]
    CACHE_MISSES_FIELD_NUMBER: _ClassVar[int]
    CACHE_HIT_RATE_FIELD_NUMBER: _ClassVar[int]
    QUEUE_LENGTH_FIELD_NUMBER: _ClassVar[int]
    POOL_SIZE_FIELD_NUMBER: _ClassVar[int]
    BUSY_ISOLATES_FIELD_NUMBER: _ClassVar[int]
    ISOLATE_RECYCLES_FIELD_NUMBER: _ClassVar[int]
    WORKER_RESTARTS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_COMPILATIONS_FIELD_NUMBER: _ClassVar[int]
    UPTIME_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    EVENT_SUBSCRIBERS_FIELD_NUMBER: _ClassVar[int]
    STORED_SCRIPT_BYTES_FIELD_NUMBER: _ClassVar[int]
    LAGGED_EVENTS_FIELD_NUMBER: _ClassVar[int]
    LAG_DISCONNECTS_FIELD_NUMBER: _ClassVar[int]
    COMPILE_QUEUE_LENGTH_FIELD_NUMBER: _ClassVar[int]
    ABANDONED_COMPILATIONS_FIELD_NUMBER: _ClassVar[int]
    REJECTED_EXECUTIONS_FIELD_NUMBER: _ClassVar[int]
    REJECTED_COMPILATIONS_FIELD_NUMBER: _ClassVar[int]
    memory_usage: int
    active_connections: int
    cpu_usage: float
    total_executions: int
    successful_executions: int
    failed_executions: int
    success_rate: float
    latency_p50: _duration_pb2.Duration
    latency_p95: _duration_pb2.Duration
    latency_p99: _duration_pb2.Duration
    average_execution_time: _duration_pb2.Duration
    cache_size: int
    cache_hits: int
    cache_misses: int
    cache_hit_rate: float
    queue_length: int
    pool_size: int
    busy_isolates: int
    isolate_recycles: int
    worker_restarts: int
    total_compilations: int
    uptime: _duration_pb2.Duration
    timestamp: _timestamp_pb2.Timestamp
    event_subscribers: int
    stored_script_bytes: int
    lagged_events: int
    lag_disconnects: int
    compile_queue_length: int
    abandoned_compilations: int
    rejected_executions: int
    rejected_compilations: int
    def __init__(self, memory_usage: _Optional[int] = ..., active_connections: _Optional[int] = ..., cpu_usage: _Optional[float] = ..., total_executions: _Optional[int] = ..., successful_executions: _Optional[int] = ..., failed_executions: _Optional[int] = ..., success_rate: _Optional[float] = ..., latency_p50: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., latency_p95: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., latency_p99: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., average_execution_time: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., cache_size: _Optional[int] = ..., cache_hits: _Optional[int] = ..., cache_misses: _Optional[int] = ..., cache_hit_rate: _Optional[float] = ..., queue_length: _Optional[int] = ..., pool_size: _Optional[int] = ..., busy_isolates: _Optional[int] = ..., isolate_recycles: _Optional[int] = ..., worker_restarts: _Optional[int] = ..., total_compilations: _Optional[int] = ..., uptime: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., timestamp: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., event_subscribers: _Optional[int] = ..., stored_script_bytes: _Optional[int] = ..., lagged_events: _Optional[int] = ..., lag_disconnects: _Optional[int] = ..., compile_queue_length: _Optional[int] = ..., abandoned_compilations: _Optional[int] = ..., rejected_executions: _Optional[int] = ..., rejected_compilations: _Optional[int] = ...) -> None: ...

class ScriptInfo(_message.Message):
    __slots__ = ("script", "created_at")
    SCRIPT_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    script: CompiledScript
    created_at: _timestamp_pb2.Timestamp
    def __init__(self, script: _Optional[_Union[CompiledScript, _Mapping]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
