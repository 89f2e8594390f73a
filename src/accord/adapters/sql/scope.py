"""The read policy of ``domain.sharing.may_read`` as a SQL condition.

Queries filter in the database so pages are full and counts honest; the tests run this
condition and ``may_read`` against an independent oracle over thousands of random pairs,
so the two cannot drift apart silently.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, false, or_, true

from accord.adapters.sql.tables import alerts
from accord.domain.identity import Role
from accord.domain.sharing import Reader, Tlp

_MEMBERS = {Role.FOCAL_POINT, Role.ANALYST, Role.OBSERVER}
_STAFF = {Role.FOCAL_POINT, Role.ANALYST}


def audience_codes(codes: frozenset[str]) -> str:
    """Audience stored as ``,EE,LV,`` so membership is a LIKE that both engines index-scan."""
    return "," + ",".join(sorted(codes)) + "," if codes else ""


def readable_by(reader: Reader) -> ColumnElement[bool]:
    if reader.role is Role.ADMIN:
        return true()
    clear = alerts.c.tlp == Tlp.CLEAR.value
    if reader.role not in _MEMBERS or reader.participant is None:
        return clear
    participant = reader.participant
    is_author = alerts.c.author_code == participant
    in_audience = alerts.c.audience_codes.like(f"%,{participant},%")
    open_or_named = or_(is_author, in_audience, alerts.c.audience_codes == "")
    is_staff = reader.role in _STAFF
    return or_(
        clear,
        alerts.c.tlp == Tlp.GREEN.value,
        and_(alerts.c.tlp == Tlp.AMBER.value, open_or_named),
        and_(alerts.c.tlp == Tlp.AMBER_STRICT.value, open_or_named) if is_staff else false(),
        and_(
            alerts.c.tlp == Tlp.RED.value,
            or_(
                and_(is_author, true() if is_staff else false()),
                and_(in_audience, true() if reader.role is Role.FOCAL_POINT else false()),
            ),
        ),
    )
