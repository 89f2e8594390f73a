"""FaultyProxy in front of real servers on loopback: every mode, as a client sees it."""

from __future__ import annotations

import random
import socket
import socketserver
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from tests.faults.proxy import FaultyProxy

MB = 1_000_000


def known_body(size: int) -> bytes:
    """What the backend's ``GET /bytes/<size>`` returns."""
    return random.Random(size).randbytes(size)


class _Handler(BaseHTTPRequestHandler):
    """``GET /name``, ``GET /bytes/<n>``, ``POST /echo``; keep-alive, no Date or Server header."""

    protocol_version = "HTTP/1.1"
    timeout = 10
    server: _Backend

    def do_GET(self) -> None:
        if self.path == "/name":
            self._reply(self.server.name.encode())
        elif self.path.startswith("/bytes/"):
            self._reply(known_body(int(self.path.removeprefix("/bytes/"))))
        else:
            self._reply(b"not found", status=404)

    def do_POST(self) -> None:
        self._reply(self.rfile.read(int(self.headers["Content-Length"])))

    def _reply(self, body: bytes, status: int = 200) -> None:
        self.send_response_only(status)  # no Date header: the same request gets the same bytes
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


class _Backend(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, name: str) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.name = name

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # clients that the proxy cuts or resets are expected here


@dataclass
class Backend:
    name: str
    port: int


@pytest.fixture
def start_backend() -> Iterator[Callable[[str], Backend]]:
    servers: list[_Backend] = []

    def start(name: str) -> Backend:
        server = _Backend(name)
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        servers.append(server)
        return Backend(name, int(server.server_address[1]))

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def backend(start_backend: Callable[[str], Backend]) -> Backend:
    return start_backend("a")


@pytest.fixture
def proxy(backend: Backend) -> Iterator[FaultyProxy]:
    with FaultyProxy(("127.0.0.1", backend.port)) as running:
        yield running


def raw_exchange(port: int, request: bytes) -> bytes:
    """Send ``request`` on a fresh connection and read until the other side closes."""
    received = bytearray()
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(request)
        while chunk := sock.recv(65536):
            received += chunk
    return bytes(received)


