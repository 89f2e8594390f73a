"""Reads a peer's log over its API: the checkpoint and proofs are public, the entries are
asked for with a signed request so the peer serves what this node's participant may read."""

from __future__ import annotations

import base64
import binascii
from typing import Any

import httpx

from accord.errors import PeerError
from accord.ledger.audit import ServedEntry


class HttpPeerClient:
    def __init__(self, base_url: str, auth: httpx.Auth | None, *, timeout_s: float = 10.0) -> None:
        self._client = httpx.Client(
            base_url=base_url.rstrip("/"),
            auth=auth,
            timeout=httpx.Timeout(timeout_s),
            trust_env=False,
            follow_redirects=False,
        )

    def checkpoint(self) -> str:
        return self._get("/log/checkpoint").text

    def consistency(self, old_size: int, new_size: int) -> list[bytes]:
        data = self._json("/log/proof/consistency", {"from": old_size, "to": new_size})
        return _hashes(data.get("proof"))

    def entries(self, start: int, end: int) -> list[ServedEntry]:
        data = self._json("/federation/v1/entries", {"start": start, "end": end})
        items = data.get("entries")
        if not isinstance(items, list):
            raise PeerError("the peer served entries in an unknown form")
        return [_served(item) for item in items]

    def checkpoints(self) -> list[tuple[str, str]]:
        data = self._json("/federation/v1/checkpoints", {})
        items = data.get("checkpoints")
        if not isinstance(items, list):
            raise PeerError("the peer served checkpoints in an unknown form")
        try:
            return [(str(item["key"]), str(item["note"])) for item in items]
        except (KeyError, TypeError) as exc:
            raise PeerError(f"the peer served a malformed checkpoint list: {exc}") from exc

    def cosign(self, line: str, size: int) -> None:
        try:
            response = self._client.post(
                "/log/cosignatures",
                params={"size": size},
                content=line.encode("utf-8"),
                headers={"content-type": "text/plain"},
            )
        except httpx.HTTPError as exc:
            raise PeerError(f"cannot reach the peer: {exc}") from exc
        if response.status_code != 200:
            raise PeerError(f"the peer refused the cosignature: {response.status_code}")

    def close(self) -> None:
        self._client.close()

    def _get(self, path: str, params: dict[str, Any] | None = None) -> httpx.Response:
        try:
            response = self._client.get(path, params=params)
        except httpx.HTTPError as exc:
            raise PeerError(f"cannot reach the peer: {exc}") from exc
        if response.status_code != 200:
            raise PeerError(f"the peer answered {response.status_code} to {path}")
        return response

    def _json(self, path: str, params: dict[str, Any]) -> dict[str, Any]:
        try:
            data = self._get(path, params).json()
        except ValueError as exc:
            raise PeerError(f"the peer's answer to {path} is not JSON") from exc
        if not isinstance(data, dict):
            raise PeerError(f"the peer's answer to {path} is not an object")
        return data


def _served(item: Any) -> ServedEntry:
    try:
        leaf = base64.b64decode(item["leaf_hash"], validate=True)
        entry = base64.b64decode(item["entry"], validate=True) if "entry" in item else None
        body = item.get("body")
        return ServedEntry(int(item["index"]), leaf, entry, body if isinstance(body, str) else None)
    except (KeyError, TypeError, ValueError, binascii.Error) as exc:
        raise PeerError(f"the peer served a malformed entry: {exc}") from exc


def _hashes(values: Any) -> list[bytes]:
    if not isinstance(values, list):
        raise PeerError("the peer served a proof in an unknown form")
    try:
        return [base64.b64decode(str(v), validate=True) for v in values]
    except binascii.Error as exc:
        raise PeerError(f"the peer served a malformed proof: {exc}") from exc
