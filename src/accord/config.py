"""Node settings: defaults, then ``accord.toml``, then ``ACCORD_*`` environment variables.

Only the CLI and bootstrap read settings; nothing else looks at the environment. Every
setting is listed in ``SETTINGS`` with its documentation, and a test checks that
``docs/settings.md`` mentions each one.
"""

from __future__ import annotations

import ipaddress
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Literal

from accord.errors import ConfigurationError

Mode = Literal["development", "production"]
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

SETTINGS: dict[str, str] = {
    "data_dir": "Directory for the embedded database and demo.json (default ./accord-data).",
    "database_url": "SQLAlchemy URL; default SQLite at DATA_DIR/accord.db. "
    "PostgreSQL: postgresql+psycopg://user@host:5432/db.",
    "mode": "development (default) or production; production refuses non-durable settings.",
    "host": "Address `accord serve` binds (default 127.0.0.1).",
    "port": "Port `accord serve` listens on (default 8000).",
    "public_url": "Base URL the node is reached at, used in feeds and links "
    "(default http://HOST:PORT).",
    "node_name": "A short name for this node, shown in feeds and the API (default accord).",
    "max_document_bytes": "Largest CAP document accepted, in bytes (default 2097152 = 2 MiB).",
    "max_batch_items": "Most alerts in one POST /api/v1/alerts:batch (default 1000).",
    "sqlite_synchronous": "SQLite synchronous pragma: FULL (default), NORMAL or OFF. "
    "Production mode requires FULL.",
    "log_level": "debug, info (default), warning or error.",
    "key_dir": "Directory of private signing keys (default DATA_DIR/keys); keep it private "
    "and backed up.",
    "log_origin": "The log's C2SP origin line and note key name (default: the node name).",
    "witness_keys": "Comma-separated C2SP verifier keys (type 0x04, cosignature/v1) of "
    "witnesses whose cosignatures the node accepts.",
    "checkpoint_interval": "Seconds after which an idle node re-signs its checkpoint "
    "(default 3600).",
    "audit_interval": "Seconds between the node's audits of its own log: one when "
    "`accord serve` has started, then one every interval (default 86400; 0: none).",
    "worker": "in-process (default): `accord serve` also sends deliveries and escalations; "
    "off: run `accord worker` separately (several may run against PostgreSQL).",
    "delivery_timeout": "Seconds one webhook or e-mail attempt may take in all (default 10).",
    "delivery_lease": "Seconds a worker holds a batch it claimed before another may take it "
    "(default 120; must outlast the slowest batch).",
    "outbound_allowlist": "Comma-separated networks (CIDR) or host names that webhooks may "
    "reach although they are loopback, private or link-local; everything else of that kind "
    "is refused before connecting.",
    "smtp_host": "SMTP server for e-mail deliveries; empty (default) disables e-mail endpoints.",
    "smtp_port": "SMTP port (default 25).",
    "smtp_sender": "From address of e-mail deliveries (default accord@NODE_NAME.invalid).",
    "smtp_username": "SMTP login, if the server needs one.",
    "smtp_password": "SMTP password, if the server needs one.",
    "smtp_starttls": "true to upgrade the SMTP connection with STARTTLS (default false).",
    "secretariat": "Participant code of the regional secretariat, the last step of every "
    "escalation (e.g. BSRC in the demo); empty: escalations stop at focal points.",
    "authors": "Comma-separated participant codes this node writes records for (default: "
    "all, a one-node region). In a federation each participant is written for by one node.",
    "federation_interval": "Seconds between pulls from every peer (default 5; 0: only on "
    "demand, POST /api/v1/peers/ID/pull).",
    "agreement_notice_days": "Days before an agreement's review or sunset that the "
    "secretariat's node announces it to the parties (default 30; 0: never).",
    "deadline_policy": "Path of a JSON file replacing the default acknowledgement/response "
    "deadlines and update cadence (format in docs/delivery.md).",
    "trusted_proxies": "Comma-separated addresses or networks (CIDR) of reverse proxies whose "
    "X-Forwarded-For and X-Forwarded-Proto the node believes (default: none).",
    "rate_limit_token": "Requests per second one API token, console session or federation "
    "peer may make, sustained (default 500; 0: no limit).",
    "rate_limit_token_burst": "Requests one token, session or peer may make at once above "
    "its rate (default 5000).",
    "rate_limit_address": "Requests per second one client address may make without "
    "credentials, sustained (default 200; 0: no limit).",
    "rate_limit_address_burst": "Requests one address may make at once above its rate "
    "(default 2000).",
}

_INT_SETTINGS = frozenset(
    {
        "port",
        "max_document_bytes",
        "max_batch_items",
        "checkpoint_interval",
        "audit_interval",
        "delivery_timeout",
        "delivery_lease",
        "smtp_port",
        "federation_interval",
        "agreement_notice_days",
        "rate_limit_token",
        "rate_limit_token_burst",
        "rate_limit_address",
        "rate_limit_address_burst",
    }
)