def wait_until(condition: Callable[[], bool], timeout_s: float = 2.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


GET_CLOSE = b"GET /bytes/%d HTTP/1.1\r\nHost: backend\r\nConnection: close\r\n\r\n"


# -- pass ----------------------------------------------------------------------------------------


def test_pass_forwards_bodies_byte_for_byte_over_one_keep_alive_connection(
    proxy: FaultyProxy,
) -> None:
    upload = random.Random(7).randbytes(MB)
    with httpx.Client(base_url=proxy.url, timeout=5) as client:
        assert client.post("/echo", content=upload).content == upload
        assert client.get(f"/bytes/{MB}").content == known_body(MB)
        for _ in range(3):
            assert client.get("/name").text == "a"

    stats = proxy.stats
    assert stats.connections_accepted == 1
    assert stats.bytes_to_target > MB
    assert stats.bytes_to_client > 2 * MB
    assert stats.bytes_dropped == stats.bytes_corrupted == stats.upstream_failures == 0


def test_pass_is_exact_at_the_tcp_level_half_close_included() -> None:
    class Echo(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            received = bytearray()
            while chunk := self.request.recv(65536):
                received += chunk
            self.request.sendall(received)

    payload = random.Random(3).randbytes(300_000)
    with (
        socketserver.ThreadingTCPServer(("127.0.0.1", 0), Echo) as echo,
        FaultyProxy(("127.0.0.1", int(echo.server_address[1]))) as proxy,
    ):
        threading.Thread(target=echo.serve_forever, args=(0.05,), daemon=True).start()
        with socket.create_connection(("127.0.0.1", proxy.port), timeout=5) as sock:
            sock.sendall(payload)
            sock.shutdown(socket.SHUT_WR)
            received = bytearray()
            while chunk := sock.recv(65536):
                received += chunk
        echo.shutdown()

        assert received == payload
        assert proxy.stats.bytes_to_target == proxy.stats.bytes_to_client == len(payload)


def test_fifty_concurrent_keep_alive_clients(proxy: FaultyProxy) -> None:
    def session(_: int) -> bool:
        # verify=False: plain HTTP, and it spares 50 threads loading the CA bundle at once
        with httpx.Client(base_url=proxy.url, timeout=10, verify=False) as client:
            return all(client.get("/bytes/20000").content == known_body(20000) for _ in range(3))

    with ThreadPoolExecutor(max_workers=50) as pool:
        assert all(pool.map(session, range(50)))
    assert proxy.stats.connections_accepted == 50
    wait_until(lambda: proxy.stats.connections_active == 0)


# -- drop ----------------------------------------------------------------------------------------


def test_drop_accepts_then_never_answers(proxy: FaultyProxy) -> None:
    proxy.mode = "drop"

    with pytest.raises(httpx.ReadTimeout):
        httpx.get(f"{proxy.url}/name", timeout=0.3)
    assert proxy.stats.connections_accepted == 1
    assert proxy.stats.bytes_to_target == proxy.stats.bytes_to_client == 0
    assert proxy.stats.bytes_dropped > 0


def test_drop_silences_an_open_connection_and_heal_brings_new_ones_back(
    proxy: FaultyProxy,
) -> None:
    with httpx.Client(base_url=proxy.url, timeout=0.3) as client:
        assert client.get("/name").text == "a"
        proxy.mode = "drop"
        with pytest.raises(httpx.ReadTimeout):
            client.get("/name")
        proxy.heal()
        assert client.get("/name").text == "a"  # on a new connection: the old one is a black hole
    assert proxy.stats.connections_accepted == 2


# -- refuse, partition, heal ---------------------------------------------------------------------


def test_refuse_fails_to_connect_quickly_and_pass_listens_again(proxy: FaultyProxy) -> None:
    proxy.mode = "refuse"

    started = time.monotonic()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{proxy.url}/name", timeout=5)
    assert time.monotonic() - started < 2
    assert proxy.stats.connections_accepted == 0

    proxy.mode = "pass"
    assert httpx.get(f"{proxy.url}/name", timeout=5).text == "a"


def test_refuse_keeps_open_connections_forwarding(proxy: FaultyProxy) -> None:
    with httpx.Client(base_url=proxy.url, timeout=5) as client:
        assert client.get("/name").text == "a"
        proxy.mode = "refuse"
        assert client.get("/name").text == "a"
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"{proxy.url}/name", timeout=5)


def test_partition_fails_requests_then_heal_lets_them_through(proxy: FaultyProxy) -> None:
    with httpx.Client(base_url=proxy.url, timeout=5) as client:
        assert client.get("/name").text == "a"
        proxy.partition()

        started = time.monotonic()
        with pytest.raises((httpx.ConnectError, httpx.ReadError, httpx.RemoteProtocolError)):
            client.get("/name")
        with pytest.raises(httpx.ConnectError):
            client.get("/name")
        assert time.monotonic() - started < 2
        wait_until(lambda: proxy.stats.connections_active == 0)

        proxy.heal()
        assert client.get("/name").text == "a"


# -- delay ---------------------------------------------------------------------------------------


def test_delay_adds_latency_each_way(proxy: FaultyProxy) -> None:
    proxy.delay_s = 0.15
    proxy.mode = "delay"

    with httpx.Client(base_url=proxy.url, timeout=5) as client:
        started = time.monotonic()
        assert client.get("/name").text == "a"
        assert time.monotonic() - started >= 2 * 0.15 - 0.01


def test_delay_holds_each_connection_not_the_whole_proxy(proxy: FaultyProxy) -> None:
    proxy.delay_s = 0.1
    proxy.mode = "delay"

    def one_request(_: int) -> str:
        return httpx.get(f"{proxy.url}/name", timeout=10, verify=False).text

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=50) as pool:
        assert set(pool.map(one_request, range(50))) == {"a"}
    assert time.monotonic() - started < 5  # one at a time would take 50 × 0.2 s


# -- cut -----------------------------------------------------------------------------------------


def test_cut_leaves_the_client_with_an_incomplete_response(proxy: FaultyProxy) -> None:
    proxy.cut_after_bytes = 1000
    proxy.mode = "cut"

    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        httpx.get(f"{proxy.url}/bytes/100000", timeout=5)
    assert proxy.stats.bytes_to_client == 1000


def test_cut_passes_exactly_the_bytes_before_the_cut(proxy: FaultyProxy) -> None:
    whole = raw_exchange(proxy.port, GET_CLOSE % 100000)
    proxy.cut_after_bytes = 4321
    proxy.mode = "cut"

    assert raw_exchange(proxy.port, GET_CLOSE % 100000) == whole[:4321]


