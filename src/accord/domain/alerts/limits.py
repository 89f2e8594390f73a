"""The limits every CAP input path enforces, and the bounds every page and feed draws within.

One alert, whichever way it comes in (``POST /api/v1/alerts``, each item of a batch, each
alert of an ``<alerts>`` wrapper or an EDXL-DE envelope, CAP JSON, the compose form,
``accord cap validate``), is held to the same numbers, declared here and nowhere else. Each
limit is well above what real alerts need (the reference corpus peaks at 997 elements, four
attributes on an element, 142 characters in an attribute, 4,991 characters of text outside
polygons and embedded resources, and one polygon of 41,009 points: Burkina Faso's outline),
and low enough that refusing what breaks it costs a fraction of a second per MiB.

Too many problems is a problem of its own: a hostile document can break one rule a hundred
thousand times, and the answer should not be bigger than the question. ``bounded`` keeps the
first ``MAX_PROBLEMS`` and says, in one ``ProblemsLeftOut``, how many more there were.

The render bounds are what one alert may put on a page or in a feed entry, so that a single
alert (even one stored before these limits existed) cannot make a page slow for everyone.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from accord.errors import Problem, Severity

# ---------------------------------------------------------------- input limits, per alert

MAX_DOCUMENT_BYTES = 2 * 1024 * 1024  # one alert's document (default of max_document_bytes)
BATCH_BYTES_FACTOR = 16  # a batch body may be this many documents long
MAX_DEPTH = 64  # elements nested in one document (CAP needs 6, EDXL-DE and XML-DSig a few more)
MAX_ELEMENTS = 10_000  # elements in one alert
MAX_ATTRIBUTES = 32  # attributes on one element (CAP allows almost none; XML-DSig a few)
MAX_NAMESPACES = 64  # namespace declarations (xmlns attributes) in one alert
MAX_ATTRIBUTE_CHARS = 1_024  # characters in one attribute value (and one JSON member name)
MAX_TEXT_CHARS = 65_536  # characters of text in one element, but <polygon> and <derefUri>
MAX_POLYGON_POINTS = 50_000  # lat,lon pairs in one <polygon>; its text is bounded by them
MAX_PROBLEMS = 100  # problems reported for one document; the rest are counted

# Elements whose text has its own bound: a polygon its points, an embedded resource
# (base64 data in <derefUri>) the document's size.
LONG_TEXT_ELEMENTS = ("polygon", "derefUri")

# ---------------------------------------------------------------- render bounds, per alert

MAX_DRAWN_POINTS = 1_000  # corners of one alert's area drawn on a map (simplified to fit)
MAX_SHOWN_CHARS = 4_000  # characters of one description or instruction on an alert page
MAX_LISTED_CHARS = 200  # characters of a headline or an area name in a list, title or feed
MAX_LISTED_AREAS = 20  # areas named for one alert in a list or a feed entry
MAX_SUMMARY_CHARS = 1_000  # characters of a feed entry's summary

LEFT_OUT_CODE = "TOO_MANY_PROBLEMS"


@dataclass(frozen=True, slots=True)
class ProblemsLeftOut(Problem):
    """Stands for ``count`` problems that were found but not listed."""

    count: int = 0


def left_out(count: int, severity: Severity = "error") -> ProblemsLeftOut:
    """The entry that closes a cut list: how many more problems there were."""
    noun = "problem was" if count == 1 else "problems were"
    message = f"{count} more {noun} left out; at most {MAX_PROBLEMS} are listed"
    return ProblemsLeftOut("/", LEFT_OUT_CODE, message, severity, count)


def bounded(problems: Iterable[Problem], most: int = MAX_PROBLEMS) -> list[Problem]:
    """At most ``most`` problems, in their order, then one ``ProblemsLeftOut`` for the rest.

    Lists cut earlier may already end in a ``ProblemsLeftOut``; their counts are added up,
    so the closing entry always tells the whole number left out.
    """
    kept: list[Problem] = []
    count = 0
    severity: Severity = "warning"
    for problem in problems:
        if isinstance(problem, ProblemsLeftOut):
            count += problem.count
            severity = "error" if problem.severity == "error" else severity
        elif len(kept) < most:
            kept.append(problem)
        else:
            count += 1
            severity = "error" if problem.severity == "error" else severity
    return [*kept, left_out(count, severity)] if count else kept


def stored_alert_problem(body: str, polygons: Iterable[str]) -> str | None:
    """Why an alert already signed elsewhere (replicated from a peer) breaks the limits
    local input is held to, or None: its polygons' points (what made one alert weigh on
    every reader) and a size no local input could reach (a whole batch body's). Counted
    without parsing again, as replication is a hot path; the same rule decides in a
    rebuild, so live and rebuilt projections agree whatever ``max_document_bytes`` says."""
    size, most = len(body.encode("utf-8")), MAX_DOCUMENT_BYTES * BATCH_BYTES_FACTOR
    if size > most:
        return f"the alert is {size} bytes; no input may be over {most}"
    for polygon in polygons:
        points = len(polygon.split())
        if points > MAX_POLYGON_POINTS:
            return f"a polygon has {points} points; the limit is {MAX_POLYGON_POINTS}"
    return None


def shortened(text: str, most: int) -> str:
    """``text`` cut to ``most`` characters, with an ellipsis when it was cut."""
    return text if len(text) <= most else text[: most - 1] + "…"