@dataclass(frozen=True, slots=True)
class Settings:
    data_dir: Path = field(default_factory=lambda: Path("accord-data"))
    database_url: str = ""
    mode: Mode = "development"
    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str = ""
    node_name: str = "accord"
    max_document_bytes: int = 2 * 1024 * 1024
    max_batch_items: int = 1000
    sqlite_synchronous: str = "FULL"
    log_level: str = "info"
    key_dir: Path | None = None
    log_origin: str = ""
    witness_keys: str = ""
    checkpoint_interval: int = 3600
    audit_interval: int = 86400
    worker: str = "in-process"
    delivery_timeout: int = 10
    delivery_lease: int = 120
    outbound_allowlist: str = ""
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_sender: str = ""
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_starttls: str = "false"
    secretariat: str = ""
    deadline_policy: str = ""
    authors: str = ""
    federation_interval: int = 5
    agreement_notice_days: int = 30
    trusted_proxies: str = ""
    rate_limit_token: int = 500
    rate_limit_token_burst: int = 5000
    rate_limit_address: int = 200
    rate_limit_address_burst: int = 2000

    @property
    def trusted_proxy_networks(self) -> tuple[Network, ...]:
        return parse_networks(self.trusted_proxies, "trusted_proxies")

    @property
    def author_set(self) -> frozenset[str]:
        return frozenset(a.strip().upper() for a in self.authors.split(",") if a.strip())

    @property
    def allowlist(self) -> tuple[str, ...]:
        return tuple(a.strip() for a in self.outbound_allowlist.split(",") if a.strip())

    @property
    def resolved_smtp_sender(self) -> str:
        return self.smtp_sender or f"accord@{self.node_name}.invalid"

    @property
    def resolved_key_dir(self) -> Path:
        return self.key_dir if self.key_dir is not None else self.data_dir / "keys"

    @property
    def resolved_log_origin(self) -> str:
        return self.log_origin or self.node_name

    @property
    def witness_key_list(self) -> tuple[str, ...]:
        return tuple(k.strip() for k in self.witness_keys.split(",") if k.strip())

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'accord.db').resolve()}"

    @property
    def resolved_public_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")


def load_settings(
    environ: Mapping[str, str] | None = None, config_file: Path | None = None, **overrides: object
) -> Settings:
    """Settings from the environment (``ACCORD_*``) over ``accord.toml`` over defaults."""
    env = os.environ if environ is None else environ
    path = config_file or Path(env.get("ACCORD_CONFIG", "accord.toml"))
    values: dict[str, object] = {}
    if path.is_file():
        values.update(_read_toml(path))
    for name in SETTINGS:
        key = f"ACCORD_{name.upper()}"
        if key in env:
            values[name] = env[key]
    values.update({k: v for k, v in overrides.items() if v is not None})
    coerced: dict[str, Any] = _coerce(values)
    return _validated(replace(Settings(), **coerced))


def _read_toml(path: Path) -> dict[str, object]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigurationError(f"cannot read {path}: {exc}") from exc
    unknown = sorted(set(data) - set(SETTINGS))
    if unknown:
        raise ConfigurationError(f"{path}: unknown settings {', '.join(unknown)}")
    return dict(data)


def _coerce(values: dict[str, object]) -> dict[str, object]:
    known = {f.name for f in fields(Settings)}
    coerced: dict[str, object] = {}
    for name, value in values.items():
        if name not in known:
            raise ConfigurationError(f"unknown setting {name!r}")
        if name in _INT_SETTINGS:
            try:
                coerced[name] = int(str(value))
            except ValueError as exc:
                raise ConfigurationError(f"{name} must be an integer, got {value!r}") from exc
        elif name in ("data_dir", "key_dir"):
            coerced[name] = Path(str(value))
        else:
            coerced[name] = str(value)
    return coerced


def _validated(settings: Settings) -> Settings:
    if settings.mode not in ("development", "production"):
        raise ConfigurationError("mode must be 'development' or 'production'")
    synchronous = settings.sqlite_synchronous.upper()
    if synchronous not in ("FULL", "NORMAL", "OFF", "EXTRA"):
        raise ConfigurationError("sqlite_synchronous must be FULL, EXTRA, NORMAL or OFF")
    if (
        settings.mode == "production"
        and settings.is_sqlite
        and synchronous not in ("FULL", "EXTRA")
    ):
        raise ConfigurationError(
            "production mode needs durable commits: set ACCORD_SQLITE_SYNCHRONOUS=FULL"
        )
    if settings.worker not in ("in-process", "off"):
        raise ConfigurationError("worker must be 'in-process' or 'off'")
    if settings.smtp_starttls.lower() not in ("true", "false"):
        raise ConfigurationError("smtp_starttls must be true or false")
    if settings.delivery_timeout < 1 or settings.delivery_lease < 2 * settings.delivery_timeout:
        raise ConfigurationError(
            "delivery_timeout must be >= 1 s and delivery_lease at least twice as long"
        )
    if settings.max_document_bytes < 1024 or settings.max_batch_items < 1:
        raise ConfigurationError("max_document_bytes must be >= 1024 and max_batch_items >= 1")
    if settings.audit_interval < 0:
        raise ConfigurationError("audit_interval must be 0 (no audits) or more seconds")
    if not 0 <= settings.agreement_notice_days <= 366:
        raise ConfigurationError("agreement_notice_days must be from 0 (never) to 366")
    parse_networks(settings.trusted_proxies, "trusted_proxies")  # a bad list stops the start
    _check_rate_limits(settings)
    return replace(settings, sqlite_synchronous=synchronous)


def _check_rate_limits(settings: Settings) -> None:
    for name in ("rate_limit_token", "rate_limit_address"):
        if getattr(settings, name) < 0 or getattr(settings, f"{name}_burst") < 1:
            raise ConfigurationError(
                f"{name} must be 0 (no limit) or more requests per second, "
                f"and {name}_burst at least 1"
            )


def parse_networks(text: str, setting: str) -> tuple[Network, ...]:
    """Comma-separated addresses or CIDR networks, as the ``ipaddress`` module reads them
    (an address is a network of one); anything else names the setting and the bad entry."""
    networks: list[Network] = []
    for entry in (part.strip() for part in text.split(",")):
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry))
        except ValueError as exc:
            raise ConfigurationError(
                f"{setting}: {entry!r} is not an IP address or network (CIDR): {exc}"
            ) from exc
    return tuple(networks)
