"""The future of a unary call the blocking client started with ``.future()``."""

from __future__ import annotations

from typing import Any, Callable, Generic, Optional, TypeVar

import grpc

from ._common import cancelled_error, closed_if
from ._errors import from_rpc_error

# Covariant: the generated protocols' UnaryMethod returns CallFuture[response] from a covariant slot.
R_co = TypeVar("R_co", covariant=True)


class CallFuture(grpc.Future, Generic[R_co]):
    """A unary call started with ``.future()``: grpc's future (and its grpc.Call methods, such as
    ``trailing_metadata()``), with the SDK's typed errors from ``result()`` and ``exception()``.
    ``CallFuture[ExecuteScriptResponse]`` is what ``client.scripts.ExecuteScript.future()`` returns."""

    def __init__(self, call: Any, client_closed: Callable[[], bool] = lambda: False) -> None:
        self._call, self._client_closed = call, client_closed

    def cancel(self) -> bool:
        return bool(self._call.cancel())

    def cancelled(self) -> bool:
        return bool(self._call.cancelled())

    def running(self) -> bool:
        return bool(self._call.running())

    def done(self) -> bool:
        return bool(self._call.done())

    def result(self, timeout: Optional[float] = None) -> R_co:
        """The response; raises the typed error of a failed or cancelled call (grpc.FutureTimeoutError
        when ``timeout`` passes first: the call goes on)."""
        try:
            response: R_co = self._call.result(timeout)
            return response
        except grpc.FutureCancelledError:
            raise cancelled_error() from None
        except grpc.RpcError as rpc_error:
            raise closed_if(self._client_closed(), from_rpc_error(rpc_error)) from None

    def exception(self, timeout: Optional[float] = None) -> Optional[BaseException]:
        try:
            err = self._call.exception(timeout)
        except grpc.FutureCancelledError:
            return cancelled_error()
        return None if err is None else closed_if(self._client_closed(), from_rpc_error(err))

    def traceback(self, timeout: Optional[float] = None) -> Any:
        return self._call.traceback(timeout)

    def add_done_callback(self, fn: Callable[[CallFuture[R_co]], None]) -> None:
        self._call.add_done_callback(lambda _: fn(self))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._call, name)
