"""watch() watches again after the server goes away; the new stream's EXISTING snapshot brings the
caller up to date (sync and async)."""

from __future__ import annotations

import asyncio
import threading
import time

import scriptengine_client as se
from conftest import start_server
from scriptengine.v1 import registry_service_pb2
from test_client import free_port


def describe(change: registry_service_pb2.WatchServicesResponse) -> str:
    kind = registry_service_pb2.ChangeKind.Name(change.kind).removeprefix("CHANGE_KIND_")
    return f"{kind} {change.registration.service.service_id}"


def registration(service_id: str, endpoint: str) -> registry_service_pb2.RegisterServiceRequest:
    return registry_service_pb2.RegisterServiceRequest(
        service=registry_service_pb2.ServiceInfo(service_id=service_id, service_type="Worker", endpoint=endpoint))


def register_w2(address: str) -> None:
    """On a fresh client, retrying while the new server's port settles."""
    with se.Client(address) as direct:
        for attempt in range(1, 6):
            try:
                direct.registry.register_service(registration("w-2", "127.0.0.1:9002"))
                return
            except se.UnavailableError:
                if attempt >= 5:
                    raise
                time.sleep(0.2)


def server_args(address: str) -> list[str]:
    return ["--grpc-address", address, "--set", "discovery.enabled=false"]


def test_watch_resumes_across_server_restart() -> None:
    address = f"127.0.0.1:{free_port()}"
    servers = [start_server(None, *server_args(address))]
    restarts: list = []
    stop = threading.Event()
    try:
        with se.Client(address) as client:
            # However long the next server takes to start (10 reconnects last about 16 s at most).
            changes = client.watch("Worker", on_restart=lambda: restarts.append(1), stop=stop, max_reconnects=1000)
            first: list = []
            reader = threading.Thread(target=lambda: first.append(describe(next(changes))), daemon=True)  # opens the watch
            reader.start()
            client.registry.register_service(registration("w-1", "127.0.0.1:9001"))
            reader.join(30)
            assert first and first[0] in ("EXISTING w-1", "REGISTERED w-1")
            pending: list = []
            reader = threading.Thread(target=lambda: pending.append(describe(next(changes))), daemon=True)  # waiting when the server stops
            reader.start()
            servers[0].stop()
            servers.append(start_server(None, *server_args(address)))
            register_w2(address)
            reader.join(30)
            # The new server has its own data directory: its snapshot holds only w-2.
            assert pending and pending[0] in ("EXISTING w-2", "REGISTERED w-2")
            assert len(restarts) >= 2
            stop.set()
            changes.close()
    finally:
        for s in servers:
            s.stop()


def test_async_watch_resumes_across_server_restart() -> None:
    address = f"127.0.0.1:{free_port()}"
    servers = [start_server(None, *server_args(address))]
    restarts: list = []

    async def main() -> None:
        async with se.AsyncClient(address) as client:
            changes = client.watch("Worker", on_restart=lambda: restarts.append(1), max_reconnects=1000)
            try:
                first = asyncio.ensure_future(anext(changes))  # opens the watch
                await client.registry.register_service(registration("w-1", "127.0.0.1:9001"))
                assert describe(await first) in ("EXISTING w-1", "REGISTERED w-1")
                pending = asyncio.ensure_future(anext(changes))  # waiting when the server stops
                await asyncio.sleep(0)
                await asyncio.to_thread(servers[0].stop)
                servers.append(await asyncio.to_thread(start_server, None, *server_args(address)))
                await asyncio.to_thread(register_w2, address)
                # The new server has its own data directory: its snapshot holds only w-2.
                assert describe(await pending) in ("EXISTING w-2", "REGISTERED w-2")
                assert len(restarts) >= 2
            finally:
                await changes.aclose()

    try:
        asyncio.run(asyncio.wait_for(main(), 60))
    finally:
        for s in servers:
            s.stop()


def test_watch_resumes_after_cancelled_not_of_its_own_doing() -> None:
    """A watch stream that ends CANCELLED though neither ``stop`` nor close() cancelled it was reset:
    the iteration watches again and yields the new stream's snapshot."""
    from test_subscribe import ResettingServer

    fake = ResettingServer()
    try:
        with se.Client(fake.address) as client:
            changes = client.watch()
            assert [next(changes).registration.service.service_id for _ in range(2)] == ["w-1", "w-2"]
            changes.close()
    finally:
        fake.stop()


def test_async_watch_resumes_after_cancelled_not_of_its_own_doing() -> None:
    from test_subscribe import ResettingServer

    fake = ResettingServer()

    async def main() -> None:
        async with se.AsyncClient(fake.address) as client:
            changes = client.watch()
            assert [(await anext(changes)).registration.service.service_id for _ in range(2)] == ["w-1", "w-2"]
            await changes.aclose()

    try:
        asyncio.run(asyncio.wait_for(main(), 30))
    finally:
        fake.stop()
