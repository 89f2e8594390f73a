"""Lexical checks for the XSD 1.0 simple types the CAP 1.2 schema uses, as libxml2 applies them.

The structural validator in ``schema.py`` calls these on the text of leaf elements. Each
check takes the raw element text and returns ``None`` when libxml2 would accept it, or a short
reason ("must be …; got '…'") when it would not. They were written against libxml2 2.14
(the one lxml ships) and are kept in agreement with it by the differential tests.

Whitespace: ``xs:string`` and its enumerations keep whitespace as written (" Actual" is not
"Actual"); every other type here collapses XML whitespace (space, tab, CR, LF — not NBSP)
before checking.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

Check = Callable[[str], str | None]

XML_WHITESPACE = " \t\n\r"
_WHITESPACE_RUN = re.compile("[ \t\n\r]+")

CAP_DATETIME_EXAMPLE = "2002-05-24T16:49:00-07:00"
_CAP_DATETIME = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})([-,+])([0-9]{2}):([0-9]{2})"
)
_DAYS_IN_MONTH = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_MAX_OFFSET_MINUTES = 14 * 60

_LANGUAGE = re.compile(r"[a-zA-Z]{1,8}(?:-[a-zA-Z0-9]{1,8})*")
_INTEGER = re.compile(r"[+-]?[0-9]+")
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")


def _uri_pattern() -> re.Pattern[str]:
    """RFC 3986 URI-reference, as libxml2's ``xmlParseURI`` reads it (IP literals unchecked)."""
    unreserved = r"A-Za-z0-9\-._~"
    sub_delims = r"!$&'()*+,;="
    pct = r"%[0-9A-Fa-f]{2}"
    pchar = rf"(?:[{unreserved}{sub_delims}:@]|{pct})"
    segment_nz_nc = rf"(?:[{unreserved}{sub_delims}@]|{pct})+"
    host = rf"(?:\[[^\]]*\]|(?:[{unreserved}{sub_delims}]|{pct})*)"
    userinfo = rf"(?:[{unreserved}{sub_delims}:]|{pct})*"
    authority = rf"(?:{userinfo}@)?{host}(?::[0-9]+)?"
    path_abempty = rf"(?:/{pchar}*)*"
    path_absolute = rf"/(?:{pchar}+{path_abempty})?"
    tail = rf"(?:\?(?:{pchar}|[/?])*)?(?:#(?:{pchar}|[/?\[\]])*)?"
    scheme = r"[A-Za-z][A-Za-z0-9+\-.]*:"
    absolute = rf"{scheme}(?://{authority}{path_abempty}|{path_absolute}|{pchar}+{path_abempty}|)"
    relative = rf"(?://{authority}{path_abempty}|{path_absolute}|{segment_nz_nc}{path_abempty}|)"
    return re.compile(rf"(?:{absolute}|{relative}){tail}")


_URI = _uri_pattern()
# libxml2 replaces these with "_" before parsing, so they never make a URI invalid.
_URI_TOLERATED = re.compile("[\x00-\x20\x7f-\U0010ffff<>\"{}|\\\\^`']")
_PORT = re.compile(
    r"(?:[A-Za-z][A-Za-z0-9+\-.]*:)?//(?:[^/?#@]*@)?(?:\[[^\]]*\]|[^/?#:\[]*):([0-9]+)(?=[/?#]|\Z)"
)
_INT_MAX = 2**31 - 1


def collapse(text: str) -> str:
    """XSD ``whiteSpace=collapse``: runs of XML whitespace become one space, ends trimmed."""
    return _WHITESPACE_RUN.sub(" ", text).strip(" ")


def enumeration(values: Iterable[str]) -> Check:
    """An ``xs:string`` restricted to ``values``; compared exactly, whitespace included."""
    allowed = frozenset(values)
    reason = "must be one of " + ", ".join(values)

    def check(text: str) -> str | None:
        return None if text in allowed else f"{reason}; got {text!r}"

    return check


def cap_datetime_pattern(text: str) -> str | None:
    """CAP's pattern on ``xs:dateTime``: ``YYYY-MM-DDThh:mm:ss`` then ``[-,+]hh:mm``."""
    if _CAP_DATETIME.fullmatch(text.strip(XML_WHITESPACE)):
        return None
    return f"must look like {CAP_DATETIME_EXAMPLE} (offset required, no 'Z'); got {text!r}"


def cap_datetime_value(text: str) -> str | None:
    """The ``xs:dateTime`` value space, for text that already matches the CAP pattern."""
    match = _CAP_DATETIME.fullmatch(text.strip(XML_WHITESPACE))
    reason = "unreadable" if match is None else _datetime_fields_reason(*match.groups())
    return None if reason is None else f"is not a valid date and time ({reason}); got {text!r}"


def _datetime_fields_reason(*fields: str) -> str | None:
    year, month, day, hour, minute, second, sign, tz_hour, tz_minute = fields
    if sign == ",":
        return "the offset must start with + or -"
    if year == "0000":
        return "there is no year 0000"
    if not 1 <= int(month) <= 12:
        return "month out of range"
    if not 1 <= int(day) <= _days_in_month(int(year), int(month)):
        return "day out of range for the month"
    end_of_day = (hour, minute, second) == ("24", "00", "00")
    if not end_of_day and (int(hour) > 23 or int(minute) > 59 or int(second) > 59):
        return "time out of range"
    if int(tz_minute) > 59 or int(tz_hour) * 60 + int(tz_minute) > _MAX_OFFSET_MINUTES:
        return "offset out of range (at most 14:00)"
    return None


def _days_in_month(year: int, month: int) -> int:
    is_leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    return 29 if month == 2 and is_leap else _DAYS_IN_MONTH[month - 1]


def language(text: str) -> str | None:
    """``xs:language``: ``[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*`` after collapsing whitespace."""
    if _LANGUAGE.fullmatch(text.strip(XML_WHITESPACE)):
        return None
    return f"must be a language tag such as en-US; got {text!r}"


def integer(text: str) -> str | None:
    """``xs:integer``: optional sign and decimal digits, nothing else."""
    if _INTEGER.fullmatch(text.strip(XML_WHITESPACE)):
        return None
    return f"must be a whole number; got {text!r}"


def decimal(text: str) -> str | None:
    """``xs:decimal``: optional sign, digits with at most one point; no exponent."""
    if _DECIMAL.fullmatch(text.strip(XML_WHITESPACE)):
        return None
    return f"must be a decimal number such as -12.5; got {text!r}"


def any_uri(text: str) -> str | None:
    """``xs:anyURI`` as libxml2 checks it: collapse, blank out unsafe characters, parse RFC 3986."""
    candidate = _URI_TOLERATED.sub("_", collapse(text))
    if _URI.fullmatch(candidate) and _port_fits(candidate):
        return None
    return f"must be a URI (RFC 3986); got {text!r}"


def _port_fits(candidate: str) -> bool:
    """libxml2 stores the port in a C int and rejects one that overflows it."""
    port = _PORT.match(candidate)
    return port is None or int(port.group(1)) <= _INT_MAX
