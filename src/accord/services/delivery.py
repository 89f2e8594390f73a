"""The delivery worker: takes due deliveries from the outbox and carries them out.

One round claims a batch under a lease (one short transaction), sends it concurrently
outside any transaction, then records every outcome (a second short transaction): sent,
retry later on the Standard Webhooks schedule, failed for good (the dead-letter state,
replayable by an admin), or the endpoint said 410 Gone and is disabled. A crash between
the two transactions leaves the batch leased; when the lease runs out it is sent again
with the same message ids, so nothing is lost and receivers can drop the repeats.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta

from accord.domain.routing.retries import next_attempt
from accord.services.delivery_ports import Channels, DueDelivery, SendOutcome
from accord.services.escalation import Escalator
from accord.services.ports import Clock, UnitOfWorkFactory

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class WorkerSettings:
    batch: int = 64
    concurrency: int = 16
    # Must outlast the slowest batch (batch / concurrency x the channel timeout), or a
    # second worker could claim deliveries the first is still sending.
    lease: timedelta = timedelta(seconds=120)
    idle_sleep: float = 0.5


class DeliveryWorker:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        channels: Channels,
        escalator: Escalator,
        settings: WorkerSettings | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._channels = channels
        self._escalator = escalator
        self.settings = settings or WorkerSettings()
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not a secret
        self._pool = ThreadPoolExecutor(
            max_workers=self.settings.concurrency, thread_name_prefix="accord-delivery"
        )
        self._wake = threading.Event()

    def wake(self) -> None:
        """Something was queued: skip the idle wait."""
        self._wake.set()

    def run_once(self) -> int:
        """Fire due escalations, then send one batch; returns how many were attempted."""
        self._escalator.tick()
        now = self._clock.now()
        with self._uow() as uow:
            due = uow.deliveries.claim_due(now, self.settings.batch, now + self.settings.lease)
        if not due:
            return 0
        outcomes = list(self._pool.map(self._send, due))
        self._record(due, outcomes)
        return len(due)

    def drain(self, max_rounds: int = 1000) -> int:
        """Send until nothing is due now (tests and `accord worker --once`)."""
        total = 0
        for _ in range(max_rounds):
            sent = self.run_once()
            if sent == 0:
                break
            total += sent
        return total

    def run_forever(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                sent = self.run_once()
            except Exception:  # a bad round must not stop delivery for good
                logger.exception("delivery round failed; trying again")
                sent = 0
            if sent == 0:
                self._wake.wait(self.settings.idle_sleep)
                self._wake.clear()

    def close(self) -> None:
        self._pool.shutdown(wait=True)

    def _send(self, delivery: DueDelivery) -> SendOutcome:
        try:
            return self._channels.send(delivery, self._clock.now())
        except Exception as exc:  # a channel bug is a failed attempt, not a lost delivery
            logger.exception("channel raised for delivery %s", delivery.id)
            return SendOutcome(False, None, f"internal error: {type(exc).__name__}")

    def _record(self, due: Sequence[DueDelivery], outcomes: Sequence[SendOutcome]) -> None:
        now = self._clock.now()
        with self._uow() as uow:
            for delivery, outcome in zip(due, outcomes, strict=True):
                retry_at = None
                if outcome.delivered:
                    state = "delivered"
                elif outcome.gone or outcome.permanent:
                    state = "failed"
                else:
                    retry_at = next_attempt(delivery.attempts + 1, now, self._rng)
                    state = "pending" if retry_at is not None else "failed"
                uow.deliveries.record_attempt(
                    delivery, outcome, at=now, state=state, next_attempt_at=retry_at
                )
                if outcome.gone:
                    reason = "the receiver answered 410 Gone"
                    uow.subscriptions.update_endpoint(
                        delivery.endpoint.id, state="disabled", reason=reason
                    )
                    uow.deliveries.cancel_pending(delivery.endpoint.id, reason)
