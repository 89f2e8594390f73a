"""The composition root: builds a node's services from settings, and nothing else does."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy.engine import Engine

from accord.adapters.channels.destinations import DestinationPolicy
from accord.adapters.channels.dispatch import ChannelDispatcher
from accord.adapters.channels.email import SmtpSender
from accord.adapters.channels.webhooks import WebhookSender
from accord.adapters.clock import SystemClock
from accord.adapters.federation.client import HttpPeerClient
from accord.adapters.federation.signatures import RequestSigner, SignedAuth
from accord.adapters.keystore import FileKeystore
from accord.adapters.passwords import Argon2PasswordHasher
from accord.adapters.sql import migrate
from accord.adapters.sql.engine import make_engine
from accord.adapters.sql.legacy import sign_legacy_records
from accord.adapters.sql.unit_of_work import SqlUnitOfWorkFactory
from accord.config import Settings
from accord.domain.routing.deadlines import DEFAULT_POLICY, DeadlinePolicy, policy_from_json
from accord.errors import ConfigurationError, InvalidInputError
from accord.services.agreement_reminders import ReminderService
from accord.services.alerts import AlertService
from accord.services.compliance import ComplianceService
from accord.services.delivery import DeliveryWorker, WorkerSettings
from accord.services.delivery_ports import Channels
from accord.services.escalation import Escalator
from accord.services.federation import FederationService
from accord.services.federation_ports import PeerClient, PeerClients, PeerRow
from accord.services.identity import IdentityService
from accord.services.keys import KeyService
from accord.services.log import LogService
from accord.services.log_audit import LogAuditService
from accord.services.ports import Clock
from accord.services.records import RecordWriter
from accord.services.responses import ResponseService
from accord.services.routing import Router
from accord.services.sessions import SessionService
from accord.services.subscriptions import SubscriptionService


@dataclass(frozen=True, slots=True)
class Node:
    settings: Settings
    engine: Engine
    clock: Clock
    identity: IdentityService
    alerts: AlertService
    log: LogService
    log_audit: LogAuditService
    keys: KeyService
    keystore: FileKeystore
    router: Router
    subscriptions: SubscriptionService
    responses: ResponseService
    worker: DeliveryWorker
    federation: FederationService
    compliance: ComplianceService
    reminders: ReminderService
    sessions: SessionService

    def close(self) -> None:
        self.worker.close()
        self.engine.dispose()


def build(
    settings: Settings,
    *,
    clock: Clock | None = None,
    migrate_schema: bool = True,
    channels: Channels | None = None,
    peer_clients: PeerClients | None = None,
) -> Node:
    """Wire a node: engine, migrations applied, services over one unit-of-work factory."""
    engine = make_engine(
        settings.resolved_database_url,
        sqlite_synchronous=settings.sqlite_synchronous,
        production=settings.mode == "production",
    )
    if migrate_schema:
        migrate.upgrade(engine)
    uow = SqlUnitOfWorkFactory(engine)
    clock = clock or SystemClock()
    keystore = FileKeystore(settings.resolved_key_dir)
    writer = RecordWriter(keystore, clock)
    log = LogService(uow, clock, keystore, settings.resolved_log_origin, settings.witness_key_list)
    keys = KeyService(uow, clock, keystore, writer, log, settings.author_set)
    router = Router(clock, _deadline_policy(settings))
    responses = ResponseService(uow, clock, writer, log, router)
    worker = DeliveryWorker(
        uow,
        clock,
        channels or _channels(settings),
        Escalator(uow, clock, router, settings.secretariat or None),
        WorkerSettings(lease=timedelta(seconds=settings.delivery_lease)),
    )
    alerts = AlertService(
        uow,
        clock,
        writer,
        log,
        listeners=(router, responses),
        writes_for=keys.writes_for,
        require_registered_senders=settings.mode == "production",
    )
    alerts.when_committed(worker.wake)
    compliance = ComplianceService(
        uow,
        clock,
        writer,
        log,
        secretariat=settings.secretariat or None,
        writes_for=keys.writes_for,
    )
    node = Node(
        settings=settings,
        engine=engine,
        clock=clock,
        identity=IdentityService(uow, clock, on_participant_added=keys.on_participant_added),
        alerts=alerts,
        log=log,
        log_audit=LogAuditService(uow, clock, log, settings.witness_key_list),
        keys=keys,
        keystore=keystore,
        router=router,
        subscriptions=SubscriptionService(uow, clock, email_enabled=bool(settings.smtp_host)),
        responses=responses,
        worker=worker,
        federation=FederationService(
            uow,
            clock,
            alerts,
            peer_clients or _peer_clients(log, keystore, settings, clock),
            cosign=log.cosign,
            name=log.origin,
        ),
        compliance=compliance,
        reminders=ReminderService(
            uow,
            clock,
            compliance,
            alerts,
            secretariat=settings.secretariat or None,
            notice_days=settings.agreement_notice_days,
            writes_for=keys.writes_for,
        ),
        sessions=SessionService(uow, clock, Argon2PasswordHasher()),
    )
    log.more_witnesses = node.federation.peer_witnesses
    if migrate_schema:
        prepare_log(node)
    return node


def prepare_log(node: Node) -> None:
    """The log key; records from before signing signed and logged (in their order, by keys
    registered right after them); every participant's key registered; a checkpoint."""
    node.keys.ensure_log_key()
    keystore = node.keystore
    sign_legacy_records(
        node.engine,
        keystore.sign,
        lambda code: keystore.public_key(code) if keystore.has(code) else keystore.create(code),
    )
    node.keys.register_missing()
    node.log.ensure_checkpoint()


def _channels(settings: Settings) -> ChannelDispatcher:
    webhooks = WebhookSender(
        DestinationPolicy(settings.allowlist),
        timeout_s=float(settings.delivery_timeout),
        user_agent=f"Accord/{settings.node_name}",
    )
    email = (
        SmtpSender(
            settings.smtp_host,
            settings.smtp_port,
            settings.resolved_smtp_sender,
            username=settings.smtp_username or None,
            password=settings.smtp_password or None,
            starttls=settings.smtp_starttls.lower() == "true",
            timeout_s=float(settings.delivery_timeout),
        )
        if settings.smtp_host
        else None
    )
    return ChannelDispatcher(webhooks, email, settings.resolved_public_url)


def _deadline_policy(settings: Settings) -> DeadlinePolicy:
    if not settings.deadline_policy:
        return DEFAULT_POLICY
    path = Path(settings.deadline_policy)
    try:
        return policy_from_json(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError) as exc:
        raise ConfigurationError(f"cannot read the deadline policy {path}: {exc}") from exc
    except InvalidInputError as exc:
        details = "; ".join(f"{p.location}: {p.message}" for p in exc.problems)
        raise ConfigurationError(f"the deadline policy {path} is not valid: {details}") from exc


def _peer_clients(
    log: LogService, keystore: FileKeystore, settings: Settings, clock: Clock
) -> PeerClients:
    """Clients that sign every request with this node's log key (RFC 9421), dated by the
    node's clock."""

    def client_for(peer: PeerRow) -> PeerClient:
        signer = RequestSigner(
            log.verifier_key, lambda message: keystore.sign("log", message), clock=clock.now
        )
        return HttpPeerClient(
            peer.url, SignedAuth(signer), timeout_s=float(settings.delivery_timeout)
        )

    return client_for
