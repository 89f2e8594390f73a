"""A peer that forges its log's signature, for tests of what a node does with one.

:class:`ForgingPeer` answers ``GET /log/checkpoint`` with the real checkpoint of the node at
``target_url``, its signatures replaced by signatures of the same text under the same key
names and key ids, made with a key of its own: well-formed, claiming to be the node's, and
false. Every other request gets 503, which is all a puller gets to after such a checkpoint,
since it stops there. Put it behind a :class:`tests.faults.proxy.FaultyProxy` and
``retarget`` the proxy to it, then back, to forge on one link for a while::

    with ForgingPeer(origin_url) as forger:
        proxy.retarget(forger.port)
        proxy.close_connections()
        ...                              # pulls through the proxy meet a forged checkpoint
        proxy.retarget(origin_port)
"""

from __future__ import annotations

import base64
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Self

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from accord.ledger import notes

__all__ = ["ForgingPeer", "forge"]


def forge(note: str, key: Ed25519PrivateKey) -> str:
    """``note`` with each signature line's signature made by ``key`` instead: the line keeps
    its name and key id, so a verifier picks the pinned key and finds it does not verify."""
    text = notes.note_text(note)
    lines = []
    for line in notes.signature_lines(note):
        dash_name, _, _ = line.rpartition(" ")
        payload = notes.line_key_id(line) + key.sign(text.encode("utf-8"))
        lines.append(f"{dash_name} {base64.b64encode(payload).decode('ascii')}")
    return text + "\n" + "\n".join(lines) + "\n"


class ForgingPeer:
    """An HTTP server on ``127.0.0.1`` serving ``target_url``'s checkpoint, forged."""

    def __init__(self, target_url: str) -> None:
        self._target = target_url.rstrip("/")
        self._key = Ed25519PrivateKey.generate()
        self.forged = 0
        """Forged checkpoints served so far."""
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def start(self) -> Self:
        self._thread.start()
        return self

    def close(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _forged_checkpoint(self) -> bytes:
        note = httpx.get(f"{self._target}/log/checkpoint", timeout=5).text
        self.forged += 1
        return forge(note, self._key).encode("utf-8")

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        peer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path.split("?")[0] == "/log/checkpoint":
                    status, body = 200, peer._forged_checkpoint()
                else:
                    status, body = 503, b"forging peer: nothing but checkpoints"
                self.send_response(status)
                self.send_header("content-type", "text/plain; charset=utf-8")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                """Quiet: the test reads the peer's incidents, not this server's log."""

        return Handler
