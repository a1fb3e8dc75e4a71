"""The server allows 256 concurrent streams per HTTP/2 connection, and grpc queues a call past that
without an error. The client carried every call on one channel (one connection), so 256 open
subscriptions made each other call wait out its deadline. Calls now spread over channels of at most
CALLS_PER_CHANNEL calls each, each with its own connection."""

from __future__ import annotations

import asyncio

import scriptengine_client as se
from scriptengine.v1 import event_service_pb2, script_service_pb2

STREAMS = 260


def test_many_open_streams_leave_room_for_other_calls(server) -> None:
    with se.Client(server.grpc) as c:
        streams = [c.events.Subscribe(event_service_pb2.SubscribeRequest(), timeout=60) for _ in range(STREAMS)]
        try:
            for s in streams:
                assert next(s).WhichOneof("message") == "started"
            # A call queued behind the streams would wait out its deadline (theirs is much later).
            c.scripts.GetConfig(script_service_pb2.GetConfigRequest(), timeout=10)
            assert c.run("export default () => 7", timeout=10) == 7
        finally:
            for s in streams:
                s.cancel()


def test_async_many_open_streams_leave_room_for_other_calls(server) -> None:
    async def main() -> None:
        async with se.AsyncClient(server.grpc) as c:
            streams = [c.events.Subscribe(event_service_pb2.SubscribeRequest(), timeout=60).__aiter__() for _ in range(STREAMS)]
            try:
                firsts = await asyncio.gather(*(s.__anext__() for s in streams))
                assert all(m.WhichOneof("message") == "started" for m in firsts)
                await c.scripts.GetConfig(script_service_pb2.GetConfigRequest(), timeout=10)
                assert await c.run("export default () => 7", timeout=10) == 7
            finally:
                for s in streams:
                    await s.aclose()

    asyncio.run(main())
