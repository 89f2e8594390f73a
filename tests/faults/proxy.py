"""A fault-injecting TCP proxy on loopback, for tests that need a bad network.

:class:`FaultyProxy` listens on ``127.0.0.1`` and forwards every connection it accepts to a
target ``(host, port)``. A test points a client at :attr:`FaultyProxy.url` instead of the
server and changes :attr:`FaultyProxy.mode` whenever it likes; the change holds for new
connections and, from their next chunk of bytes, for the ones already open::

    with FaultyProxy(("127.0.0.1", backend_port)) as proxy:
        client = httpx.Client(base_url=proxy.url, timeout=1)
        client.get("/")                  # forwarded faithfully
        proxy.mode = "drop"
        client.get("/")                  # hangs, then httpx.ReadTimeout
        proxy.partition()
        client.get("/")                  # httpx.ConnectError, at once
        proxy.heal()
        client.get("/")                  # works again

The modes (:data:`FaultMode`):

``"pass"``
    Forward both ways, byte for byte, half-closes included.
``"drop"``
    A black hole. A new connection is accepted and then never forwarded nor answered: the
    client waits until its own timeout. An open connection that receives bytes (either way)
    while dropping discards them and from then on stays a silent black hole until one of its
    ends closes it, even after the mode changes back; a stream with a hole in it cannot be
    resumed, and late delivery of a request the client gave up on would surprise a test.
    Open connections that stay idle while dropping are unharmed.
``"refuse"``
    A node that is down: the listening socket is closed (the port stays reserved), so new
    connections fail at once with ``ECONNREFUSED`` and handshakes waiting to be accepted are
    reset. Open connections keep forwarding; :meth:`FaultyProxy.partition` also cuts them.
``"delay"``
    Forward, sleeping :attr:`FaultyProxy.delay_s` seconds before each chunk in each direction,
    so a request/response exchange takes at least twice the delay.
``"cut"``
    A connection dying mid-response: forward, but once :attr:`FaultyProxy.cut_after_bytes`
    bytes have gone from the target to the client on a connection (counted from when the
    mode or the limit was last set), close the client side cleanly after exactly those bytes
    and reset the target side. Requests pass untouched.
``"corrupt"``
    Forward, flipping one random bit in each byte from the target with probability
    :attr:`FaultyProxy.corrupt_rate`; lengths never change and requests pass untouched. The
    positions and bits come from a ``random.Random`` seeded per connection from ``seed`` and
    the order in which connections were accepted, so a sequential test is repeatable. Header
    bytes are corrupted too (the proxy knows nothing of HTTP).

Threading model: the proxy runs an asyncio event loop in one daemon thread of its own, started
by :meth:`FaultyProxy.start` (or ``with``). Every public method and property is for the
calling (test) thread. Setters that change the listening socket or close connections
(``mode`` to or from ``"refuse"``, :meth:`~FaultyProxy.partition`, :meth:`~FaultyProxy.heal`,
:meth:`~FaultyProxy.close_connections`) return only once the proxy's thread has done so; other
settings are read by each connection before each chunk. Calling them from the proxy's own thread
raises ``RuntimeError`` (it would deadlock).

The port is bound in the constructor, so :attr:`FaultyProxy.url` is known before
:meth:`~FaultyProxy.start`; until then connections to it are refused. Once ``start()`` returns
the proxy accepts connections: there is nothing else to wait for.

Only the standard library is used.
"""

from __future__ import annotations

import asyncio
import math
import random
import socket
import threading
from collections.abc import Coroutine
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Final, Literal, Self, TypeVar, cast, get_args

__all__ = ["MODES", "FaultMode", "FaultyProxy", "ProxyStats"]

FaultMode = Literal["pass", "drop", "refuse", "delay", "cut", "corrupt"]
"""What the proxy does to traffic; see the module docstring."""

MODES: Final[frozenset[str]] = frozenset(get_args(FaultMode))
"""Every valid :data:`FaultMode`."""

