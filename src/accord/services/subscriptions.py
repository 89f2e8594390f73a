"""Subscriptions and endpoints: which alerts a desk wants, and where they go.

A subscription belongs to the user who made it and reads with their role and participant,
so it can never deliver what they may not read. Subscribing "for an agency" with no area
of its own takes the agency's jurisdiction as its area, copied in so the stored filter says
exactly what is matched. Webhook secrets are shown once, at creation and at rotation.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from accord.domain.identity import Role
from accord.domain.routing.filters import filter_from_json, filter_to_json
from accord.errors import InvalidInputError, NotFoundError, PermissionDeniedError, Problem
from accord.services.delivery_ports import DeliveryRow, EndpointRow, Secret, SubscriptionRow
from accord.services.ports import Account, Clock, UnitOfWork, UnitOfWorkFactory

ENDPOINT_KINDS = ("webhook", "email")
FORMATS = ("json", "xml")
MAX_OVERLAP = timedelta(days=7)
_EMAIL = re.compile(r"^[^@\s]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,63}$")
_MAX_ENDPOINTS = 20


def new_webhook_secret() -> str:
    """A Standard Webhooks secret: ``whsec_`` and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def feed_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class Created:
    """A new subscription or endpoint, with the secrets that are shown only now."""

    subscription: SubscriptionRow
    secrets: dict[int, str]


@dataclass(frozen=True, slots=True)
class EndpointHealth:
    """How an endpoint's deliveries went: counts by state and the newest few."""

    counts: dict[str, int]
    recent: list[DeliveryRow]


