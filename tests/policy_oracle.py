"""An independent statement of the read policy, written from the table in docs/sharing.md.

It is deliberately a literal list of who may read what, not code shaped like
``domain.sharing.may_read``, so a mistake in one is unlikely to be repeated in the other.
"""

from __future__ import annotations

# (tlp, role, relation): relation is "author", "audience", "other" (named audience, reader
# not in it) or "open" (no audience named, reader is not the author).
_ALLOWED = {
    *{
        ("GREEN", role, rel)
        for role in ("focal-point", "analyst", "observer")
        for rel in ("author", "audience", "other", "open")
    },
    *{
        ("AMBER", role, rel)
        for role in ("focal-point", "analyst", "observer")
        for rel in ("author", "audience", "open")
    },
    *{
        ("AMBER+STRICT", role, rel)
        for role in ("focal-point", "analyst")
        for rel in ("author", "audience", "open")
    },
    ("RED", "focal-point", "author"),
    ("RED", "analyst", "author"),
    ("RED", "focal-point", "audience"),
}


def oracle_may_read(
    role: str, participant: str | None, tlp: str, audience: frozenset[str], author: str
) -> bool:
    if role == "admin" or tlp == "CLEAR":
        return True
    if participant is None:
        return False
    if participant == author:
        relation = "author"
    elif participant in audience:
        relation = "audience"
    elif audience:
        relation = "other"
    else:
        relation = "open"
    return (tlp, role, relation) in _ALLOWED
