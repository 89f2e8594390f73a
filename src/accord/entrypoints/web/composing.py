"""The console's alert form as data: its fields read from a post or from the alert being
followed, the CAP JSON they make, and the field each of the API's problems belongs to.

The form writes one ``info`` block with one ``area``, which is what a person composes by
hand; the JSON goes through the same reader and rules as ``POST /api/v1/alerts``. The
area's geocodes are a country picked from the gazetteer (``ISO3166-1``) and one pair of
any other system typed by hand; either, both or neither.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Container, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from accord.entrypoints.web.gazetteer import VALUE_NAME as ISO_3166
from accord.errors import Problem

FIELDS = (
    "status",
    "scope",
    "restriction",
    "addresses",
    "note",
    "language",
    "category",
    "event",
    "response_type",
    "urgency",
    "severity",
    "certainty",
    "headline",
    "description",
    "instruction",
    "expires",
    "sender_name",
    "area_desc",
    "polygon",
    "circle",
    "geocode_country",
    "geocode_name",
    "geocode_value",
    "tlp",
)
# The CAP element a problem names (last part of its JSON pointer or XPath) -> form field.
FIELD_OF_ELEMENT = {
    "status": "status",
    "scope": "scope",
    "restriction": "restriction",
    "addresses": "addresses",
    "note": "note",
    "language": "language",
    "category": "category",
    "event": "event",
    "responseType": "response_type",
    "urgency": "urgency",
    "severity": "severity",
    "certainty": "certainty",
    "headline": "headline",
    "description": "description",
    "instruction": "instruction",
    "expires": "expires",
    "senderName": "sender_name",
    "areaDesc": "area_desc",
    "polygon": "polygon",
    "circle": "circle",
    "geocode": "geocode",
    "tlp": "tlp",
    "audience": "audience",
}
_INDEX = re.compile(r"\[\d+\]")
_LOCAL_MINUTE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d)?$")  # <input type=datetime-local>
_NOT_IN_SENDER = re.compile(r"[^A-Za-z0-9.-]+")
DEFAULT_VALIDITY = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class AlertForm:
    """What the form holds: every field as text (blank when empty) and the audience."""

    values: Mapping[str, str]
    audience: tuple[str, ...] = ()

    def __getitem__(self, name: str) -> str:
        return self.values.get(name, "")


@dataclass(frozen=True, slots=True)
class FormErrors:
    """The problems found, by form field; those no field owns go at the top."""

    by_field: dict[str, list[str]] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.by_field or self.general)


def posted_form(fields: Mapping[str, list[str]]) -> AlertForm:
    """The form as posted (each field's first value, trimmed; every audience box ticked)."""
    values = {name: (fields.get(name) or [""])[0].strip() for name in FIELDS}
    audience = tuple(sorted({code.strip() for code in fields.get("audience", []) if code.strip()}))
    return AlertForm(values, audience)


def blank_form(now: datetime, sender_name: str) -> AlertForm:
    """A new alert's form: Actual, Public, English, valid for a day from ``now``."""
    values = dict.fromkeys(FIELDS, "")
    values.update(
        status="Actual",
        scope="Public",
        language="en-GB",
        sender_name=sender_name,
        expires=_local_minute(now + DEFAULT_VALIDITY),
    )
    return AlertForm(values)


def following_form(alert: Mapping[str, Any], tlp: str, audience: Iterable[str]) -> AlertForm:
    """The form prefilled from an alert (its CAP JSON) that an update or cancel follows."""
    info: Mapping[str, Any] = (alert.get("info") or [{}])[0]
    area: Mapping[str, Any] = (info.get("area") or [{}])[0]
    geocodes: list[Mapping[str, Any]] = list(area.get("geocode") or [])
    country = next((g for g in geocodes if g.get("valueName") == ISO_3166), {})
    other = next((g for g in geocodes if g is not country), {})
    values = dict.fromkeys(FIELDS, "")
    values.update(
        {name: str(alert.get(key, "")) for name, key in _ALERT_KEYS.items()},
        **{name: str(info.get(key, "")) for name, key in _INFO_KEYS.items()},
        category=_first(info.get("category")),
        response_type=_first(info.get("responseType")),
        expires=_local_minute_of(str(info.get("expires", ""))),
        area_desc=str(area.get("areaDesc", "")),
        polygon=_first(area.get("polygon")),
        circle=_first(area.get("circle")),
        geocode_country=str(country.get("value", "")),
        geocode_name=str(other.get("valueName", "")),
        geocode_value=str(other.get("value", "")),
        tlp=tlp,
        note="",
    )
    return AlertForm(values, tuple(sorted(audience)))


def cancelling(form: AlertForm) -> AlertForm:
    """A followed alert's form turned into its cancellation's: all clear, threat past."""
    values = dict(form.values)
    headline = values["headline"]
    values.update(
        response_type="AllClear",
        urgency="Past",
        severity="Minor",
        headline=headline if headline.startswith("Cancelled") else f"Cancelled: {headline}",
        description="",
        instruction="",
    )
    return replace(form, values=values)


def cap_json(
    form: AlertForm,
    *,
    identifier: str,
    sender: str,
    sent: datetime,
    msg_type: str,
    references: str | None = None,
) -> dict[str, Any]:
    """The CAP JSON the form describes; empty fields are left out, so a required one that
    is empty gets the reader's own "required" problem."""
    alert: dict[str, Any] = {
        "identifier": identifier,
        "sender": sender,
        "sent": cap_time(sent),
        "msgType": msg_type,
        **_present(form, _ALERT_KEYS),
        "info": [_info(form)],
    }
    if references is not None:
        alert["references"] = references
    return alert


def _info(form: AlertForm) -> dict[str, Any]:
    info: dict[str, Any] = _present(form, _INFO_KEYS)
    info["category"] = [form["category"]] if form["category"] else []
    if form["response_type"]:
        info["responseType"] = [form["response_type"]]
    if form["expires"]:
        info["expires"] = _cap_time_of(form["expires"])
    area = _area(form)
    if area:
        info["area"] = [area]
    return info


def _area(form: AlertForm) -> dict[str, Any]:
    area: dict[str, Any] = {"areaDesc": form["area_desc"]} if form["area_desc"] else {}
    if form["polygon"]:
        area["polygon"] = [form["polygon"]]
    if form["circle"]:
        area["circle"] = [form["circle"]]
    geocodes = []
    if form["geocode_country"]:
        geocodes.append({"valueName": ISO_3166, "value": form["geocode_country"]})
    if form["geocode_name"] or form["geocode_value"]:
        pair = {"valueName": form["geocode_name"], "value": form["geocode_value"]}
        typed = {key: value for key, value in pair.items() if value}
        if typed not in geocodes:
            geocodes.append(typed)
    if geocodes:
        area["geocode"] = geocodes
    return area


def country_codes(form: AlertForm) -> list[str]:
    """The ISO 3166-1 codes the area's geocodes give: the country picked, and a pair typed
    by hand with the value name ``ISO3166-1``."""
    codes = [form["geocode_country"]] if form["geocode_country"] else []
    if form["geocode_name"] == ISO_3166 and form["geocode_value"]:
        codes.append(form["geocode_value"])
    return list(dict.fromkeys(codes))


def named_area(form: AlertForm, names: Mapping[str, str]) -> AlertForm:
    """The form with an empty area description filled with the country's name (``names``
    by code), when its geocode is a known country."""
    if form["area_desc"]:
        return form
    name = next((names[code] for code in country_codes(form) if code in names), None)
    if name is None:
        return form
    return replace(form, values={**form.values, "area_desc": name})


def geocode_problems(
    form: AlertForm, known: Container[str], gettext: Callable[[str], str]
) -> list[Problem]:
    """An ``ISO3166-1`` geocode whose value is not a country in the gazetteer, said with
    ``gettext`` (the reader's language: the form's own words, unlike the API's).

    The form's own rule, not the API's: CAP lets a geocode be of any system and value, and
    ``POST /api/v1/alerts`` accepts them all; here the value name is the one the picker
    writes, so a typing mistake in a hand-written code is caught before it is sent."""
    message = gettext(
        "<geocode> %(code)s is not an ISO 3166-1 alpha-2 country code "
        "(valueName %(value_name)s): pick the country from the list"
    )
    return [
        Problem(
            "/info/0/area/0/geocode",
            "UNKNOWN_ISO_3166",
            message % {"code": repr(code), "value_name": ISO_3166},
        )
        for code in country_codes(form)
        if code not in known
    ]


def new_identifier(participant: str, sent: datetime) -> str:
    """A CAP identifier no other message has: participant, time and 48 random bits."""
    return f"{participant}-{sent.astimezone(UTC):%Y%m%dT%H%M%S}-{secrets.token_hex(6)}"


def sender_of(username: str, participant: str, node_name: str) -> str:
    """The CAP sender for a console user: ``user@participant.node``, CAP-safe."""
    host = _NOT_IN_SENDER.sub("-", f"{participant}.{node_name}".lower()).strip("-.")
    return f"{_NOT_IN_SENDER.sub('-', username)}@{host or 'accord'}"


def reference_to(alert: Mapping[str, Any]) -> str:
    """CAP's reference to a message: ``sender,identifier,sent``."""
    return f"{alert.get('sender', '')},{alert.get('identifier', '')},{alert.get('sent', '')}"


def sorted_problems(problems: Iterable[Problem]) -> FormErrors:
    """Each error next to the field it is about; warnings are not errors and are skipped."""
    errors = FormErrors()
    for problem in problems:
        if problem.severity != "error":
            continue
        name = field_of(problem.location)
        if name is None:
            errors.general.append(problem.message)
        else:
            errors.by_field.setdefault(name, []).append(problem.message)
    return errors


def field_of(location: str) -> str | None:
    """The form field a JSON pointer (``/info/0/event``), XPath
    (``/alert/info[1]/area[1]/polygon[1]``) or scope location (``tlp``) is about."""
    parts = [part for part in _INDEX.sub("", location).split("/") if part]
    for part in reversed(parts):
        if part in FIELD_OF_ELEMENT:
            return FIELD_OF_ELEMENT[part]
    return None


def cap_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def _cap_time_of(text: str) -> str:
    """A ``datetime-local`` value (read as UTC) in CAP's form; anything else as typed, for
    the CAP rules to judge."""
    if not _LOCAL_MINUTE.fullmatch(text):
        return text
    try:  # "2026-13-45T25:00" has the shape but is no time: the rules name it
        return cap_time(datetime.fromisoformat(text).replace(tzinfo=UTC))
    except ValueError:
        return text


def _local_minute(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M")


def _local_minute_of(text: str) -> str:
    try:
        moment = datetime.fromisoformat(text)
        return _local_minute(moment) if moment.tzinfo is not None else text
    except (ValueError, OverflowError):  # year 1 at +14:00 has no UTC form
        return text


def _present(form: AlertForm, keys: Mapping[str, str]) -> dict[str, str]:
    return {key: form[name] for name, key in keys.items() if form[name]}


def _first(values: object) -> str:
    return str(values[0]) if isinstance(values, list) and values else ""


_ALERT_KEYS = {
    "status": "status",
    "scope": "scope",
    "restriction": "restriction",
    "addresses": "addresses",
    "note": "note",
}
_INFO_KEYS = {
    "language": "language",
    "event": "event",
    "urgency": "urgency",
    "severity": "severity",
    "certainty": "certainty",
    "sender_name": "senderName",
    "headline": "headline",
    "description": "description",
    "instruction": "instruction",
}
