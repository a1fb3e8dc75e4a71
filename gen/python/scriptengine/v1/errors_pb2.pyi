from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Optional as _Optional

DESCRIPTOR: _descriptor.FileDescriptor

class ErrorReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ERROR_REASON_UNSPECIFIED: _ClassVar[ErrorReason]
    ERROR_REASON_EXECUTION_ERROR: _ClassVar[ErrorReason]
    ERROR_REASON_COMPILATION_ERROR: _ClassVar[ErrorReason]
    ERROR_REASON_CONFIGURATION_ERROR: _ClassVar[ErrorReason]
    ERROR_REASON_VALIDATION_ERROR: _ClassVar[ErrorReason]
    ERROR_REASON_SECURITY_VIOLATION: _ClassVar[ErrorReason]
    ERROR_REASON_RESOURCE_EXCEEDED: _ClassVar[ErrorReason]
    ERROR_REASON_TIMEOUT: _ClassVar[ErrorReason]
    ERROR_REASON_SERVICE_NOT_FOUND: _ClassVar[ErrorReason]
    ERROR_REASON_SCRIPT_NOT_FOUND: _ClassVar[ErrorReason]
    ERROR_REASON_MIGRATION_ERROR: _ClassVar[ErrorReason]
    ERROR_REASON_INTERNAL_ERROR: _ClassVar[ErrorReason]
    ERROR_REASON_UNAUTHENTICATED: _ClassVar[ErrorReason]
    ERROR_REASON_ENGINE_STOPPED: _ClassVar[ErrorReason]
    ERROR_REASON_QUEUE_FULL: _ClassVar[ErrorReason]
    ERROR_REASON_WORKER_CRASHED: _ClassVar[ErrorReason]
    ERROR_REASON_REQUEST_TOO_LARGE: _ClassVar[ErrorReason]
    ERROR_REASON_NOT_IMPLEMENTED: _ClassVar[ErrorReason]
    ERROR_REASON_TOOL_NOT_FOUND: _ClassVar[ErrorReason]
    ERROR_REASON_MIGRATION_NOT_FOUND: _ClassVar[ErrorReason]
    ERROR_REASON_TOOL_EXISTS: _ClassVar[ErrorReason]
    ERROR_REASON_MIGRATION_IN_PROGRESS: _ClassVar[ErrorReason]
    ERROR_REASON_EVENTS_LOST: _ClassVar[ErrorReason]
    ERROR_REASON_SUBSCRIPTION_NOT_FOUND: _ClassVar[ErrorReason]
    ERROR_REASON_CANCELLED: _ClassVar[ErrorReason]
    ERROR_REASON_LEASE_NOT_FOUND: _ClassVar[ErrorReason]
ERROR_REASON_UNSPECIFIED: ErrorReason
ERROR_REASON_EXECUTION_ERROR: ErrorReason
ERROR_REASON_COMPILATION_ERROR: ErrorReason
ERROR_REASON_CONFIGURATION_ERROR: ErrorReason
ERROR_REASON_VALIDATION_ERROR: ErrorReason
ERROR_REASON_SECURITY_VIOLATION: ErrorReason
ERROR_REASON_RESOURCE_EXCEEDED: ErrorReason
ERROR_REASON_TIMEOUT: ErrorReason
ERROR_REASON_SERVICE_NOT_FOUND: ErrorReason
ERROR_REASON_SCRIPT_NOT_FOUND: ErrorReason
ERROR_REASON_MIGRATION_ERROR: ErrorReason
ERROR_REASON_INTERNAL_ERROR: ErrorReason
ERROR_REASON_UNAUTHENTICATED: ErrorReason
ERROR_REASON_ENGINE_STOPPED: ErrorReason
ERROR_REASON_QUEUE_FULL: ErrorReason
ERROR_REASON_WORKER_CRASHED: ErrorReason
ERROR_REASON_REQUEST_TOO_LARGE: ErrorReason
ERROR_REASON_NOT_IMPLEMENTED: ErrorReason
ERROR_REASON_TOOL_NOT_FOUND: ErrorReason
ERROR_REASON_MIGRATION_NOT_FOUND: ErrorReason
ERROR_REASON_TOOL_EXISTS: ErrorReason
ERROR_REASON_MIGRATION_IN_PROGRESS: ErrorReason
ERROR_REASON_EVENTS_LOST: ErrorReason
ERROR_REASON_SUBSCRIPTION_NOT_FOUND: ErrorReason
ERROR_REASON_CANCELLED: ErrorReason
ERROR_REASON_LEASE_NOT_FOUND: ErrorReason

class ExecutionOutput(_message.Message):
    __slots__ = ("stdout_tail", "stderr_tail", "stdout_bytes", "stderr_bytes", "stdout_cut", "stderr_cut")
    STDOUT_TAIL_FIELD_NUMBER: _ClassVar[int]
    STDERR_TAIL_FIELD_NUMBER: _ClassVar[int]
    STDOUT_BYTES_FIELD_NUMBER: _ClassVar[int]
    STDERR_BYTES_FIELD_NUMBER: _ClassVar[int]
    STDOUT_CUT_FIELD_NUMBER: _ClassVar[int]
    STDERR_CUT_FIELD_NUMBER: _ClassVar[int]
    stdout_tail: str
    stderr_tail: str
    stdout_bytes: int
    stderr_bytes: int
    stdout_cut: bool
    stderr_cut: bool
    def __init__(self, stdout_tail: _Optional[str] = ..., stderr_tail: _Optional[str] = ..., stdout_bytes: _Optional[int] = ..., stderr_bytes: _Optional[int] = ..., stdout_cut: _Optional[bool] = ..., stderr_cut: _Optional[bool] = ...) -> None: ...