def test_cut_counts_from_when_it_was_set_on_an_open_connection(proxy: FaultyProxy) -> None:
    with httpx.Client(base_url=proxy.url, timeout=5) as client:
        assert client.get("/bytes/5000").content == known_body(5000)
        proxy.cut_after_bytes = 3000
        proxy.mode = "cut"
        assert client.get("/bytes/100").content == known_body(100)  # well under 3000 bytes
        with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
            client.get("/bytes/5000")


# -- corrupt -------------------------------------------------------------------------------------


def test_corrupt_flips_bits_without_changing_lengths(proxy: FaultyProxy) -> None:
    clean = raw_exchange(proxy.port, GET_CLOSE % 200000)
    assert clean.endswith(known_body(200000))
    proxy.corrupt_rate = 0.01
    proxy.mode = "corrupt"

    dirty = raw_exchange(proxy.port, GET_CLOSE % 200000)

    assert len(dirty) == len(clean)
    changed = [i for i, (a, b) in enumerate(zip(clean, dirty, strict=True)) if a != b]
    assert 1000 < len(changed) < 3000  # about 1 % of the bytes
    assert all((clean[i] ^ dirty[i]).bit_count() == 1 for i in changed)
    assert proxy.stats.bytes_corrupted == len(changed)


def test_corrupt_is_repeatable_for_a_seed(backend: Backend) -> None:
    def corrupted(seed: int) -> bytes:
        target = ("127.0.0.1", backend.port)
        with FaultyProxy(target, mode="corrupt", corrupt_rate=0.001, seed=seed) as proxy:
            return raw_exchange(proxy.port, GET_CLOSE % 100000)

    assert corrupted(seed=1) == corrupted(seed=1)
    assert corrupted(seed=1) != corrupted(seed=2)


# -- retarget, lifecycle, settings ---------------------------------------------------------------


def test_retarget_moves_new_connections_and_close_connections_moves_the_rest(
    start_backend: Callable[[str], Backend],
) -> None:
    first, second = start_backend("a"), start_backend("b")
    with (
        FaultyProxy(("127.0.0.1", first.port)) as proxy,
        httpx.Client(base_url=proxy.url, timeout=5) as old,
    ):
        assert old.get("/name").text == "a"
        proxy.retarget(second.port)
        assert proxy.target == ("127.0.0.1", second.port)

        assert httpx.get(f"{proxy.url}/name", timeout=5).text == "b"
        assert old.get("/name").text == "a"  # an open connection keeps its target
        # The one-off client has closed its connection; wait until the proxy has seen that.
        wait_until(lambda: proxy.stats.connections_active == 1)
        assert proxy.close_connections() == 1
        assert old.get("/name").text == "b"


def test_a_target_that_is_down_resets_the_client(backend: Backend) -> None:
    with FaultyProxy(("127.0.0.1", backend.port)) as proxy:
        with socket.socket() as unused:
            unused.bind(("127.0.0.1", 0))
            proxy.retarget(int(unused.getsockname()[1]))  # bound, not listening: refuses
            with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
                httpx.get(f"{proxy.url}/name", timeout=5)
        assert proxy.stats.upstream_failures == 1


def test_lifecycle(backend: Backend) -> None:
    proxy = FaultyProxy(("127.0.0.1", backend.port))
    assert proxy.url == f"http://127.0.0.1:{proxy.port}"
    with pytest.raises(httpx.ConnectError):  # bound but not started: refuses
        httpx.get(f"{proxy.url}/name", timeout=5)

    assert proxy.start() is proxy
    assert proxy.start() is proxy
    assert httpx.get(f"{proxy.url}/name", timeout=5).text == "a"
    proxy.reset_stats()
    assert proxy.stats.connections_accepted == 0

    proxy.close()
    proxy.close()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{proxy.url}/name", timeout=5)
    with pytest.raises(RuntimeError):
        proxy.start()


def test_settings_are_checked(proxy: FaultyProxy) -> None:
    with pytest.raises(ValueError, match="unknown fault mode"):
        proxy.mode = "flaky"  # type: ignore[assignment]
    with pytest.raises(ValueError, match="delay_s"):
        proxy.delay_s = -1
    with pytest.raises(ValueError, match="cut_after_bytes"):
        proxy.cut_after_bytes = -1
    with pytest.raises(ValueError, match="corrupt_rate"):
        proxy.corrupt_rate = 1.5
    assert proxy.mode == "pass"
