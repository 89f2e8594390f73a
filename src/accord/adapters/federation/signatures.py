"""RFC 9421 HTTP Message Signatures (Ed25519) on node-to-node requests: sign and verify.

Why it is built this way:

* Key id. A signature's ``keyid`` is the signing node's whole C2SP verifier key string,
  ``name+hexkeyid+base64(0x01 ‖ public key)`` (``accord.ledger.notes``): the string
  ``LogService.verifier_key`` returns and operators already pin for the peer's log. The
  receiver looks the exact string up among its pinned keys and never uses the key it spells
  out, so an unpinned string is simply an unknown key. Not the 4-byte key hash alone: a peer
  can grind 32 bits to collide with another peer's hash, while a whole string has one owner.
* Covered components. ``@method``, ``@authority``, ``@path`` and ``@query`` rather than
  ``@target-uri``, which adds the scheme and so breaks behind a proxy that ends TLS (TLS
  protects the scheme itself). ``content-digest`` (RFC 9530, sha-256) is covered whenever
  the request has a body. Parameters: ``created``, ``keyid``, ``alg``, a random ``nonce``
  and ``tag="accord"``, under the label ``accord``. The tag is signed and the label is not,
  so the verifier selects by tag and ignores signatures a proxy may add.
* Authority. Both ends take it from the ``Host`` header, not from the address connected to:
  a client that pins a peer's IP and sends the name in ``Host`` (as the webhook sender
  does) signs what the server sees.
* Freshness. A signature older than ``max_age`` or dated more than ``max_skew`` ahead is
  refused, and each (key id, nonce) is remembered until its signature would be too old
  anyway, so a captured request cannot be replayed. Memory is bounded by ``max_nonces``:
  when that many are inside their window, new requests are refused (fail closed) rather
  than an old nonce forgotten. Nonces live in this process's memory: with several worker
  processes behind one address, a replay sent to another worker goes unseen.
* The library (``http-message-signatures``) builds and parses signature bases but never
  holds the private key: it hands over the base and a sign function signs it (its
  ``prepare``/``apply``), so the log key stays inside the keystore. Its wall-clock checks
  are replaced by ours, against the injected clock, once the signature has verified.
"""

from __future__ import annotations

import heapq
import secrets
import threading
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeAlias
from urllib.parse import quote

import httpx
from cryptography.exceptions import InvalidSignature as BadEd25519Signature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from http_message_signatures import (
    HTTPMessageSignaturesException,
    HTTPMessageSigner,
    HTTPMessageVerifier,
    HTTPSignatureKeyResolver,
    VerifyResult,
    algorithms,
)

from accord.adapters.clock import SystemClock
from accord.errors import (
    AuthenticationError,
    ConfigurationError,
    InvalidInputError,
    Problem,
    VerificationError,
)
from accord.ledger import notes
from accord.ledger.signing import check_public_key

LABEL = "accord"
TAG = "accord"
COVERED_COMPONENTS = ("@method", "@authority", "@path", "@query")
MAX_AGE = timedelta(seconds=300)
MAX_SKEW = timedelta(seconds=60)
MAX_NONCES = 100_000
MAX_NONCE_CHARS = 128
_QUOTE_LIMIT = 200

SignFunction: TypeAlias = Callable[[bytes], bytes]
Clock: TypeAlias = Callable[[], datetime]
KeyLookup: TypeAlias = Mapping[str, bytes] | Callable[[str], bytes | None]


