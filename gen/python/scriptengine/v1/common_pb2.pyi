import datetime

from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class SecurityLevel(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SECURITY_LEVEL_UNSPECIFIED: _ClassVar[SecurityLevel]
    SECURITY_LEVEL_SAFE: _ClassVar[SecurityLevel]
    SECURITY_LEVEL_DEVELOPMENT: _ClassVar[SecurityLevel]
    SECURITY_LEVEL_PRODUCTION: _ClassVar[SecurityLevel]

class ServiceStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SERVICE_STATUS_UNSPECIFIED: _ClassVar[ServiceStatus]
    SERVICE_STATUS_HEALTHY: _ClassVar[ServiceStatus]
    SERVICE_STATUS_DEGRADED: _ClassVar[ServiceStatus]
    SERVICE_STATUS_UNHEALTHY: _ClassVar[ServiceStatus]
    SERVICE_STATUS_STARTING: _ClassVar[ServiceStatus]
    SERVICE_STATUS_STOPPING: _ClassVar[ServiceStatus]
    SERVICE_STATUS_STOPPED: _ClassVar[ServiceStatus]

class Severity(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SEVERITY_UNSPECIFIED: _ClassVar[Severity]
    SEVERITY_INFO: _ClassVar[Severity]
    SEVERITY_WARNING: _ClassVar[Severity]
    SEVERITY_ERROR: _ClassVar[Severity]
SECURITY_LEVEL_UNSPECIFIED: SecurityLevel
SECURITY_LEVEL_SAFE: SecurityLevel
SECURITY_LEVEL_DEVELOPMENT: SecurityLevel
SECURITY_LEVEL_PRODUCTION: SecurityLevel
SERVICE_STATUS_UNSPECIFIED: ServiceStatus
SERVICE_STATUS_HEALTHY: ServiceStatus
SERVICE_STATUS_DEGRADED: ServiceStatus
SERVICE_STATUS_UNHEALTHY: ServiceStatus
SERVICE_STATUS_STARTING: ServiceStatus
SERVICE_STATUS_STOPPING: ServiceStatus
SERVICE_STATUS_STOPPED: ServiceStatus
SEVERITY_UNSPECIFIED: Severity
SEVERITY_INFO: Severity
SEVERITY_WARNING: Severity
SEVERITY_ERROR: Severity

class SecurityContext(_message.Message):
    __slots__ = ("user_id", "session_id", "permissions", "security_level", "sandbox", "metadata")
    class MetadataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    PERMISSIONS_FIELD_NUMBER: _ClassVar[int]
    SECURITY_LEVEL_FIELD_NUMBER: _ClassVar[int]
    SANDBOX_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    session_id: str
    permissions: _containers.RepeatedScalarFieldContainer[str]
    security_level: SecurityLevel
    sandbox: bool
    metadata: _containers.ScalarMap[str, str]
    def __init__(self, user_id: _Optional[str] = ..., session_id: _Optional[str] = ..., permissions: _Optional[_Iterable[str]] = ..., security_level: _Optional[_Union[SecurityLevel, str]] = ..., sandbox: _Optional[bool] = ..., metadata: _Optional[_Mapping[str, str]] = ...) -> None: ...

class UserContext(_message.Message):
    __slots__ = ("user_id", "display_name", "tenant_id", "roles", "locale", "attributes")
    class AttributesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    ROLES_FIELD_NUMBER: _ClassVar[int]
    LOCALE_FIELD_NUMBER: _ClassVar[int]
    ATTRIBUTES_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    display_name: str
    tenant_id: str
    roles: _containers.RepeatedScalarFieldContainer[str]
    locale: str
    attributes: _containers.ScalarMap[str, str]
    def __init__(self, user_id: _Optional[str] = ..., display_name: _Optional[str] = ..., tenant_id: _Optional[str] = ..., roles: _Optional[_Iterable[str]] = ..., locale: _Optional[str] = ..., attributes: _Optional[_Mapping[str, str]] = ...) -> None: ...

class ResourceUsage(_message.Message):
    __slots__ = ("memory_bytes", "cpu_percentage", "operations_count", "network_io_bytes", "file_io_bytes")
    MEMORY_BYTES_FIELD_NUMBER: _ClassVar[int]
    CPU_PERCENTAGE_FIELD_NUMBER: _ClassVar[int]
    OPERATIONS_COUNT_FIELD_NUMBER: _ClassVar[int]
    NETWORK_IO_BYTES_FIELD_NUMBER: _ClassVar[int]
    FILE_IO_BYTES_FIELD_NUMBER: _ClassVar[int]
    memory_bytes: int
    cpu_percentage: float
    operations_count: int
    network_io_bytes: int
    file_io_bytes: int
    def __init__(self, memory_bytes: _Optional[int] = ..., cpu_percentage: _Optional[float] = ..., operations_count: _Optional[int] = ..., network_io_bytes: _Optional[int] = ..., file_io_bytes: _Optional[int] = ...) -> None: ...

class ResourceLimits(_message.Message):
    __slots__ = ("max_memory_bytes", "max_cpu_percentage", "max_concurrent_operations", "operation_timeout", "max_execution_time", "max_network_requests")
    MAX_MEMORY_BYTES_FIELD_NUMBER: _ClassVar[int]
    MAX_CPU_PERCENTAGE_FIELD_NUMBER: _ClassVar[int]
    MAX_CONCURRENT_OPERATIONS_FIELD_NUMBER: _ClassVar[int]
    OPERATION_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    MAX_EXECUTION_TIME_FIELD_NUMBER: _ClassVar[int]
    MAX_NETWORK_REQUESTS_FIELD_NUMBER: _ClassVar[int]
    max_memory_bytes: int
    max_cpu_percentage: float
    max_concurrent_operations: int
    operation_timeout: _duration_pb2.Duration
    max_execution_time: _duration_pb2.Duration
    max_network_requests: int
    def __init__(self, max_memory_bytes: _Optional[int] = ..., max_cpu_percentage: _Optional[float] = ..., max_concurrent_operations: _Optional[int] = ..., operation_timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., max_execution_time: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., max_network_requests: _Optional[int] = ...) -> None: ...