class SubscriptionService:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, *, email_enabled: bool) -> None:
        self._uow = uow
        self._clock = clock
        self._email_enabled = email_enabled

    def create(self, account: Account, body: dict[str, Any]) -> Created:
        problems: list[Problem] = []
        name = body.get("name")
        if not isinstance(name, str) or not name.strip() or len(name) > 200:
            problems.append(Problem("/name", "REQUIRED", "name: 1 to 200 characters"))
        raw_filter = body.get("filter", {})
        endpoint_specs = body.get("endpoints", [])
        if not isinstance(endpoint_specs, list) or len(endpoint_specs) > _MAX_ENDPOINTS:
            problems.append(
                Problem("/endpoints", "INVALID", f"endpoints: a list of at most {_MAX_ENDPOINTS}")
            )
            endpoint_specs = []
        for index, spec in enumerate(endpoint_specs):
            problems += self._endpoint_problems(spec, f"/endpoints/{index}")
        with self._uow() as uow:
            agency_id, area = self._agency(uow, account, body.get("agency"), problems)
            stored_filter: dict[str, Any] = {}
            try:
                parsed = filter_from_json(raw_filter, "/filter")
                stored_filter = filter_to_json(parsed)
            except InvalidInputError as exc:
                problems += exc.problems
            if problems:
                raise InvalidInputError("the subscription is not valid", problems)
            if (
                area is not None
                and not stored_filter.get("area")
                and not stored_filter.get("geocodes")
            ):
                stored_filter = filter_to_json(filter_from_json({**stored_filter, "area": area}))
            now = self._clock.now()
            subscription_id = uow.subscriptions.add(
                user_id=account.user_id,
                participant=account.participant,
                agency_id=agency_id,
                name=str(name).strip(),
                filter=stored_filter,
                now=now,
            )
            shown = {}
            for spec in endpoint_specs:
                endpoint_id, secret = self._add_endpoint(uow, subscription_id, spec)
                if secret:
                    shown[endpoint_id] = secret
            row = uow.subscriptions.get(subscription_id)
        assert row is not None
        return Created(row, shown)

    def add_endpoint(self, account: Account, subscription_id: int, spec: Any) -> Created:
        problems = self._endpoint_problems(spec, "")
        if problems:
            raise InvalidInputError("the endpoint is not valid", problems)
        with self._uow() as uow:
            self._owned(uow, account, subscription_id)
            endpoint_id, secret = self._add_endpoint(uow, subscription_id, spec)
            row = uow.subscriptions.get(subscription_id)
        assert row is not None
        return Created(row, {endpoint_id: secret} if secret else {})

    def mine(self, account: Account) -> list[SubscriptionRow]:
        with self._uow(readonly=True) as uow:
            return uow.subscriptions.find(
                user_id=None if account.role is Role.ADMIN else account.user_id,
                include_disabled=False,
            )

    def get(self, account: Account, subscription_id: int) -> SubscriptionRow:
        with self._uow(readonly=True) as uow:
            return self._owned(uow, account, subscription_id)

    def disable(self, account: Account, subscription_id: int) -> None:
        with self._uow() as uow:
            self._owned(uow, account, subscription_id)
            uow.subscriptions.disable(subscription_id, self._clock.now())

    def rotate_secret(self, account: Account, endpoint_id: int, overlap: timedelta) -> str:
        """A new signing secret; the current ones keep signing until ``overlap`` ends, so
        receivers can switch without missing a message."""
        if overlap < timedelta(0) or overlap > MAX_OVERLAP:
            raise InvalidInputError(
                "the overlap is not valid",
                [Problem("/overlap_hours", "OUT_OF_RANGE", "overlap: 0 to 168 hours")],
            )
        now = self._clock.now()
        with self._uow() as uow:
            endpoint = self._owned_endpoint(uow, account, endpoint_id)
            if endpoint.kind != "webhook":
                raise InvalidInputError(
                    "only webhooks have secrets",
                    [Problem("/endpoint", "NOT_A_WEBHOOK", f"endpoint {endpoint_id} is e-mail")],
                )
            kept = [
                Secret(s.value, s.created_at, min(s.expires_at or now + overlap, now + overlap))
                for s in endpoint.secrets
                if s.expires_at is None or s.expires_at > now
            ]
            fresh = new_webhook_secret()
            uow.subscriptions.update_endpoint(endpoint_id, secrets=[*kept, Secret(fresh, now)])
        return fresh

    def set_endpoint_state(self, account: Account, endpoint_id: int, *, active: bool) -> None:
        with self._uow() as uow:
            self._owned_endpoint(uow, account, endpoint_id)
            uow.subscriptions.update_endpoint(
                endpoint_id,
                state="active" if active else "disabled",
                reason="" if active else "disabled by its owner",
            )

    def new_feed(self, account: Account, subscription_id: int) -> str:
        """A secret feed URL token for the subscription; a new one replaces the old."""
        token = secrets.token_urlsafe(32)
        with self._uow() as uow:
            self._owned(uow, account, subscription_id)
            uow.subscriptions.set_feed_token(subscription_id, feed_token_hash(token))
        return token

    def by_feed(self, token: str) -> SubscriptionRow:
        with self._uow(readonly=True) as uow:
            row = uow.subscriptions.by_feed_token(feed_token_hash(token))
        if row is None:
            raise NotFoundError("no such feed")
        return row

    def health(
        self, account: Account, subscription_id: int, recent: int = 5
    ) -> dict[int, EndpointHealth]:
        """Each endpoint's delivery health, for the subscription's owner (or an admin)."""
        with self._uow(readonly=True) as uow:
            row = self._owned(uow, account, subscription_id)
            return {
                e.id: EndpointHealth(*uow.deliveries.of_endpoint(e.id, recent))
                for e in row.endpoints
            }

    def outbox(
        self, *, state: str | None, endpoint_id: int | None, after_id: int | None, limit: int
    ) -> tuple[dict[str, int], list[DeliveryRow]]:
        """Deliveries in id order with counts by state (for admins)."""
        with self._uow(readonly=True) as uow:
            rows = uow.deliveries.find(
                state=state, endpoint_id=endpoint_id, limit=limit, after_id=after_id
            )
            return uow.deliveries.counts(), rows

    def replay(self, delivery_ids: list[int]) -> int:
        """Queue failed or cancelled deliveries again, same message ids; returns how many.
        Naming one that is neither is an error, and then nothing is replayed."""
        with self._uow() as uow:
            problems = []
            for delivery_id in delivery_ids:
                row = uow.deliveries.get(delivery_id)
                if row is None:
                    raise NotFoundError(f"no delivery {delivery_id}")
                if row.state not in ("failed", "cancelled"):
                    problems.append(
                        Problem(
                            f"/{delivery_id}",
                            "NOT_REPLAYABLE",
                            f"delivery {delivery_id} is {row.state}; only failed or cancelled "
                            "deliveries are replayed",
                        )
                    )
            if problems:
                raise InvalidInputError("nothing was replayed", problems)
            return uow.deliveries.replay(delivery_ids, self._clock.now())

    def _owned(self, uow: UnitOfWork, account: Account, subscription_id: int) -> SubscriptionRow:
        row = uow.subscriptions.get(subscription_id)
        if (
            row is None
            or row.disabled_at is not None
            or (account.role is not Role.ADMIN and row.user_id != account.user_id)
        ):
            raise NotFoundError(f"no subscription {subscription_id} of yours")
        return row

    def _owned_endpoint(self, uow: UnitOfWork, account: Account, endpoint_id: int) -> EndpointRow:
        endpoint = uow.subscriptions.endpoint(endpoint_id)
        if endpoint is None:
            raise NotFoundError(f"no endpoint {endpoint_id} of yours")
        try:
            self._owned(uow, account, endpoint.subscription_id)
        except NotFoundError:
            raise NotFoundError(f"no endpoint {endpoint_id} of yours") from None
        return endpoint

    def _agency(
        self, uow: UnitOfWork, account: Account, name: object, problems: list[Problem]
    ) -> tuple[int | None, dict[str, Any] | None]:
        """The agency subscribed for (by name, within the user's participant; an admin may
        name ``CODE/Agency``) and its jurisdiction; defaults to the user's own agency."""
        if name is None:
            agency_id = uow.subscriptions.user_agency(account.user_id)
            found = uow.subscriptions.agency(agency_id) if agency_id is not None else None
            return agency_id, found[2] if found else None
        if not isinstance(name, str):
            problems.append(Problem("/agency", "INVALID", "agency: the agency's name"))
            return None, None
        participant, _, agency_name = name.rpartition("/")
        participant = participant or (account.participant or "")
        if participant != account.participant and account.role is not Role.ADMIN:
            raise PermissionDeniedError(
                "you may subscribe only for your own participant's agencies"
            )
        for agency in uow.identity.list_agencies(participant):
            if agency["name"] == agency_name:
                return int(agency["id"]), agency.get("jurisdiction")
        problems.append(
            Problem("/agency", "UNKNOWN_AGENCY", f"no agency {agency_name!r} of {participant}")
        )
        return None, None

    def _endpoint_problems(self, spec: Any, location: str) -> list[Problem]:
        if not isinstance(spec, dict):
            return [Problem(location, "INVALID", "an endpoint is an object")]
        problems = [
            Problem(f"{location}/{key}", "UNKNOWN_FIELD", f"unknown field {key!r}")
            for key in sorted(set(spec) - {"kind", "url", "address", "format", "test"})
        ]
        kind = spec.get("kind")
        if kind not in ENDPOINT_KINDS:
            problems.append(Problem(f"{location}/kind", "INVALID_KIND", "kind: webhook or email"))
        elif kind == "webhook":
            problems += _url_problems(spec.get("url"), f"{location}/url")
        else:
            address = spec.get("address")
            if not isinstance(address, str) or not _EMAIL.match(address):
                problems.append(
                    Problem(f"{location}/address", "INVALID_ADDRESS", "address: an e-mail address")
                )
            if not self._email_enabled:
                problems.append(
                    Problem(
                        f"{location}/kind",
                        "EMAIL_NOT_CONFIGURED",
                        "this node has no SMTP server; set ACCORD_SMTP_HOST to send e-mail",
                    )
                )
        if spec.get("format", "json") not in FORMATS:
            problems.append(Problem(f"{location}/format", "INVALID_FORMAT", "format: json or xml"))
        if not isinstance(spec.get("test", False), bool):
            problems.append(Problem(f"{location}/test", "INVALID", "test: true or false"))
        return problems

    def _add_endpoint(
        self, uow: UnitOfWork, subscription_id: int, spec: dict[str, Any]
    ) -> tuple[int, str | None]:
        now = self._clock.now()
        secret = new_webhook_secret() if spec["kind"] == "webhook" else None
        endpoint_id = uow.subscriptions.add_endpoint(
            subscription_id,
            kind=spec["kind"],
            target=spec["url"] if spec["kind"] == "webhook" else spec["address"],
            format=spec.get("format", "json"),
            test=bool(spec.get("test", False)),
            secrets=[Secret(secret, now)] if secret else [],
            now=now,
        )
        return endpoint_id, secret


def _url_problems(url: object, location: str) -> list[Problem]:
    if not isinstance(url, str) or len(url) > 2000:
        return [Problem(location, "INVALID_URL", "url: an http or https URL")]
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return [Problem(location, "INVALID_URL", "url: an http or https URL with a host")]
    if parts.username or parts.password:
        return [Problem(location, "INVALID_URL", "url: credentials in URLs are not accepted")]
    return []


def subscription_json(row: SubscriptionRow, shown: dict[int, str] | None = None) -> dict[str, Any]:
    shown = shown or {}
    return {
        "id": row.id,
        "name": row.name,
        "owner": row.username,
        "participant": row.participant,
        "agency": row.agency,
        "filter": row.filter,
        "created_at": row.created_at.isoformat(),
        "endpoints": [
            {
                "id": e.id,
                "kind": e.kind,
                "target": e.target,
                "format": e.format,
                "test": e.test,
                "state": e.state,
                "disabled_reason": e.disabled_reason,
                "secrets": [
                    {"created_at": s.created_at.isoformat(), "expires_at": _iso(s.expires_at)}
                    for s in e.secrets
                ],
                **({"secret": shown[e.id]} if e.id in shown else {}),
            }
            for e in row.endpoints
        ],
    }


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None