_HOST: Final = "127.0.0.1"
_CHUNK_BYTES: Final = 64 * 1024
_BACKLOG: Final = 128
_CONNECT_TIMEOUT_S: Final = 5.0
_CONTROL_TIMEOUT_S: Final = 10.0

_T = TypeVar("_T")


@dataclass(frozen=True)
class ProxyStats:
    """A snapshot of the proxy's counters, since it was built or :meth:`~FaultyProxy.reset_stats`.

    Byte counts are payload bytes handed on (``bytes_to_target``: client to target;
    ``bytes_to_client``: target to client), after cutting and with corrupted bytes included.
    """

    connections_accepted: int = 0
    """Connections accepted from clients, black holes included."""
    connections_active: int = 0
    """Client connections open right now (not reset by :meth:`~FaultyProxy.reset_stats`)."""
    upstream_failures: int = 0
    """Accepted connections whose target could not be reached (the client is then reset)."""
    bytes_to_target: int = 0
    bytes_to_client: int = 0
    bytes_dropped: int = 0
    """Bytes read in either direction and discarded by ``"drop"``."""
    bytes_corrupted: int = 0
    """Bytes given a flipped bit by ``"corrupt"``."""


class _Connection:
    """One client connection, its connection to the target, and its per-connection fault state."""

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, rng: random.Random
    ) -> None:
        self.client_reader = reader
        self.client_writer = writer
        self.upstream_writer: asyncio.StreamWriter | None = None
        self.rng = rng
        self.task: asyncio.Task[Any] | None = None
        self.is_aborted = False
        self.is_black_hole = False
        self.cut_generation = -1
        self.cut_passed = 0
        self.corrupt_rate = -1.0
        """The rate ``corrupt_gap`` was drawn for; redrawn when the rate changes."""
        self.corrupt_gap = 0
        """Bytes from the target to let through unharmed before the next flipped one."""

    def writers(self) -> list[asyncio.StreamWriter]:
        ends = [self.client_writer]
        if self.upstream_writer is not None:
            ends.append(self.upstream_writer)
        return ends

    def abort(self) -> None:
        """Reset both sides now, discarding anything not yet sent."""
        self.is_aborted = True
        for writer in self.writers():
            writer.transport.abort()

    def close(self) -> None:
        """Close both sides once what is buffered has been sent."""
        for writer in self.writers():
            writer.close()


