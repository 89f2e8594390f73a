"""Private keys on disk: the node's log key and the signing keys of the participants it
speaks for.

Each key is an Ed25519 seed, base64 in a file readable by the node's user only
(``KEY_DIR/log.key``, ``KEY_DIR/participants/CODE.key``). The database holds public keys
only, so a stolen database dump cannot sign. Rotation stages the new key beside the old
one (``CODE.key.next``) and promotes it with an atomic rename only after the rotation
record is committed; the retired seed is kept as ``CODE.key.<prefix>.retired``.
"""

from __future__ import annotations

import base64
import binascii
import os
import time
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from accord.errors import ConfigurationError

LOG_KEY = "log"
RECHECK_SECONDS = 1.0


class FileKeystore:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._cache: dict[str, tuple[float, Ed25519PrivateKey]] = {}
        self._checked: dict[str, float] = {}

    def has(self, name: str) -> bool:
        return self._path(name).is_file()

    def create(self, name: str) -> bytes:
        """Generate a key for ``name`` (``log`` or a participant code); returns its public key.

        Refuses to overwrite: an existing key is rotated, never silently replaced.
        """
        path = self._path(name)
        if path.exists():
            raise ConfigurationError(f"a key for {name} already exists at {path}")
        seed = Ed25519PrivateKey.generate().private_bytes_raw()
        _write_secret(path, base64.b64encode(seed) + b"\n")
        self._checked.pop(name, None)
        return self.public_key(name)

    def stage(self, name: str) -> bytes:
        """Generate the next key for ``name`` without using it yet; returns its public key."""
        staged = self._staged(name)
        seed = Ed25519PrivateKey.generate().private_bytes_raw()
        _write_secret(staged, base64.b64encode(seed) + b"\n")
        return _public(_read_seed(staged))

    def promote(self, name: str) -> None:
        """Make the staged key current; the old seed is kept aside, never overwritten."""
        path = self._path(name)
        old = self.public_key(name)
        os.replace(path, path.with_name(f"{path.name}.{old.hex()[:16]}.retired"))
        os.replace(self._staged(name), path)
        self._checked.pop(name, None)

    def _staged(self, name: str) -> Path:
        path = self._path(name)
        return path.with_name(path.name + ".next")

    def sign(self, name: str, message: bytes) -> bytes:
        return self._private(name).sign(message)

    def public_key(self, name: str) -> bytes:
        return _public(self._private(name))

    def _private(self, name: str) -> Ed25519PrivateKey:
        """The key, re-reading its file when it changed (another process may rotate it),
        but looking at the file at most every RECHECK_SECONDS."""
        now = time.monotonic()
        cached = self._cache.get(name)
        if cached is not None and now - self._checked.get(name, 0.0) < RECHECK_SECONDS:
            return cached[1]
        stamp = self._stamp(name)
        self._checked[name] = now
        if cached is not None and cached[0] == stamp:
            return cached[1]
        key = _read_seed(self._path(name))
        self._cache[name] = (stamp, key)
        return key

    def _stamp(self, name: str) -> float:
        try:
            return self._path(name).stat().st_mtime_ns
        except FileNotFoundError:
            return -1

    def _path(self, name: str) -> Path:
        if name == LOG_KEY:
            return self.directory / "log.key"
        if not name.replace("-", "").isalnum():
            raise ConfigurationError(f"not a participant code: {name!r}")
        return self.directory / "participants" / f"{name}.key"


def _read_seed(path: Path) -> Ed25519PrivateKey:
    try:
        seed = base64.b64decode(path.read_bytes().strip(), validate=True)
        return Ed25519PrivateKey.from_private_bytes(seed)
    except FileNotFoundError as exc:
        raise ConfigurationError(f"no key at {path}; run `accord key generate`") from exc
    except (OSError, ValueError, binascii.Error) as exc:
        raise ConfigurationError(f"the key file {path} is unreadable: {exc}") from exc


def _public(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def _write_secret(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = path.with_name(path.name + ".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
