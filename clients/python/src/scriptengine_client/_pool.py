"""Channels that each carry a bounded number of calls at once.

A server limits the streams open on one HTTP/2 connection (ScriptEngine: 256), and grpc queues a call
past that, without an error, until another ends: long-lived subscribe()/watch() streams would hold
every slot and each other call would wait out its deadline. A call goes to the first channel with
room; when none has any, another is opened (with its own connection: grpc otherwise shares one
between channels alike). Extra channels stay for later peaks; grpc closes their idle connections.
"""

from __future__ import annotations

import threading
from typing import Any, Callable, Generic, TypeVar

# The least SETTINGS_MAX_CONCURRENT_STREAMS RFC 9113 asks a server to allow, as the TS and Go SDKs use.
CALLS_PER_CHANNEL = 100

# Each channel gets a connection of its own.
OWN_CONNECTION = ("grpc.use_local_subchannel_pool", 1)

Ch = TypeVar("Ch")


class ChannelPool(Generic[Ch]):
    """Stands in for a channel (grpc.Channel or grpc.aio.Channel) where stubs take one: each call of
    a multicallable it hands out goes to a channel with room, and gives its slot back when it ends."""

    def __init__(self, open_channel: Callable[[], Ch]) -> None:
        self._open = open_channel
        self._lock = threading.Lock()
        self._closed = False
        self._entries: list[list[Any]] = [[open_channel(), 0]]

    def close_all(self) -> list[Ch]:
        """Marks the pool closed (later calls go to the first, closed channel and fail as grpc's
        would) and returns every channel, for the caller to close."""
        with self._lock:
            self._closed = True
            return [e[0] for e in self._entries]

    def acquire(self) -> tuple[Ch, Callable[[], None]]:
        with self._lock:
            entry = next((e for e in self._entries if e[1] < CALLS_PER_CHANNEL), None)
            if entry is None:
                entry = self._entries[0] if self._closed else [self._open(), 0]
                if entry is not self._entries[0]:
                    self._entries.append(entry)
            entry[1] += 1
        released = False

        def release() -> None:
            nonlocal released
            with self._lock:
                if not released:
                    entry[1] -= 1
                released = True

        return entry[0], release

    def unary_unary(self, method: str, *args: Any, **kwargs: Any) -> "_MultiCallable":
        return _MultiCallable(self, lambda ch: ch.unary_unary(method, *args, **kwargs))

    def unary_stream(self, method: str, *args: Any, **kwargs: Any) -> "_MultiCallable":
        return _MultiCallable(self, lambda ch: ch.unary_stream(method, *args, **kwargs))


class _MultiCallable:
    """One method on every channel of a pool. A blocking call holds its slot until it returns; a call
    object (a stream, a future, an asyncio call) until it is done (``add_done_callback``)."""

    def __init__(self, pool: ChannelPool[Any], make: Callable[[Any], Any]) -> None:
        self._pool, self._make = pool, make
        self._by_channel: dict[int, Any] = {}

    def _on(self, channel: Any) -> Any:
        callable_ = self._by_channel.get(id(channel))
        if callable_ is None:
            callable_ = self._by_channel[id(channel)] = self._make(channel)
        return callable_

    def _held(self, start: Callable[[Any], Any]) -> Any:
        channel, release = self._pool.acquire()
        try:
            call = start(self._on(channel))
        except BaseException:
            release()
            raise
        if hasattr(call, "add_done_callback"):
            call.add_done_callback(lambda _: release())
        else:
            release()
        return call

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._held(lambda m: m(*args, **kwargs))

    def future(self, *args: Any, **kwargs: Any) -> Any:
        return self._held(lambda m: m.future(*args, **kwargs))

    def with_call(self, *args: Any, **kwargs: Any) -> Any:
        channel, release = self._pool.acquire()
        try:
            return self._on(channel).with_call(*args, **kwargs)
        finally:
            release()
