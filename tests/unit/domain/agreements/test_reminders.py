"""Which reviews, sunsets and lapses are announced on a given day."""

from __future__ import annotations

from datetime import date, timedelta

from accord.domain.agreements.model import Agreement
from accord.domain.agreements.reminders import due_reminders
from accord.domain.agreements.reports import CalendarEntry
from tests.unit.domain.agreements.factories import agreement, obligation

TODAY = date(2027, 3, 1)


def _pact(parties: tuple[str, ...] | str = ("EE", "LV")) -> Agreement:
    daily = obligation("share", "periodic-sharing", {"kind": "weather", "every_days": 1})
    return agreement(daily, name="pact", parties=list(parties) if parties != "all" else "all")


def _on(kind: str, days: int) -> CalendarEntry:
    return CalendarEntry("pact", kind, TODAY + timedelta(days=days), kind)


def test_reviews_and_sunsets_are_announced_within_the_notice_period() -> None:
    entries = [_on("review", 0), _on("review", 30), _on("sunset", 12), _on("review", 31)]
    due = due_reminders(entries, {"pact": _pact()}, TODAY, 30)
    assert [(r.kind, r.on) for r in due] == [
        ("review", TODAY),
        ("review", TODAY + timedelta(days=30)),
        ("sunset", TODAY + timedelta(days=12)),
    ]
    assert due[0].parties == ("EE", "LV")
    assert due[0].key == "ACCORD-AGREEMENT-pact-review-20270301"


def test_a_lapse_is_news_for_the_notice_period_after_it_and_history_then() -> None:
    entries = [_on("lapsed", -30), _on("lapsed", -31)]
    due = due_reminders(entries, {"pact": _pact()}, TODAY, 30)
    assert [r.on for r in due] == [TODAY - timedelta(days=30)]
    assert "lapsed" in due[0].headline


def test_nothing_is_announced_with_no_notice_period_or_for_unknown_agreements() -> None:
    entries = [_on("review", 1), CalendarEntry("other", "review", TODAY, "review")]
    assert due_reminders(entries, {"pact": _pact()}, TODAY, 0) == []
    assert [r.agreement for r in due_reminders(entries, {"pact": _pact()}, TODAY, 5)] == ["pact"]


def test_entering_into_force_is_not_announced_and_all_parties_read_as_none() -> None:
    entries = [_on("starts", 1), _on("review", 1)]
    (due,) = due_reminders(entries, {"pact": _pact(parties="all")}, TODAY, 30)
    assert due.kind == "review"
    assert due.parties is None