class RequestSigner:
    """Signs this node's outgoing requests with its log key.

    ``key_id`` is the node's verifier key string (``LogService.verifier_key``) and ``sign``
    signs bytes with the matching private key, e.g.
    ``RequestSigner(log.verifier_key, lambda m: keystore.sign(LOG_KEY, m))``. After the log
    key is rotated, build a new signer: the key id names the key it was built with.
    """

    def __init__(self, key_id: str, sign: SignFunction, *, clock: Clock | None = None) -> None:
        _check_node_key(key_id)
        self.key_id = key_id
        self._sign = sign
        self._clock = clock if clock is not None else SystemClock().now

    def sign(self, request: httpx.Request) -> None:
        """Add ``Content-Digest`` (when there is a body), ``Signature-Input`` and ``Signature``.

        The body is read here; an async streaming body must be read first (``SignedAuth``
        asks httpx to do that).
        """
        body = request.read()
        _sign_request(
            request,
            key_id=self.key_id,
            sign=self._sign,
            components=COVERED_COMPONENTS,
            created=int(self._clock().timestamp()),
            nonce=secrets.token_urlsafe(16),
            tag=TAG,
            label=LABEL,
            include_alg=True,
            body=body if body or "content-digest" in request.headers else None,
        )


class SignedAuth(httpx.Auth):
    """``httpx.Client(auth=SignedAuth(signer))`` signs every request the client sends.

    Leave redirects off (httpx's default): a redirected request keeps the signature made
    for the first target, which its new target will rightly refuse.
    """

    requires_request_body = True

    def __init__(self, signer: RequestSigner) -> None:
        self._signer = signer

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        self._signer.sign(request)
        yield request


def pinned_keys(verifier_keys: Iterable[str]) -> dict[str, bytes]:
    """Key id to public key for ``RequestVerifier``, from the peers' pinned verifier keys.

    Witness (cosignature/v1) keys are refused: they identify witnesses, not nodes.
    """
    keys: dict[str, bytes] = {}
    for text in verifier_keys:
        verifier = _parse_node_key(text)
        keys[notes.format_verifier_key(verifier.name, verifier.public_key)] = verifier.public_key
    return keys


class RequestVerifier:
    """Checks that a request was signed by a pinned peer, recently and only once.

    ``keys`` maps a key id to the peer's Ed25519 public key (32 bytes); a callable returning
    ``None`` for unknown ids also serves, for a peer list that changes while running.
    Safe to share between threads.
    """

    def __init__(
        self,
        keys: KeyLookup,
        *,
        clock: Clock | None = None,
        max_age: timedelta = MAX_AGE,
        max_skew: timedelta = MAX_SKEW,
        max_nonces: int = MAX_NONCES,
    ) -> None:
        if max_age <= timedelta(0) or max_skew < timedelta(0) or max_nonces < 1:
            raise ConfigurationError("max_age and max_nonces are positive, max_skew not negative")
        self._lookup = keys.get if isinstance(keys, Mapping) else keys
        self._clock = clock if clock is not None else SystemClock().now
        self._max_age = max_age
        self._max_skew = max_skew
        self._nonces = _SeenNonces(max_nonces)

    def verify(self, method: str, url: str, headers: Mapping[str, str], body: bytes) -> str:
        """The key id of the peer that signed this request; raises ``AuthenticationError``.

        ``url`` is the URL the client sent, with its authority from the ``Host`` header and
        its path still percent-encoded (``asgi_request_url`` builds it); ``body`` is the
        content as received, before any decoding.
        """
        message = _Message(method, url, _Fields(list(headers.items())))
        if "signature" not in message.headers or "signature-input" not in message.headers:
            raise AuthenticationError("the request is not signed (no Signature-Input/Signature)")
        resolver = _PinnedKeys(self._lookup)
        verifier = _Verifier(signature_algorithm=algorithms.ED25519, key_resolver=resolver)
        try:
            results = verifier.verify(message, max_age=None, expect_tag=TAG)
        except HTTPMessageSignaturesException as exc:
            raise _explain(exc, resolver) from exc
        if len(results) != 1:
            raise AuthenticationError(f"the request carries {len(results)} signatures tagged {TAG}")
        result = results[0]
        key_id = str(result.parameters["keyid"])
        _check_coverage(result, needs_digest=bool(body) or "content-digest" in message.headers)
        now = self._clock().timestamp()
        created = self._check_time(result.parameters, now)
        nonce = _nonce(result.parameters)
        try:
            verifier.verify_body(message, results, body)
        except HTTPMessageSignaturesException as exc:
            raise AuthenticationError(f"the body does not match its signed digest: {exc}") from exc
        self._nonces.remember((key_id, nonce), created + self._max_age.total_seconds(), now)
        return key_id

    def _check_time(self, parameters: Mapping[str, int | str], now: float) -> int:
        created = parameters.get("created")
        if not isinstance(created, int):
            raise AuthenticationError("the signature has no created time")
        if created > now + self._max_skew.total_seconds():
            raise AuthenticationError(
                f"the signature is dated {created - now:.0f} s in the future "
                f"(at most {self._max_skew.total_seconds():.0f} s allowed)"
            )
        if created < now - self._max_age.total_seconds():
            raise AuthenticationError(
                f"the signature is stale: made {now - created:.0f} s ago "
                f"(at most {self._max_age.total_seconds():.0f} s allowed)"
            )
        expires = parameters.get("expires")
        if isinstance(expires, int) and expires < now:
            raise AuthenticationError("the signature has expired")
        return created


