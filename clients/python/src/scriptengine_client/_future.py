"""The future of a unary call the blocking client started with ``.future()``."""

from __future__ import annotations

from typing import Any, Callable, Generic, Optional, TypeVar

import grpc

from ._errors import CancelledError, from_rpc_error

# Covariant: the generated protocols' UnaryMethod returns CallFuture[response] from a covariant slot.
R_co = TypeVar("R_co", covariant=True)


class CallFuture(grpc.Future, Generic[R_co]):
    """A unary call started with ``.future()``: grpc's future (and its grpc.Call methods, such as
    ``trailing_metadata()``), with the SDK's typed errors from ``result()`` and ``exception()``.
    ``CallFuture[ExecuteScriptResponse]`` is what ``client.scripts.ExecuteScript.future()`` returns."""

    def __init__(self, call: Any) -> None:
        self._call = call

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
            raise _cancelled_error() from None
        except grpc.RpcError as rpc_error:
            raise from_rpc_error(rpc_error) from None

    def exception(self, timeout: Optional[float] = None) -> Optional[BaseException]:
        try:
            err = self._call.exception(timeout)
        except grpc.FutureCancelledError:
            return _cancelled_error()
        return None if err is None else from_rpc_error(err)

    def traceback(self, timeout: Optional[float] = None) -> Any:
        return self._call.traceback(timeout)

    def add_done_callback(self, fn: Callable[[CallFuture[R_co]], None]) -> None:
        self._call.add_done_callback(lambda _: fn(self))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._call, name)


def _cancelled_error() -> CancelledError:
    return CancelledError(grpc.StatusCode.CANCELLED, "the call was cancelled")
