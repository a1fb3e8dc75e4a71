import datetime

from google.protobuf import duration_pb2 as _duration_pb2
from scriptengine.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ScriptEngineConfig(_message.Message):
    __slots__ = ("max_cache_size", "default_execution_timeout", "max_source_size", "enable_caching", "security_level", "resource_limits", "discovery", "health_check")
    MAX_CACHE_SIZE_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_EXECUTION_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    MAX_SOURCE_SIZE_FIELD_NUMBER: _ClassVar[int]
    ENABLE_CACHING_FIELD_NUMBER: _ClassVar[int]
    SECURITY_LEVEL_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_LIMITS_FIELD_NUMBER: _ClassVar[int]
    DISCOVERY_FIELD_NUMBER: _ClassVar[int]
    HEALTH_CHECK_FIELD_NUMBER: _ClassVar[int]
    max_cache_size: int
    default_execution_timeout: _duration_pb2.Duration
    max_source_size: int
    enable_caching: bool
    security_level: _common_pb2.SecurityLevel
    resource_limits: _common_pb2.ResourceLimits
    discovery: DiscoveryConfig
    health_check: HealthCheckConfig
    def __init__(self, max_cache_size: _Optional[int] = ..., default_execution_timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., max_source_size: _Optional[int] = ..., enable_caching: _Optional[bool] = ..., security_level: _Optional[_Union[_common_pb2.SecurityLevel, str]] = ..., resource_limits: _Optional[_Union[_common_pb2.ResourceLimits, _Mapping]] = ..., discovery: _Optional[_Union[DiscoveryConfig, _Mapping]] = ..., health_check: _Optional[_Union[HealthCheckConfig, _Mapping]] = ...) -> None: ...

class DiscoveryConfig(_message.Message):
    __slots__ = ("enabled", "service_id", "service_type", "advertise_endpoint", "ttl", "metadata")
    class MetadataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ENABLED_FIELD_NUMBER: _ClassVar[int]
    SERVICE_ID_FIELD_NUMBER: _ClassVar[int]
    SERVICE_TYPE_FIELD_NUMBER: _ClassVar[int]
    ADVERTISE_ENDPOINT_FIELD_NUMBER: _ClassVar[int]
    TTL_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    enabled: bool
    service_id: str
    service_type: str
    advertise_endpoint: str
    ttl: _duration_pb2.Duration
    metadata: _containers.ScalarMap[str, str]
    def __init__(self, enabled: _Optional[bool] = ..., service_id: _Optional[str] = ..., service_type: _Optional[str] = ..., advertise_endpoint: _Optional[str] = ..., ttl: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., metadata: _Optional[_Mapping[str, str]] = ...) -> None: ...

class HealthCheckConfig(_message.Message):
    __slots__ = ("interval", "degraded_queue_ratio", "unhealthy_failure_count", "failure_window")
    INTERVAL_FIELD_NUMBER: _ClassVar[int]
    DEGRADED_QUEUE_RATIO_FIELD_NUMBER: _ClassVar[int]
    UNHEALTHY_FAILURE_COUNT_FIELD_NUMBER: _ClassVar[int]
    FAILURE_WINDOW_FIELD_NUMBER: _ClassVar[int]
    interval: _duration_pb2.Duration
    degraded_queue_ratio: float
    unhealthy_failure_count: int
    failure_window: _duration_pb2.Duration
    def __init__(self, interval: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., degraded_queue_ratio: _Optional[float] = ..., unhealthy_failure_count: _Optional[int] = ..., failure_window: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...