def _bind(port: int) -> socket.socket:
    """A TCP socket bound to ``127.0.0.1:port`` (0: a free port), not yet listening."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((_HOST, port))
    except BaseException:
        sock.close()
        raise
    return sock


def _gap(rng: random.Random, rate: float) -> int:
    """How many bytes pass before the next corrupted one: geometric, for a per-byte ``rate``.

    The same as deciding byte by byte with probability ``rate``, without a draw per byte.
    """
    if rate >= 1.0:
        return 0
    return int(math.log(1.0 - rng.random()) / math.log1p(-rate))


class FaultyProxy:
    """A TCP proxy from ``127.0.0.1:<port>`` to ``target`` that injects network faults.

    ``target`` is the ``(host, port)`` to forward to; ``port`` the one to listen on (0: a free
    one). The keyword arguments set the initial fault settings, which are also properties that
    may be changed at any time. ``seed`` seeds the corruption (see the module docstring).

    Use it as a context manager, or call :meth:`start` and :meth:`close`.
    """

    def __init__(
        self,
        target: tuple[str, int],
        *,
        port: int = 0,
        mode: FaultMode = "pass",
        delay_s: float = 0.0,
        cut_after_bytes: int = 0,
        corrupt_rate: float = 0.0,
        seed: int = 0,
    ) -> None:
        self._control = threading.Lock()
        self._stats_lock = threading.Lock()
        self._stats = ProxyStats()
        self._target = (target[0], int(target[1]))
        self._mode: FaultMode = _checked_mode(mode)
        self._delay_s = _checked_delay(delay_s)
        self._cut_after_bytes = _checked_cut(cut_after_bytes)
        self._corrupt_rate = _checked_rate(corrupt_rate)
        self._cut_generation = 0
        self._rng = random.Random(seed)  # test faults, not cryptography
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.Server | None = None
        self._connections: set[_Connection] = set()
        self._is_closed = False
        self._holder: socket.socket | None = _bind(port)
        """The bound, non-listening socket that keeps the port while nothing listens on it."""
        self._port = int(self._holder.getsockname()[1])

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> Self:
        """Start the proxy's thread and listen (unless refusing); return once it accepts."""
        with self._control:
            if self._is_closed:
                raise RuntimeError("the proxy is closed")
            if self._thread is not None:
                return self
            loop = asyncio.new_event_loop()
            ready = threading.Event()
            thread = threading.Thread(
                target=self._run_loop,
                args=(loop, ready),
                name=f"FaultyProxy:{self._port}",
                daemon=True,
            )
            self._loop, self._thread = loop, thread
            thread.start()
            ready.wait()
            self._call(self._apply_listening())
        return self

    def close(self) -> None:
        """Stop listening, reset every connection, stop the thread and free the port. Idempotent."""
        with self._control:
            if self._is_closed:
                return
            self._is_closed = True
            loop, thread = self._loop, self._thread
            if loop is not None and thread is not None:
                self._call(self._shutdown())
                loop.call_soon_threadsafe(loop.stop)
                thread.join(timeout=_CONTROL_TIMEOUT_S)
            if self._holder is not None:
                self._holder.close()
                self._holder = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # -- where ---------------------------------------------------------------------------------

    @property
    def port(self) -> int:
        """The loopback port the proxy listens on (kept while refusing)."""
        return self._port

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``, for an HTTP client."""
        return f"http://{_HOST}:{self._port}"

    @property
    def target(self) -> tuple[str, int]:
        """Where new connections are forwarded."""
        return self._target

    def retarget(self, port: int, host: str | None = None) -> None:
        """Forward new connections to ``port`` (and ``host``, else the current host).

        Open connections stay with their old target; :meth:`close_connections` moves them too.
        """
        self._target = (self._target[0] if host is None else host, int(port))

    # -- faults --------------------------------------------------------------------------------

    @property
    def mode(self) -> FaultMode:
        """The current :data:`FaultMode`; setting it takes effect before the setter returns."""
        return self._mode

    @mode.setter
    def mode(self, value: FaultMode) -> None:
        mode = _checked_mode(value)
        with self._control:
            self._mode = mode
            self._cut_generation += 1
            if self._is_running():
                self._call(self._apply_listening())

    @property
    def delay_s(self) -> float:
        """Seconds added before each chunk, in each direction, in ``"delay"`` mode."""
        return self._delay_s

    @delay_s.setter
    def delay_s(self, value: float) -> None:
        self._delay_s = _checked_delay(value)

    @property
    def cut_after_bytes(self) -> int:
        """Bytes from the target a connection may still pass in ``"cut"`` mode before it dies."""
        return self._cut_after_bytes

    @cut_after_bytes.setter
    def cut_after_bytes(self, value: int) -> None:
        with self._control:
            self._cut_after_bytes = _checked_cut(value)
            self._cut_generation += 1

    @property
    def corrupt_rate(self) -> float:
        """Probability that a byte from the target gets a flipped bit in ``"corrupt"`` mode."""
        return self._corrupt_rate

    @corrupt_rate.setter
    def corrupt_rate(self, value: float) -> None:
        self._corrupt_rate = _checked_rate(value)

    def partition(self) -> None:
        """Cut the node off: refuse new connections and reset every open one."""
        with self._control:
            self._mode = "refuse"
            self._cut_generation += 1
            if self._is_running():
                self._call(self._apply_listening())
                self._call(self._abort_all())

    def heal(self) -> None:
        """End a partition (or any fault): back to ``"pass"``, listening again."""
        self.mode = "pass"

    def close_connections(self) -> int:
        """Reset every open connection, both sides; return how many there were."""
        with self._control:
            if not self._is_running():
                return 0
            return self._call(self._abort_all())

    # -- counters ------------------------------------------------------------------------------

    @property
    def stats(self) -> ProxyStats:
        """A snapshot of the counters."""
        with self._stats_lock:
            return self._stats

    def reset_stats(self) -> None:
        """Zero the counters (``connections_active`` keeps counting open connections)."""
        with self._stats_lock:
            self._stats = ProxyStats(connections_active=self._stats.connections_active)

    def _count(self, **increments: int) -> None:
        with self._stats_lock:
            current = self._stats
            self._stats = ProxyStats(
                **{
                    name: getattr(current, name) + increments.get(name, 0)
                    for name in ProxyStats.__dataclass_fields__
                }
            )

    # -- the proxy's thread --------------------------------------------------------------------

    def _is_running(self) -> bool:
        return self._thread is not None and not self._is_closed

    @staticmethod
    def _run_loop(loop: asyncio.AbstractEventLoop, ready: threading.Event) -> None:
        asyncio.set_event_loop(loop)
        loop.call_soon(ready.set)
        try:
            loop.run_forever()
        finally:
            leftovers = asyncio.all_tasks(loop)
            for task in leftovers:
                task.cancel()
            loop.run_until_complete(asyncio.gather(*leftovers, return_exceptions=True))
            loop.run_until_complete(asyncio.sleep(0))  # let aborted transports close their sockets
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    def _call(self, coroutine: Coroutine[Any, Any, _T]) -> _T:
        """Run ``coroutine`` on the proxy's loop and wait for its result."""
        loop = self._loop
        if loop is None or threading.current_thread() is self._thread:
            coroutine.close()
            raise RuntimeError("control the proxy from another thread, after start()")
        return asyncio.run_coroutine_threadsafe(coroutine, loop).result(_CONTROL_TIMEOUT_S)

    async def _apply_listening(self) -> None:
        """Listen unless refusing; when refusing, hold the port bound but not listening."""
        should_listen = self._mode != "refuse" and not self._is_closed
        if should_listen and self._server is None:
            sock = self._holder if self._holder is not None else _bind(self._port)
            self._holder = None
            self._server = await asyncio.start_server(self._serve, sock=sock, backlog=_BACKLOG)
        elif not should_listen and self._server is not None:
            self._server.close()  # closes the listening socket: queued handshakes are reset
            self._server = None
            if not self._is_closed:
                self._holder = _bind(self._port)

    async def _abort_all(self) -> int:
        connections = list(self._connections)
        for connection in connections:
            connection.abort()
        await asyncio.sleep(0)  # aborted transports close their sockets in callbacks: let them run
        return len(connections)

    async def _shutdown(self) -> None:
        await self._apply_listening()
        await self._abort_all()
        tasks = [c.task for c in self._connections if c.task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connection = _Connection(reader, writer, random.Random(self._rng.getrandbits(64)))
        connection.task = asyncio.current_task()
        self._connections.add(connection)
        self._count(connections_accepted=1, connections_active=1)
        try:
            await self._relay(connection)
        except asyncio.CancelledError:
            # Only close() cancels, and it resets the connection. Ending normally rather than
            # cancelled keeps Python 3.11's asyncio.start_server from logging a spurious error.
            connection.is_aborted = True
        finally:
            if connection.is_aborted:
                connection.abort()
            else:
                connection.close()
            self._connections.discard(connection)
            self._count(connections_active=-1)

    async def _relay(self, connection: _Connection) -> None:
        mode = self._mode
        if mode == "refuse":  # accepted just before the listener closed
            connection.abort()
            return
        if mode == "drop":
            connection.is_black_hole = True
            await self._pump(connection, connection.client_reader, None, to_client=False)
            return
        host, port = self._target
        try:
            upstream_reader, upstream_writer = await asyncio.wait_for(
                asyncio.open_connection(host, port), _CONNECT_TIMEOUT_S
            )
        except (OSError, TimeoutError):
            self._count(upstream_failures=1)
            connection.abort()
            return
        connection.upstream_writer = upstream_writer
        if connection.is_aborted:  # reset while we were connecting
            connection.abort()
            return
        await asyncio.gather(
            self._pump(connection, connection.client_reader, upstream_writer, to_client=False),
            self._pump(connection, upstream_reader, connection.client_writer, to_client=True),
        )

    async def _pump(
        self,
        connection: _Connection,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter | None,
        *,
        to_client: bool,
    ) -> None:
        """Copy one direction until end of stream, applying the fault of the moment per chunk."""
        try:
            while True:
                chunk = await reader.read(_CHUNK_BYTES)
                if not chunk:
                    if connection.is_black_hole:
                        if not to_client:  # the client is gone: so is the black hole
                            connection.abort()
                    elif writer is not None and writer.can_write_eof():
                        writer.write_eof()
                    return
                if writer is None:  # a black hole from the start: nowhere to forward to
                    self._count(bytes_dropped=len(chunk))
                elif not await self._forward(connection, chunk, writer, to_client):
                    return
        except (OSError, RuntimeError):
            connection.abort()

    async def _forward(
        self,
        connection: _Connection,
        chunk: bytes,
        writer: asyncio.StreamWriter,
        to_client: bool,
    ) -> bool:
        """Hand one chunk on as the current mode says; ``False`` when the connection is cut."""
        mode = self._mode
        if mode == "delay" and self._delay_s > 0:
            await asyncio.sleep(self._delay_s)
        if connection.is_black_hole or mode == "drop":
            connection.is_black_hole = True
            self._count(bytes_dropped=len(chunk))
            return True
        is_cut = False
        if to_client and mode == "cut":
            chunk, is_cut = self._cut(connection, chunk)
        elif to_client and mode == "corrupt":
            chunk = self._corrupt(connection, chunk)
        if chunk:
            writer.write(chunk)
            self._count(**{"bytes_to_client" if to_client else "bytes_to_target": len(chunk)})
            await writer.drain()
        if is_cut:
            writer.close()  # the client gets exactly the bytes before the cut, then end of stream
            if connection.upstream_writer is not None:
                connection.upstream_writer.transport.abort()
            return False
        return True

    def _cut(self, connection: _Connection, chunk: bytes) -> tuple[bytes, bool]:
        if connection.cut_generation != self._cut_generation:
            connection.cut_generation = self._cut_generation
            connection.cut_passed = 0
        allowed = max(0, self._cut_after_bytes - connection.cut_passed)
        chunk = chunk[:allowed]
        connection.cut_passed += len(chunk)
        return chunk, connection.cut_passed >= self._cut_after_bytes

    def _corrupt(self, connection: _Connection, chunk: bytes) -> bytes:
        rate = self._corrupt_rate
        if rate <= 0.0:
            return chunk
        rng = connection.rng
        if connection.corrupt_rate != rate:
            connection.corrupt_rate = rate
            connection.corrupt_gap = _gap(rng, rate)
        data = bytearray(chunk)
        position = connection.corrupt_gap
        flipped = 0
        while position < len(data):
            data[position] ^= 1 << rng.randrange(8)
            flipped += 1
            position += 1 + _gap(rng, rate)
        connection.corrupt_gap = position - len(data)
        if flipped:
            self._count(bytes_corrupted=flipped)
        return bytes(data)


def _checked_mode(mode: str) -> FaultMode:
    if mode not in MODES:
        raise ValueError(f"unknown fault mode {mode!r}; expected one of {sorted(MODES)}")
    return cast(FaultMode, mode)


def _checked_delay(delay_s: float) -> float:
    if not math.isfinite(delay_s) or delay_s < 0:
        raise ValueError(f"delay_s must be a finite number of seconds >= 0, not {delay_s!r}")
    return float(delay_s)


def _checked_cut(cut_after_bytes: int) -> int:
    if cut_after_bytes < 0:
        raise ValueError(f"cut_after_bytes must be >= 0, not {cut_after_bytes!r}")
    return int(cut_after_bytes)


def _checked_rate(rate: float) -> float:
    if not 0.0 <= rate <= 1.0:
        raise ValueError(f"corrupt_rate must be between 0 and 1, not {rate!r}")
    return float(rate)
