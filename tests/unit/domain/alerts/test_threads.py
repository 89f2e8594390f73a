"""The thread rule and each reader's fold of a thread."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from accord.domain.alerts.cap import MessageKey
from accord.domain.alerts.threads import (
    Message,
    Referenced,
    ThreadState,
    fold,
    foreign_threads,
    readable_by_author,
    thread_to_join,
)
from accord.domain.sharing import Scope, Tlp

T0 = datetime(2026, 1, 1, tzinfo=UTC)
KEY = MessageKey("met@ee.example", "A-1", T0)


def _held(author: str, tlp: Tlp = Tlp.CLEAR, audience: frozenset[str] = frozenset()) -> Referenced:
    return Referenced(1, "r1", 1, author, author, Scope(tlp, audience), KEY)


def test_an_update_or_cancel_joins_only_its_own_issuers_thread() -> None:
    held = [_held("EE")]
    assert thread_to_join("EE", "Cancel", held) == held[0]
    assert thread_to_join("LT", "Cancel", held) is None
    assert thread_to_join("LT", "Update", held) is None
    assert foreign_threads("LT", "Cancel", held) == ["EE"]


def test_recipients_ack_and_error_join_the_thread_they_may_read() -> None:
    held = [_held("EE", Tlp.AMBER)]
    assert thread_to_join("LT", "Ack", held) == held[0]
    assert thread_to_join("LT", "Error", held) == held[0]
    assert foreign_threads("LT", "Ack", held) == []


def test_a_message_its_author_may_not_read_is_a_reference_to_nothing() -> None:
    secret = [_held("EE", Tlp.RED)]
    for msg_type in ("Ack", "Update", "Cancel", "Error"):
        assert thread_to_join("LT", msg_type, secret) is None
    assert foreign_threads("LT", "Cancel", secret) == []  # refused as nothing, not as foreign
    assert readable_by_author("LT", secret) == []
    assert readable_by_author("LT", [_held("EE", Tlp.RED, frozenset({"LT"}))]) != []


def test_a_thread_folds_to_its_issuers_last_word() -> None:
    alert = Message("Alert", "Actual", T0, T0 + timedelta(days=1))
    update = Message("Update", "Actual", T0 + timedelta(hours=1), T0 + timedelta(days=2))
    ack = Message("Ack", "Actual", T0 + timedelta(hours=2), None)
    cancel = Message("Cancel", "Actual", T0 + timedelta(hours=3), None)
    view = fold([alert, update, ack])
    assert view is not None
    assert (view.state, view.message_count, view.expires_at) == (
        ThreadState.UPDATED,
        3,
        update.expires_at,
    )
    assert view.updated_at == ack.received_at
    ended = fold([alert, update, ack, cancel])
    assert ended is not None
    assert ended.state is ThreadState.CANCELLED
    assert fold([]) is None


_TYPES = st.sampled_from(["Alert", "Update", "Cancel", "Ack", "Error"])


@given(st.lists(_TYPES, min_size=1, max_size=12), st.data())
def test_a_reader_who_sees_fewer_messages_never_sees_a_cancel_they_may_not_read(
    types: list[str], data: st.DataObject
) -> None:
    messages = [Message(t, "Actual", T0 + timedelta(minutes=i), None) for i, t in enumerate(types)]
    visible = data.draw(st.lists(st.booleans(), min_size=len(types), max_size=len(types)))
    seen = [m for m, shown in zip(messages, visible, strict=True) if shown]
    view = fold(seen)
    if view is not None and view.state is ThreadState.CANCELLED:
        assert any(m.msg_type == "Cancel" for m in seen)


def test_an_issuers_own_message_under_a_copied_key_comes_first() -> None:
    theirs = Referenced(1, "r1", 1, "LT", "LT", Scope(Tlp.CLEAR), KEY)
    mine = Referenced(2, "r2", 2, "EE", "EE", Scope(Tlp.CLEAR), KEY)
    assert thread_to_join("EE", "Cancel", [theirs, mine]) == mine
    assert foreign_threads("EE", "Cancel", [theirs, mine]) == []
    assert thread_to_join("LV", "Ack", [theirs, mine]) == theirs


def test_a_new_alert_starts_its_own_thread_whatever_it_cites() -> None:
    assert thread_to_join("EE", "Alert", [_held("LT")]) is None
    assert thread_to_join("EE", "Alert", [_held("EE")]) is None
