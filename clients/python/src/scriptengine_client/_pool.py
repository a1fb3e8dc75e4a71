"""Channels that each carry a bounded number of calls at once.

A server limits the streams open on one HTTP/2 connection (ScriptEngine: 256), and grpc queues a call
past that, without an error, until another ends: long-lived subscribe()/watch() streams would hold
every slot and each other call would wait out its deadline. A call goes to the first channel with
room; when none has any, another is opened (with its own connection: grpc otherwise shares one
between channels alike). Extra channels stay for later peaks; grpc closes their idle connections.
"""

from __future__ import annotations

import threading
from typing import Any, Callable, Generic, Optional, TypeVar

# The least SETTINGS_MAX_CONCURRENT_STREAMS RFC 9113 asks a server to allow, as the TS and Go SDKs use.
CALLS_PER_CHANNEL = 100

# Each channel gets a connection of its own.
OWN_CONNECTION = ("grpc.use_local_subchannel_pool", 1)

Ch = TypeVar("Ch")


class ChannelPool(Generic[Ch]):
    """Stands in for a channel (grpc.Channel or grpc.aio.Channel) where stubs take one: each call of
    a multicallable it hands out goes to a channel with room, and gives its slot back when it ends.

    With ``owner`` (the asyncio client: the running event loop), channels are opened at the first
    call, in that owner, and again when a call comes from another one: a grpc.aio channel works only
    in the loop it was opened in (a client built before ``asyncio.run``, or used in two). The
    previous owner's channels are left to the garbage collector: their loop is gone."""

    def __init__(self, open_channel: Callable[[], Ch], owner: Optional[Callable[[], object]] = None) -> None:
        self._open = open_channel
        self._owner = owner
        self._lock = threading.Lock()
        self._closed = False
        self._opened_for: object = None
        #: Changes when the channels are replaced (a new owner): multicallables drop those they made.
        self.generation = 0
        self._entries: list[list[Any]] = [] if owner else [[open_channel(), 0]]

    def close_all(self) -> list[Ch]:
        """Marks the pool closed (later calls go to the first, closed channel and fail as grpc's
        would) and returns every channel, for the caller to close: none of another owner than the
        current one (channels of a loop that is gone cannot be closed in this one)."""
        with self._lock:
            self._closed = True
            if self._owner is not None and self._owner() is not self._opened_for:
                self._entries = []
            return [e[0] for e in self._entries]

    def acquire(self) -> tuple[Ch, Callable[[], None]]:
        with self._lock:
            if self._owner is not None and not self._closed and (owner := self._owner()) is not self._opened_for:
                self._entries, self._opened_for = [], owner
                self.generation += 1
            entry = next((e for e in self._entries if e[1] < CALLS_PER_CHANNEL), None)
            if entry is None:
                if self._closed and self._entries:
                    entry = self._entries[0]
                else:  # (a client closed before its first call refuses calls before they get here)
                    entry = [self._open(), 0]
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
        self._generation = pool.generation

    def _on(self, channel: Any) -> Any:
        if self._generation != self._pool.generation:  # channels replaced: an id may be reused
            self._by_channel, self._generation = {}, self._pool.generation
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
