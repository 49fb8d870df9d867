"""The gateway's HTTP client for the internal services (aimed_gateway.upstream).

A real socket server that drops a kept-alive connection once a second request arrives on
it, answering nothing, as a server does whose idle connection closes just as the gateway
reuses it: a read is retried once on a fresh connection; a write is not (it may have
been applied), and says the service is unreachable.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator

import pytest

from aimed_contracts.errors import Unavailable
from aimed_gateway.scheduler_client import SchedulerClient

ANSWER = b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{"ok":true}'


def _read_request(connection: socket.socket) -> bool:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = connection.recv(65536)
        if not chunk:
            return False
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        (
            int(line.split(b":")[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length")
        ),
        0,
    )
    while len(body) < length:
        body += connection.recv(65536)
    return True


class DroppingServer:
    """Answers the first request of each connection, then closes it when the next one arrives."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.connections = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._handle, args=(connection,), daemon=True).start()

    def _handle(self, connection: socket.socket) -> None:
        with connection:
            if _read_request(connection):
                connection.sendall(ANSWER)
                _read_request(connection)

    def close(self) -> None:
        self.listener.close()


@pytest.fixture
def server() -> Iterator[DroppingServer]:
    dropping = DroppingServer()
    yield dropping
    dropping.close()


def test_a_read_on_a_dropped_connection_is_retried_once(server: DroppingServer) -> None:
    async def two_reads() -> list[object]:
        scheduler = SchedulerClient(f"http://127.0.0.1:{server.port}", 5.0)
        try:
            return [await scheduler.get_json("/v1/learners/1"), await scheduler.get_json("/v1/learners/1")]
        finally:
            await scheduler.aclose()

    assert asyncio.run(two_reads()) == [{"ok": True}, {"ok": True}]
    assert server.connections == 2


def test_a_write_on_a_dropped_connection_is_not_repeated(server: DroppingServer) -> None:
    async def read_then_write() -> None:
        scheduler = SchedulerClient(f"http://127.0.0.1:{server.port}", 5.0)
        try:
            await scheduler.get_json("/v1/learners/1")
            await scheduler.post_json("/v1/learners", {"name": "ana"})
        finally:
            await scheduler.aclose()

    with pytest.raises(Unavailable) as refused:
        asyncio.run(read_then_write())
    assert refused.value.error_type == "scheduler_unavailable"
    assert server.connections == 1