def asgi_request_url(scope: Mapping[str, Any]) -> str:
    """The URL a client sent, from an ASGI scope, as ``RequestVerifier.verify`` wants it.

    Starlette's ``request.url`` is rebuilt from the decoded path (``/a%2Fb`` reads ``/a/b``)
    and would not match what the client signed, so this takes ``raw_path``, the raw query
    string and the ``Host`` header.
    """
    hosts = [value for name, value in scope.get("headers", ()) if name.lower() == b"host"]
    if len(hosts) != 1:
        raise AuthenticationError("the request does not carry exactly one Host header")
    raw_path = scope.get("raw_path")
    path = raw_path.decode("latin-1") if raw_path else quote(scope.get("path", "/"), safe="/")
    query = bytes(scope.get("query_string", b"")).decode("latin-1")
    scheme = scope.get("scheme", "http")
    return f"{scheme}://{hosts[0].decode('latin-1')}{path}" + (f"?{query}" if query else "")


def _sign_request(
    request: httpx.Request,
    *,
    key_id: str,
    sign: SignFunction,
    components: Sequence[str],
    created: int,
    nonce: str | None,
    tag: str | None,
    label: str,
    include_alg: bool,
    body: bytes | None,
) -> None:
    """Sign ``request`` in place; the knobs beyond ``RequestSigner``'s are for test vectors."""
    message = _Message(request.method, _target_url(request), request.headers)
    signer = HTTPMessageSigner(signature_algorithm=algorithms.ED25519)
    try:
        prepared = signer.prepare(
            message,
            key_id=key_id,
            created=datetime.fromtimestamp(created, UTC),
            nonce=nonce,
            label=label,
            tag=tag,
            include_alg=include_alg,
            covered_component_ids=components,
            body=body,
            use_existing_digest=body is not None,
        )
        signer.apply(message, prepared, sign(prepared.signature_base))
    except HTTPMessageSignaturesException as exc:
        text = f"the request cannot be signed: {exc}"
        raise InvalidInputError(text, [Problem("request", "UNSIGNABLE_REQUEST", text)]) from exc


def _target_url(request: httpx.Request) -> str:
    """The request's URL with the authority its ``Host`` header names, as servers see it."""
    host = request.headers.get("host") or request.url.netloc.decode("ascii")
    return f"{request.url.scheme}://{host}{request.url.raw_path.decode('ascii')}"


@dataclass(frozen=True, slots=True)
class _Message:
    """What the library reads from a request; ``headers`` it also writes when signing."""

    method: str
    url: str
    headers: httpx.Headers | _Fields


class _Fields:
    """Received header lines, read-only, in the order they arrived."""

    def __init__(self, lines: Sequence[tuple[str, str]]) -> None:
        self._lines = tuple(lines)

    def items(self) -> tuple[tuple[str, str], ...]:
        return self._lines

    def __iter__(self) -> Iterator[str]:
        return iter(dict.fromkeys(name for name, _ in self._lines))

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and any(n.lower() == name.lower() for n, _ in self._lines)


