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

class MigrationState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MIGRATION_STATE_UNSPECIFIED: _ClassVar[MigrationState]
    MIGRATION_STATE_PENDING: _ClassVar[MigrationState]
    MIGRATION_STATE_IN_PROGRESS: _ClassVar[MigrationState]
    MIGRATION_STATE_COMPLETED: _ClassVar[MigrationState]
    MIGRATION_STATE_FAILED: _ClassVar[MigrationState]
    MIGRATION_STATE_ROLLED_BACK: _ClassVar[MigrationState]
    MIGRATION_STATE_DRY_RUN: _ClassVar[MigrationState]

class ValidationStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    VALIDATION_STATUS_UNSPECIFIED: _ClassVar[ValidationStatus]
    VALIDATION_STATUS_PASSED: _ClassVar[ValidationStatus]
    VALIDATION_STATUS_WARNING: _ClassVar[ValidationStatus]
    VALIDATION_STATUS_FAILED: _ClassVar[ValidationStatus]
    VALIDATION_STATUS_SKIPPED: _ClassVar[ValidationStatus]

class RollbackAction(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ROLLBACK_ACTION_UNSPECIFIED: _ClassVar[RollbackAction]
    ROLLBACK_ACTION_RESTORED_PREVIOUS: _ClassVar[RollbackAction]
    ROLLBACK_ACTION_REMOVED_TOOL: _ClassVar[RollbackAction]
    ROLLBACK_ACTION_NOTHING_TO_DO: _ClassVar[RollbackAction]
MIGRATION_STATE_UNSPECIFIED: MigrationState
MIGRATION_STATE_PENDING: MigrationState
MIGRATION_STATE_IN_PROGRESS: MigrationState
MIGRATION_STATE_COMPLETED: MigrationState
MIGRATION_STATE_FAILED: MigrationState
MIGRATION_STATE_ROLLED_BACK: MigrationState
MIGRATION_STATE_DRY_RUN: MigrationState
VALIDATION_STATUS_UNSPECIFIED: ValidationStatus
VALIDATION_STATUS_PASSED: ValidationStatus
VALIDATION_STATUS_WARNING: ValidationStatus
VALIDATION_STATUS_FAILED: ValidationStatus
VALIDATION_STATUS_SKIPPED: ValidationStatus
ROLLBACK_ACTION_UNSPECIFIED: RollbackAction
ROLLBACK_ACTION_RESTORED_PREVIOUS: RollbackAction
ROLLBACK_ACTION_REMOVED_TOOL: RollbackAction
ROLLBACK_ACTION_NOTHING_TO_DO: RollbackAction

class MigrationConfig(_message.Message):
    __slots__ = ("security_level", "force", "preserve_tool_id", "backup_original", "validation", "metadata", "dry_run", "source")
    class MetadataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    SECURITY_LEVEL_FIELD_NUMBER: _ClassVar[int]
    FORCE_FIELD_NUMBER: _ClassVar[int]
    PRESERVE_TOOL_ID_FIELD_NUMBER: _ClassVar[int]
    BACKUP_ORIGINAL_FIELD_NUMBER: _ClassVar[int]
    VALIDATION_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    DRY_RUN_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    security_level: _common_pb2.SecurityLevel
    force: bool
    preserve_tool_id: bool
    backup_original: bool
    validation: ValidationConfig
    metadata: _containers.ScalarMap[str, str]
    dry_run: bool
    source: LegacySource
    def __init__(self, security_level: _Optional[_Union[_common_pb2.SecurityLevel, str]] = ..., force: _Optional[bool] = ..., preserve_tool_id: _Optional[bool] = ..., backup_original: _Optional[bool] = ..., validation: _Optional[_Union[ValidationConfig, _Mapping]] = ..., metadata: _Optional[_Mapping[str, str]] = ..., dry_run: _Optional[bool] = ..., source: _Optional[_Union[LegacySource, _Mapping]] = ...) -> None: ...

class LegacySource(_message.Message):
    __slots__ = ("file_path", "manifest_path")
    FILE_PATH_FIELD_NUMBER: _ClassVar[int]
    MANIFEST_PATH_FIELD_NUMBER: _ClassVar[int]
    file_path: str
    manifest_path: str
    def __init__(self, file_path: _Optional[str] = ..., manifest_path: _Optional[str] = ...) -> None: ...

class ValidationConfig(_message.Message):
    __slots__ = ("checks", "skip_checks", "strict", "smoke_run_arguments", "smoke_run_timeout")
    CHECKS_FIELD_NUMBER: _ClassVar[int]
    SKIP_CHECKS_FIELD_NUMBER: _ClassVar[int]
    STRICT_FIELD_NUMBER: _ClassVar[int]
    SMOKE_RUN_ARGUMENTS_FIELD_NUMBER: _ClassVar[int]
    SMOKE_RUN_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    checks: _containers.RepeatedScalarFieldContainer[str]
    skip_checks: _containers.RepeatedScalarFieldContainer[str]
    strict: bool
    smoke_run_arguments: _struct_pb2.Struct
    smoke_run_timeout: _duration_pb2.Duration
    def __init__(self, checks: _Optional[_Iterable[str]] = ..., skip_checks: _Optional[_Iterable[str]] = ..., strict: _Optional[bool] = ..., smoke_run_arguments: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., smoke_run_timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class ValidationCheck(_message.Message):
    __slots__ = ("name", "status", "message", "duration")
    NAME_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    DURATION_FIELD_NUMBER: _ClassVar[int]
    name: str
    status: ValidationStatus
    message: str
    duration: _duration_pb2.Duration
    def __init__(self, name: _Optional[str] = ..., status: _Optional[_Union[ValidationStatus, str]] = ..., message: _Optional[str] = ..., duration: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class ValidationIssue(_message.Message):
    __slots__ = ("check", "severity", "message", "fixable", "suggestion")
    CHECK_FIELD_NUMBER: _ClassVar[int]
    SEVERITY_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    FIXABLE_FIELD_NUMBER: _ClassVar[int]
    SUGGESTION_FIELD_NUMBER: _ClassVar[int]
    check: str
    severity: _common_pb2.Severity
    message: str
    fixable: bool
    suggestion: str
    def __init__(self, check: _Optional[str] = ..., severity: _Optional[_Union[_common_pb2.Severity, str]] = ..., message: _Optional[str] = ..., fixable: _Optional[bool] = ..., suggestion: _Optional[str] = ...) -> None: ...

class AutoFixResult(_message.Message):
    __slots__ = ("applied", "unresolved", "success")
    APPLIED_FIELD_NUMBER: _ClassVar[int]
    UNRESOLVED_FIELD_NUMBER: _ClassVar[int]
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    applied: _containers.RepeatedScalarFieldContainer[str]
    unresolved: _containers.RepeatedCompositeFieldContainer[ValidationIssue]
    success: bool
    def __init__(self, applied: _Optional[_Iterable[str]] = ..., unresolved: _Optional[_Iterable[_Union[ValidationIssue, _Mapping]]] = ..., success: _Optional[bool] = ...) -> None: ...

class ValidationResult(_message.Message):
    __slots__ = ("validation_id", "tool_name", "status", "checks", "issues", "auto_fix_results", "timestamp")
    VALIDATION_ID_FIELD_NUMBER: _ClassVar[int]
    TOOL_NAME_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    CHECKS_FIELD_NUMBER: _ClassVar[int]
    ISSUES_FIELD_NUMBER: _ClassVar[int]
    AUTO_FIX_RESULTS_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    validation_id: str
    tool_name: str
    status: ValidationStatus
    checks: _containers.RepeatedCompositeFieldContainer[ValidationCheck]
    issues: _containers.RepeatedCompositeFieldContainer[ValidationIssue]
    auto_fix_results: AutoFixResult
    timestamp: _timestamp_pb2.Timestamp
    def __init__(self, validation_id: _Optional[str] = ..., tool_name: _Optional[str] = ..., status: _Optional[_Union[ValidationStatus, str]] = ..., checks: _Optional[_Iterable[_Union[ValidationCheck, _Mapping]]] = ..., issues: _Optional[_Iterable[_Union[ValidationIssue, _Mapping]]] = ..., auto_fix_results: _Optional[_Union[AutoFixResult, _Mapping]] = ..., timestamp: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class MigrationResult(_message.Message):
    __slots__ = ("migration_id", "tool_name", "status", "new_tool_id", "duration", "validation_results", "warnings", "errors", "metadata")
    class MetadataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _struct_pb2.Value
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ...) -> None: ...
    MIGRATION_ID_FIELD_NUMBER: _ClassVar[int]
    TOOL_NAME_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    NEW_TOOL_ID_FIELD_NUMBER: _ClassVar[int]
    DURATION_FIELD_NUMBER: _ClassVar[int]
    VALIDATION_RESULTS_FIELD_NUMBER: _ClassVar[int]
    WARNINGS_FIELD_NUMBER: _ClassVar[int]
    ERRORS_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    migration_id: str
    tool_name: str
    status: MigrationState
    new_tool_id: str
    duration: _duration_pb2.Duration
    validation_results: _containers.RepeatedCompositeFieldContainer[ValidationResult]
    warnings: _containers.RepeatedScalarFieldContainer[str]
    errors: _containers.RepeatedScalarFieldContainer[str]
    metadata: _containers.MessageMap[str, _struct_pb2.Value]
    def __init__(self, migration_id: _Optional[str] = ..., tool_name: _Optional[str] = ..., status: _Optional[_Union[MigrationState, str]] = ..., new_tool_id: _Optional[str] = ..., duration: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., validation_results: _Optional[_Iterable[_Union[ValidationResult, _Mapping]]] = ..., warnings: _Optional[_Iterable[str]] = ..., errors: _Optional[_Iterable[str]] = ..., metadata: _Optional[_Mapping[str, _struct_pb2.Value]] = ...) -> None: ...

class RollbackConfig(_message.Message):
    __slots__ = ("migration_id", "reason")
    MIGRATION_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    migration_id: str
    reason: str
    def __init__(self, migration_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class RollbackResult(_message.Message):
    __slots__ = ("success", "tool_name", "migration_id", "action", "restored_tool_id", "restored_version", "messages", "duration")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    TOOL_NAME_FIELD_NUMBER: _ClassVar[int]
    MIGRATION_ID_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    RESTORED_TOOL_ID_FIELD_NUMBER: _ClassVar[int]
    RESTORED_VERSION_FIELD_NUMBER: _ClassVar[int]
    MESSAGES_FIELD_NUMBER: _ClassVar[int]
    DURATION_FIELD_NUMBER: _ClassVar[int]
    success: bool
    tool_name: str
    migration_id: str
    action: RollbackAction
    restored_tool_id: str
    restored_version: str
    messages: _containers.RepeatedScalarFieldContainer[str]
    duration: _duration_pb2.Duration
    def __init__(self, success: _Optional[bool] = ..., tool_name: _Optional[str] = ..., migration_id: _Optional[str] = ..., action: _Optional[_Union[RollbackAction, str]] = ..., restored_tool_id: _Optional[str] = ..., restored_version: _Optional[str] = ..., messages: _Optional[_Iterable[str]] = ..., duration: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class MigrationFilter(_message.Message):
    __slots__ = ("statuses", "tool_name", "security_level", "started_after", "started_before")
    STATUSES_FIELD_NUMBER: _ClassVar[int]
    TOOL_NAME_FIELD_NUMBER: _ClassVar[int]
    SECURITY_LEVEL_FIELD_NUMBER: _ClassVar[int]
    STARTED_AFTER_FIELD_NUMBER: _ClassVar[int]
    STARTED_BEFORE_FIELD_NUMBER: _ClassVar[int]
    statuses: _containers.RepeatedScalarFieldContainer[MigrationState]
    tool_name: str
    security_level: _common_pb2.SecurityLevel
    started_after: _timestamp_pb2.Timestamp
    started_before: _timestamp_pb2.Timestamp
    def __init__(self, statuses: _Optional[_Iterable[_Union[MigrationState, str]]] = ..., tool_name: _Optional[str] = ..., security_level: _Optional[_Union[_common_pb2.SecurityLevel, str]] = ..., started_after: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., started_before: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class MigrationInfo(_message.Message):
    __slots__ = ("migration_id", "tool_name", "tool_id", "status", "security_level", "started_at", "completed_at", "duration", "source", "has_backup", "warnings", "errors", "metadata")
    class MetadataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    MIGRATION_ID_FIELD_NUMBER: _ClassVar[int]
    TOOL_NAME_FIELD_NUMBER: _ClassVar[int]
    TOOL_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    SECURITY_LEVEL_FIELD_NUMBER: _ClassVar[int]
    STARTED_AT_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_AT_FIELD_NUMBER: _ClassVar[int]
    DURATION_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    HAS_BACKUP_FIELD_NUMBER: _ClassVar[int]
    WARNINGS_FIELD_NUMBER: _ClassVar[int]
    ERRORS_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    migration_id: str
    tool_name: str
    tool_id: str
    status: MigrationState
    security_level: _common_pb2.SecurityLevel
    started_at: _timestamp_pb2.Timestamp
    completed_at: _timestamp_pb2.Timestamp
    duration: _duration_pb2.Duration
    source: str
    has_backup: bool
    warnings: _containers.RepeatedScalarFieldContainer[str]
    errors: _containers.RepeatedScalarFieldContainer[str]
    metadata: _containers.ScalarMap[str, str]
    def __init__(self, migration_id: _Optional[str] = ..., tool_name: _Optional[str] = ..., tool_id: _Optional[str] = ..., status: _Optional[_Union[MigrationState, str]] = ..., security_level: _Optional[_Union[_common_pb2.SecurityLevel, str]] = ..., started_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., completed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., duration: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., source: _Optional[str] = ..., has_backup: _Optional[bool] = ..., warnings: _Optional[_Iterable[str]] = ..., errors: _Optional[_Iterable[str]] = ..., metadata: _Optional[_Mapping[str, str]] = ...) -> None: ...

class MigrationStatus(_message.Message):
    __slots__ = ("total_migrations", "pending", "in_progress", "completed", "failed", "rolled_back", "dry_runs", "registered_tools", "last_migration_at")
    TOTAL_MIGRATIONS_FIELD_NUMBER: _ClassVar[int]
    PENDING_FIELD_NUMBER: _ClassVar[int]
    IN_PROGRESS_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_FIELD_NUMBER: _ClassVar[int]
    FAILED_FIELD_NUMBER: _ClassVar[int]
    ROLLED_BACK_FIELD_NUMBER: _ClassVar[int]
    DRY_RUNS_FIELD_NUMBER: _ClassVar[int]
    REGISTERED_TOOLS_FIELD_NUMBER: _ClassVar[int]
    LAST_MIGRATION_AT_FIELD_NUMBER: _ClassVar[int]
    total_migrations: int
    pending: int
    in_progress: int
    completed: int
    failed: int
    rolled_back: int
    dry_runs: int
    registered_tools: int
    last_migration_at: _timestamp_pb2.Timestamp
    def __init__(self, total_migrations: _Optional[int] = ..., pending: _Optional[int] = ..., in_progress: _Optional[int] = ..., completed: _Optional[int] = ..., failed: _Optional[int] = ..., rolled_back: _Optional[int] = ..., dry_runs: _Optional[int] = ..., registered_tools: _Optional[int] = ..., last_migration_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
