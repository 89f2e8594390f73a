"""Who may use which CAP ``sender``: each participant registers the addresses or domains
its agencies send from, and an alert is refused when its sender is another's.

CAP's ``sender`` is how readers (and the public portal) name who issued a message, so a
participant must not be able to issue under another's; a node in production mode also
refuses senders nobody registered. A registration is either an exact address
(``ops@ema.ee``) or a domain (``ema.ee``), which covers its addresses (``x@ema.ee``) and
its subdomains (``x@rescue.ema.ee``, ``rescue.ema.ee``). Comparison ignores case, as
mail domains do.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from accord.errors import InvalidInputError, Problem

MAX_SENDER = 255
# An address or a domain: no spaces, commas or ampersands (CAP forbids them in sender).
_SENDER = re.compile(r"^(?:[^\s,&@]+@)?[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$")


@dataclass(frozen=True, slots=True)
class Registration:
    participant: str
    registered_at: datetime
    removed_at: datetime | None = None

    def in_force_at(self, at: datetime) -> bool:
        return self.registered_at <= at and (self.removed_at is None or at < self.removed_at)


def in_force(registrations: Iterable[tuple[str, Registration]], at: datetime) -> dict[str, str]:
    """The registrations in force at ``at``, as ``owner_of`` reads them: one made later
    never hides what another issued under it before, and one removed later still decides
    for what arrived while it held, so a rebuild decides as the live node did."""
    return {sender: held.participant for sender, held in registrations if held.in_force_at(at)}


def validate_sender(sender: str) -> str:
    """A registration in its stored form (lower case), or every problem with it."""
    cleaned = sender.strip().lower()
    if not cleaned or len(cleaned) > MAX_SENDER or not _SENDER.match(cleaned):
        raise InvalidInputError(
            "not a sender address or domain",
            [
                Problem(
                    "/sender",
                    "INVALID_SENDER",
                    "give an address (ops@ema.ee) or a domain (ema.ee), without spaces "
                    f"or commas, at most {MAX_SENDER} characters",
                )
            ],
        )
    return cleaned


def owner_of(sender: str, registered: Mapping[str, str]) -> str | None:
    """The participant that registered ``sender``: by exact address first, then by the
    closest enclosing domain. ``registered`` maps registrations to participant codes."""
    name = _folded(sender)
    if name in registered:
        return registered[name]
    domain = name.rpartition("@")[2]
    labels = domain.split(".")
    for start in range(len(labels)):
        owner = registered.get(".".join(labels[start:]))
        if owner is not None:
            return owner
    return None


def sender_problem(
    sender: str, author: str, registered: Mapping[str, str], *, require_registered: bool
) -> str | None:
    """Why ``author`` may not issue under ``sender``, or None when it may."""
    if sender.count("@") > 1:
        return f"the sender {sender!r} names more than one address; give one"
    if _disguised(sender):
        return (
            f"the sender {sender!r} holds invisible, control or look-alike characters or an "
            "empty domain label; give it in plain characters"
        )
    owner = owner_of(sender, registered)
    if owner is not None and owner != author:
        return f"the sender {sender!r} is registered to {owner}; issue under your own senders"
    if owner is None and require_registered:
        return (
            f"the sender {sender!r} is not registered to {author}; "
            "an admin registers it with `accord participant add-sender`"
        )
    return None


# Dots that are not "." but read as one, and characters that change nothing a reader sees.
_DOTS = str.maketrans({"\u3002": ".", "\uff0e": ".", "\uff61": "."})
_HIDDEN = frozenset({"Cc", "Cf", "Co", "Cn", "Zs", "Zl", "Zp"})


def _folded(sender: str) -> str:
    """A sender as registrations are compared: NFKC, case-folded, look-alike dots made
    dots, a trailing dot dropped (the same DNS name)."""
    return unicodedata.normalize("NFKC", sender.strip()).translate(_DOTS).casefold().rstrip(".")


def _disguised(sender: str) -> bool:
    """Whether a sender could show as another's: invisible or control characters, dots
    that are not dots, or an empty label (``rescue..ee``)."""
    if any(unicodedata.category(c) in _HIDDEN for c in sender.strip()):
        return True
    if sender != sender.translate(_DOTS):
        return True
    domain = sender.strip().rstrip(".").rpartition("@")[2]
    return "" in domain.split(".")
