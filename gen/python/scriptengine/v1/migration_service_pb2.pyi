from scriptengine.v1 import common_pb2 as _common_pb2
from scriptengine.v1 import migration_pb2 as _migration_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class MigrateToolRequest(_message.Message):
    __slots__ = ("tool_name", "config")
    TOOL_NAME_FIELD_NUMBER: _ClassVar[int]
    CONFIG_FIELD_NUMBER: _ClassVar[int]
    tool_name: str
    config: _migration_pb2.MigrationConfig
    def __init__(self, tool_name: _Optional[str] = ..., config: _Optional[_Union[_migration_pb2.MigrationConfig, _Mapping]] = ...) -> None: ...

class MigrateToolResponse(_message.Message):
    __slots__ = ("result",)
    RESULT_FIELD_NUMBER: _ClassVar[int]
    result: _migration_pb2.MigrationResult
    def __init__(self, result: _Optional[_Union[_migration_pb2.MigrationResult, _Mapping]] = ...) -> None: ...

class MigrateDirectoryRequest(_message.Message):
    __slots__ = ("directory", "config", "recursive")
    DIRECTORY_FIELD_NUMBER: _ClassVar[int]
    CONFIG_FIELD_NUMBER: _ClassVar[int]
    RECURSIVE_FIELD_NUMBER: _ClassVar[int]
    directory: str
    config: _migration_pb2.MigrationConfig
    recursive: bool
    def __init__(self, directory: _Optional[str] = ..., config: _Optional[_Union[_migration_pb2.MigrationConfig, _Mapping]] = ..., recursive: _Optional[bool] = ...) -> None: ...

class MigrateDirectoryResponse(_message.Message):
    __slots__ = ("total", "done", "result")
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    DONE_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    total: int
    done: int
    result: _migration_pb2.MigrationResult
    def __init__(self, total: _Optional[int] = ..., done: _Optional[int] = ..., result: _Optional[_Union[_migration_pb2.MigrationResult, _Mapping]] = ...) -> None: ...

class ValidateMigrationRequest(_message.Message):
    __slots__ = ("tool_name", "auto_fix", "validation")
    TOOL_NAME_FIELD_NUMBER: _ClassVar[int]
    AUTO_FIX_FIELD_NUMBER: _ClassVar[int]
    VALIDATION_FIELD_NUMBER: _ClassVar[int]
    tool_name: str
    auto_fix: bool
    validation: _migration_pb2.ValidationConfig
    def __init__(self, tool_name: _Optional[str] = ..., auto_fix: _Optional[bool] = ..., validation: _Optional[_Union[_migration_pb2.ValidationConfig, _Mapping]] = ...) -> None: ...

class ValidateMigrationResponse(_message.Message):
    __slots__ = ("result",)
    RESULT_FIELD_NUMBER: _ClassVar[int]
    result: _migration_pb2.ValidationResult
    def __init__(self, result: _Optional[_Union[_migration_pb2.ValidationResult, _Mapping]] = ...) -> None: ...

class RollbackToolRequest(_message.Message):
    __slots__ = ("tool_name", "config")
    TOOL_NAME_FIELD_NUMBER: _ClassVar[int]
    CONFIG_FIELD_NUMBER: _ClassVar[int]
    tool_name: str
    config: _migration_pb2.RollbackConfig
    def __init__(self, tool_name: _Optional[str] = ..., config: _Optional[_Union[_migration_pb2.RollbackConfig, _Mapping]] = ...) -> None: ...

class RollbackToolResponse(_message.Message):
    __slots__ = ("result",)
    RESULT_FIELD_NUMBER: _ClassVar[int]
    result: _migration_pb2.RollbackResult
    def __init__(self, result: _Optional[_Union[_migration_pb2.RollbackResult, _Mapping]] = ...) -> None: ...

class ListMigrationsRequest(_message.Message):
    __slots__ = ("filter", "page_size", "page_token")
    FILTER_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    filter: _migration_pb2.MigrationFilter
    page_size: int
    page_token: str
    def __init__(self, filter: _Optional[_Union[_migration_pb2.MigrationFilter, _Mapping]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListMigrationsResponse(_message.Message):
    __slots__ = ("migrations", "next_page_token")
    MIGRATIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    migrations: _containers.RepeatedCompositeFieldContainer[_migration_pb2.MigrationInfo]
    next_page_token: str
    def __init__(self, migrations: _Optional[_Iterable[_Union[_migration_pb2.MigrationInfo, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetMigrationStatusRequest(_message.Message):
    __slots__ = ("security_level",)
    SECURITY_LEVEL_FIELD_NUMBER: _ClassVar[int]
    security_level: _common_pb2.SecurityLevel
    def __init__(self, security_level: _Optional[_Union[_common_pb2.SecurityLevel, str]] = ...) -> None: ...

class GetMigrationStatusResponse(_message.Message):
    __slots__ = ("status",)
    STATUS_FIELD_NUMBER: _ClassVar[int]
    status: _migration_pb2.MigrationStatus
    def __init__(self, status: _Optional[_Union[_migration_pb2.MigrationStatus, _Mapping]] = ...) -> None: ...
