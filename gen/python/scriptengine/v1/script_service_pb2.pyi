from scriptengine.v1 import config_pb2 as _config_pb2
from scriptengine.v1 import script_pb2 as _script_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ExecuteScriptRequest(_message.Message):
    __slots__ = ("script_id", "context", "version")
    SCRIPT_ID_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    script_id: str
    context: _script_pb2.ExecutionContext
    version: int
    def __init__(self, script_id: _Optional[str] = ..., context: _Optional[_Union[_script_pb2.ExecutionContext, _Mapping]] = ..., version: _Optional[int] = ...) -> None: ...

class ExecuteScriptResponse(_message.Message):
    __slots__ = ("result",)
    RESULT_FIELD_NUMBER: _ClassVar[int]
    result: _script_pb2.ExecutionResult
    def __init__(self, result: _Optional[_Union[_script_pb2.ExecutionResult, _Mapping]] = ...) -> None: ...

class CompileScriptRequest(_message.Message):
    __slots__ = ("source", "context")
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    source: str
    context: _script_pb2.CompilationContext
    def __init__(self, source: _Optional[str] = ..., context: _Optional[_Union[_script_pb2.CompilationContext, _Mapping]] = ...) -> None: ...

class CompileScriptResponse(_message.Message):
    __slots__ = ("script",)
    SCRIPT_FIELD_NUMBER: _ClassVar[int]
    script: _script_pb2.CompiledScript
    def __init__(self, script: _Optional[_Union[_script_pb2.CompiledScript, _Mapping]] = ...) -> None: ...

class RunScriptRequest(_message.Message):
    __slots__ = ("source", "compilation", "context")
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    COMPILATION_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    source: str
    compilation: _script_pb2.CompilationContext
    context: _script_pb2.ExecutionContext
    def __init__(self, source: _Optional[str] = ..., compilation: _Optional[_Union[_script_pb2.CompilationContext, _Mapping]] = ..., context: _Optional[_Union[_script_pb2.ExecutionContext, _Mapping]] = ...) -> None: ...

class RunScriptResponse(_message.Message):
    __slots__ = ("result",)
    RESULT_FIELD_NUMBER: _ClassVar[int]
    result: _script_pb2.ExecutionResult
    def __init__(self, result: _Optional[_Union[_script_pb2.ExecutionResult, _Mapping]] = ...) -> None: ...

class GetScriptRequest(_message.Message):
    __slots__ = ("script_id", "version")
    SCRIPT_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    script_id: str
    version: int
    def __init__(self, script_id: _Optional[str] = ..., version: _Optional[int] = ...) -> None: ...

class GetScriptResponse(_message.Message):
    __slots__ = ("script",)
    SCRIPT_FIELD_NUMBER: _ClassVar[int]
    script: _script_pb2.ScriptInfo
    def __init__(self, script: _Optional[_Union[_script_pb2.ScriptInfo, _Mapping]] = ...) -> None: ...

class DeleteScriptRequest(_message.Message):
    __slots__ = ("script_id",)
    SCRIPT_ID_FIELD_NUMBER: _ClassVar[int]
    script_id: str
    def __init__(self, script_id: _Optional[str] = ...) -> None: ...

class DeleteScriptResponse(_message.Message):
    __slots__ = ("versions_deleted",)
    VERSIONS_DELETED_FIELD_NUMBER: _ClassVar[int]
    versions_deleted: int
    def __init__(self, versions_deleted: _Optional[int] = ...) -> None: ...

class ListScriptsRequest(_message.Message):
    __slots__ = ("page_size", "page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListScriptsResponse(_message.Message):
    __slots__ = ("scripts", "next_page_token")
    SCRIPTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    scripts: _containers.RepeatedCompositeFieldContainer[_script_pb2.ScriptInfo]
    next_page_token: str
    def __init__(self, scripts: _Optional[_Iterable[_Union[_script_pb2.ScriptInfo, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class HealthCheckRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class HealthCheckResponse(_message.Message):
    __slots__ = ("health",)
    HEALTH_FIELD_NUMBER: _ClassVar[int]
    health: _script_pb2.HealthStatus
    def __init__(self, health: _Optional[_Union[_script_pb2.HealthStatus, _Mapping]] = ...) -> None: ...

class GetMetricsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetMetricsResponse(_message.Message):
    __slots__ = ("metrics",)
    METRICS_FIELD_NUMBER: _ClassVar[int]
    metrics: _script_pb2.PerformanceMetrics
    def __init__(self, metrics: _Optional[_Union[_script_pb2.PerformanceMetrics, _Mapping]] = ...) -> None: ...

class GetConfigRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetConfigResponse(_message.Message):
    __slots__ = ("config",)
    CONFIG_FIELD_NUMBER: _ClassVar[int]
    config: _config_pb2.ScriptEngineConfig
    def __init__(self, config: _Optional[_Union[_config_pb2.ScriptEngineConfig, _Mapping]] = ...) -> None: ...

class StartRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class StartResponse(_message.Message):
    __slots__ = ("health",)
    HEALTH_FIELD_NUMBER: _ClassVar[int]
    health: _script_pb2.HealthStatus
    def __init__(self, health: _Optional[_Union[_script_pb2.HealthStatus, _Mapping]] = ...) -> None: ...

class StopRequest(_message.Message):
    __slots__ = ("reason",)
    REASON_FIELD_NUMBER: _ClassVar[int]
    reason: str
    def __init__(self, reason: _Optional[str] = ...) -> None: ...

class StopResponse(_message.Message):
    __slots__ = ("health",)
    HEALTH_FIELD_NUMBER: _ClassVar[int]
    health: _script_pb2.HealthStatus
    def __init__(self, health: _Optional[_Union[_script_pb2.HealthStatus, _Mapping]] = ...) -> None: ...
