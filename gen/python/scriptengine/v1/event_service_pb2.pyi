from scriptengine.v1 import events_pb2 as _events_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class LossReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    LOSS_REASON_UNSPECIFIED: _ClassVar[LossReason]
    LOSS_REASON_LAGGED: _ClassVar[LossReason]
    LOSS_REASON_RETENTION: _ClassVar[LossReason]
    LOSS_REASON_RESTART: _ClassVar[LossReason]
LOSS_REASON_UNSPECIFIED: LossReason
LOSS_REASON_LAGGED: LossReason
LOSS_REASON_RETENTION: LossReason
LOSS_REASON_RESTART: LossReason

class EmitRequest(_message.Message):
    __slots__ = ("event",)
    EVENT_FIELD_NUMBER: _ClassVar[int]
    event: _events_pb2.ServiceEvent
    def __init__(self, event: _Optional[_Union[_events_pb2.ServiceEvent, _Mapping]] = ...) -> None: ...

class EmitResponse(_message.Message):
    __slots__ = ("sequence", "event_id")
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    sequence: int
    event_id: str
    def __init__(self, sequence: _Optional[int] = ..., event_id: _Optional[str] = ...) -> None: ...

class SubscribeRequest(_message.Message):
    __slots__ = ("event_types", "after_sequence")
    EVENT_TYPES_FIELD_NUMBER: _ClassVar[int]
    AFTER_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    event_types: _containers.RepeatedScalarFieldContainer[str]
    after_sequence: int
    def __init__(self, event_types: _Optional[_Iterable[str]] = ..., after_sequence: _Optional[int] = ...) -> None: ...

class SubscribeResponse(_message.Message):
    __slots__ = ("started", "event", "lost")
    STARTED_FIELD_NUMBER: _ClassVar[int]
    EVENT_FIELD_NUMBER: _ClassVar[int]
    LOST_FIELD_NUMBER: _ClassVar[int]
    started: SubscriptionStarted
    event: _events_pb2.ServiceEvent
    lost: EventsLost
    def __init__(self, started: _Optional[_Union[SubscriptionStarted, _Mapping]] = ..., event: _Optional[_Union[_events_pb2.ServiceEvent, _Mapping]] = ..., lost: _Optional[_Union[EventsLost, _Mapping]] = ...) -> None: ...

class SubscriptionStarted(_message.Message):
    __slots__ = ("subscription_id", "oldest_sequence", "latest_sequence")
    SUBSCRIPTION_ID_FIELD_NUMBER: _ClassVar[int]
    OLDEST_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    LATEST_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    subscription_id: str
    oldest_sequence: int
    latest_sequence: int
    def __init__(self, subscription_id: _Optional[str] = ..., oldest_sequence: _Optional[int] = ..., latest_sequence: _Optional[int] = ...) -> None: ...

class EventsLost(_message.Message):
    __slots__ = ("reason", "missed_count", "first_missed_sequence", "last_missed_sequence")
    REASON_FIELD_NUMBER: _ClassVar[int]
    MISSED_COUNT_FIELD_NUMBER: _ClassVar[int]
    FIRST_MISSED_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    LAST_MISSED_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    reason: LossReason
    missed_count: int
    first_missed_sequence: int
    last_missed_sequence: int
    def __init__(self, reason: _Optional[_Union[LossReason, str]] = ..., missed_count: _Optional[int] = ..., first_missed_sequence: _Optional[int] = ..., last_missed_sequence: _Optional[int] = ...) -> None: ...

class UnsubscribeRequest(_message.Message):
    __slots__ = ("subscription_id",)
    SUBSCRIPTION_ID_FIELD_NUMBER: _ClassVar[int]
    subscription_id: str
    def __init__(self, subscription_id: _Optional[str] = ...) -> None: ...

class UnsubscribeResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...