class _PinnedKeys(HTTPSignatureKeyResolver):
    """Looks key ids up among the pinned keys and remembers why a lookup failed."""

    def __init__(self, lookup: Callable[[str], bytes | None]) -> None:
        self._lookup = lookup
        self.key_id: str | None = None
        self.is_unknown = False
        self.is_malformed = False

    def resolve_public_key(self, key_id: str) -> Ed25519PublicKey | None:
        self.key_id = key_id
        raw = self._lookup(key_id)
        if raw is None:
            self.is_unknown = True
            return None
        try:
            check_public_key(raw)
            return Ed25519PublicKey.from_public_bytes(raw)
        except (VerificationError, ValueError):
            self.is_malformed = True
            raise


class _Verifier(HTTPMessageVerifier):
    """The library's verifier without its wall-clock checks (see ``_check_time``)."""

    def validate_created_and_expires(self, sig_input: Any, max_age: Any = None) -> None:
        return None


def _explain(exc: HTTPMessageSignaturesException, keys: _PinnedKeys) -> Exception:
    who = _quote(keys.key_id or "")
    if keys.is_unknown:
        return AuthenticationError(f"the request is signed by an unknown key: {who}")
    if keys.is_malformed:
        return ConfigurationError(f"the key pinned as {who} is not a usable Ed25519 key")
    if isinstance(exc.__cause__, BadEd25519Signature):
        return AuthenticationError(f"the signature by {who} does not verify")
    return AuthenticationError(f"the request's signature is not acceptable: {exc}")


def _check_coverage(result: VerifyResult, *, needs_digest: bool) -> None:
    required = [*COVERED_COMPONENTS, *(["content-digest"] if needs_digest else [])]
    missing = [name for name in required if f'"{name}"' not in result.covered_components]
    if missing:
        raise AuthenticationError(f"the signature does not cover {', '.join(missing)}")


def _nonce(parameters: Mapping[str, int | str]) -> str:
    nonce = parameters.get("nonce")
    if not isinstance(nonce, str) or not 0 < len(nonce) <= MAX_NONCE_CHARS:
        raise AuthenticationError(f"the signature needs a nonce of 1 to {MAX_NONCE_CHARS} chars")
    return nonce


class _SeenNonces:
    """(key id, nonce) pairs until their signatures expire; full means refuse, not forget."""

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._expiry: dict[tuple[str, str], float] = {}
        self._queue: list[tuple[float, tuple[str, str]]] = []
        self._lock = threading.Lock()

    def remember(self, entry: tuple[str, str], expires_at: float, now: float) -> None:
        with self._lock:
            while self._queue and self._queue[0][0] < now:
                del self._expiry[heapq.heappop(self._queue)[1]]
            if entry in self._expiry:
                raise AuthenticationError("the request was replayed: its nonce was seen before")
            if len(self._expiry) >= self._capacity:
                raise AuthenticationError("too many recent requests to guard against replay")
            self._expiry[entry] = expires_at
            heapq.heappush(self._queue, (expires_at, entry))


def _parse_node_key(text: str) -> notes.Verifier:
    try:
        verifier = notes.parse_verifier_key(text)
    except VerificationError as exc:
        raise ConfigurationError(f"{_quote(text)} is not a verifier key: {exc}") from exc
    if verifier.key_type != notes.ED25519:
        raise ConfigurationError(f"{_quote(text)} is a witness key, not a node's log key")
    return verifier


def _check_node_key(key_id: str) -> None:
    verifier = _parse_node_key(key_id)
    if notes.format_verifier_key(verifier.name, verifier.public_key) != key_id:
        raise ConfigurationError(f"the key id {_quote(key_id)} is not in canonical form")


def _quote(text: str) -> str:
    return repr(text if len(text) <= _QUOTE_LIMIT else text[:_QUOTE_LIMIT] + "…")
