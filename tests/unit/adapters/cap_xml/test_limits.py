"""Every input limit, at the edge: the attacker's document just over it is refused with a
problem naming the limit, the same document just under it is accepted, and CAP JSON is held
to the same limits as XML. Also: a batch refuses an oversized alert and keeps its siblings."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from accord.adapters.cap_xml import read_cap_json, read_cap_xml, read_cap_xml_items
from accord.domain.alerts import limits
from accord.errors import InvalidInputError

CAP = "urn:oasis:names:tc:emergency:cap:1.2"


def alert(*, head: str = "", inner: str = "", area: str = "", identifier: str = "a") -> bytes:
    """A valid alert; ``head`` in its start tag, ``inner`` before <info>, ``area`` in it."""
    return (
        f'<alert xmlns="{CAP}"{head}><identifier>{identifier}</identifier>'
        "<sender>met@example.org</sender><sent>2026-11-01T12:00:00+00:00</sent>"
        f"<status>Actual</status><msgType>Alert</msgType><scope>Public</scope>{inner}"
        "<info><category>Met</category><event>Storm</event><urgency>Expected</urgency>"
        f"<severity>Severe</severity><certainty>Likely</certainty>{area}</info></alert>"
    ).encode()


def ring(points: int) -> str:
    """A closed ring of exactly ``points`` lat,lon pairs (the first repeated last)."""
    corners = [
        f"{10 + n / points:.6f},{20 + (n % 2) / 10 + n / points:.6f}" for n in range(points - 1)
    ]
    return " ".join([*corners, corners[0]])


def polygon(points: int) -> str:
    return f"<area><areaDesc>Coast</areaDesc><polygon>{ring(points)}</polygon></area>"


def codes(alert_bytes: bytes) -> set[str]:
    with pytest.raises(InvalidInputError) as error:
        read_cap_xml(alert_bytes)
    return {problem.code for problem in error.value.problems}


ELEMENTS_IN_BARE_ALERT = 13  # alert, six header leaves, info and its five children

EDGES: dict[str, tuple[str, Callable[[int], bytes], int]] = {
    # limit name: (problem code, document with n of the thing, the limit)
    "elements": (
        "TOO_MANY_ELEMENTS",
        lambda n: alert(inner="<code>c</code>" * (n - ELEMENTS_IN_BARE_ALERT)),
        limits.MAX_ELEMENTS,
    ),
    "attributes": (
        "TOO_MANY_ATTRIBUTES",
        lambda n: alert(inner="<code" + "".join(f' x:a{i}="v"' for i in range(n)) + ">c</code>"),
        limits.MAX_ATTRIBUTES,
    ),
    "attribute characters": (
        "ATTRIBUTE_TOO_LONG",
        lambda n: alert(inner=f'<code x:a="{"v" * n}">c</code>'),
        limits.MAX_ATTRIBUTE_CHARS,
    ),
    "text characters": (
        "TEXT_TOO_LONG",
        lambda n: alert(inner=f"<note>{'n' * n}</note>"),
        limits.MAX_TEXT_CHARS,
    ),
    "polygon points": (
        "TOO_MANY_POINTS",
        lambda n: alert(area=polygon(n)),
        limits.MAX_POLYGON_POINTS,
    ),
    "namespaces": (
        "TOO_MANY_NAMESPACES",
        # the default namespace and x: (added to every edge) count too
        lambda n: alert(head="".join(f' xmlns:p{i}="urn:p:{i}"' for i in range(n - 2))),
        limits.MAX_NAMESPACES,
    ),
}


def _with_x_namespace(document: bytes) -> bytes:
    return document.replace(b"<alert ", b'<alert xmlns:x="urn:x" ', 1)


@pytest.mark.parametrize("name", EDGES)
def test_a_document_just_over_a_limit_is_refused_naming_it(name: str) -> None:
    code, document, most = EDGES[name]
    assert code in codes(_with_x_namespace(document(most + 1)))


@pytest.mark.parametrize("name", EDGES)
def test_the_same_document_at_the_limit_is_not_refused_for_it(name: str) -> None:
    code, document, most = EDGES[name]
    found = _codes_if_any(_with_x_namespace(document(most)))
    assert found <= {"SCHEMA_ATTRIBUTE"}  # the schema refuses attributes on <code>: that's all
    assert code not in found


def _codes_if_any(document: bytes) -> set[str]:
    try:
        read_cap_xml(document)
    except InvalidInputError as error:
        return {problem.code for problem in error.problems}
    return set()


@pytest.mark.parametrize("name", ["elements", "text characters", "polygon points"])
def test_a_valid_alert_at_a_limit_is_accepted(name: str) -> None:
    _code, document, most = EDGES[name]
    (accepted,) = read_cap_xml(document(most))
    assert accepted.alert.identifier == "a"


def test_an_element_with_100000_attributes_is_refused_naming_the_limit() -> None:
    document = alert(head="".join(f' a{i}="v"' for i in range(100_000)))
    with pytest.raises(InvalidInputError) as error:
        read_cap_xml(document)
    assert [(p.location, p.code) for p in error.value.problems] == [
        ("/alert", "TOO_MANY_ATTRIBUTES")
    ]


def test_thousands_of_problems_are_cut_to_the_cap_saying_how_many_more() -> None:
    with pytest.raises(InvalidInputError) as error:
        read_cap_xml(alert(inner="<unknown/>" * 5_000))
    problems = error.value.problems
    assert len(problems) == limits.MAX_PROBLEMS + 1
    assert problems[-1].code == limits.LEFT_OUT_CODE
    assert f"{5_000 - limits.MAX_PROBLEMS} more problems were left out" in problems[-1].message
    assert str(error.value) == "the CAP document has 5000 errors"


def test_an_alert_inside_a_wrapper_is_held_to_the_size_of_one_document() -> None:
    big = alert(identifier="big", area=polygon(3_000))
    wrapper = f'<alerts xmlns="{CAP}">'.encode() + alert() + big + b"</alerts>"
    limit = len(big) - 1
    with pytest.raises(InvalidInputError) as error:
        read_cap_xml(wrapper, max_bytes=limit, max_total_bytes=len(wrapper))
    assert [(p.location, p.code) for p in error.value.problems] == [
        ("/alerts/alert[2]", "TOO_LARGE")
    ]


def test_a_batch_refuses_the_alert_over_the_size_limit_and_keeps_its_siblings() -> None:
    big = alert(identifier="big", area=polygon(3_000))
    body = (
        f'<alerts xmlns="{CAP}">'.encode()
        + alert(identifier="one")
        + big
        + alert(identifier="two")
        + b"</alerts>"
    )
    first, refused, last = read_cap_xml_items(
        body, max_bytes=len(big) - 1, max_total_bytes=len(body)
    )
    assert isinstance(refused, InvalidInputError)
    assert [p.code for p in refused.problems] == ["TOO_LARGE"]
    assert not isinstance(first, InvalidInputError)
    assert not isinstance(last, InvalidInputError)
    assert (first.alert.identifier, last.alert.identifier) == ("one", "two")


def test_a_batch_of_more_alerts_than_allowed_is_refused_before_any_is_read() -> None:
    body = f'<alerts xmlns="{CAP}">'.encode() + alert() * 3 + b"</alerts>"
    with pytest.raises(InvalidInputError) as error:
        read_cap_xml_items(body, max_items=2)
    assert [p.code for p in error.value.problems] == ["TOO_MANY_ITEMS"]


def _json(**info: object) -> dict[str, object]:
    return {
        "identifier": "j",
        "sender": "met@example.org",
        "sent": "2026-11-01T12:00:00+00:00",
        "status": "Actual",
        "msgType": "Alert",
        "scope": "Public",
        "info": [
            {
                "category": ["Met"],
                "event": "Storm",
                "urgency": "Expected",
                "severity": "Severe",
                "certainty": "Likely",
                **info,
            }
        ],
    }


def _json_codes(obj: object, max_bytes: int = limits.MAX_DOCUMENT_BYTES) -> set[str]:
    with pytest.raises(InvalidInputError) as error:
        read_cap_json(obj, max_bytes=max_bytes)
    return {problem.code for problem in error.value.problems}


def test_cap_json_is_held_to_the_same_polygon_and_text_limits_as_xml() -> None:
    most = limits.MAX_POLYGON_POINTS
    area = {"areaDesc": "Coast", "polygon": [ring(most + 1)]}
    assert _json_codes(_json(area=[area])) == {"TOO_MANY_POINTS"}
    assert _json_codes(_json(description="d" * (limits.MAX_TEXT_CHARS + 1))) == {"TEXT_TOO_LONG"}
    accepted = read_cap_json(_json(area=[{**area, "polygon": [ring(most)]}]))
    assert accepted.alert.identifier == "j"


def test_cap_json_is_held_to_the_element_limit() -> None:
    obj = {**_json(), "code": ["c"] * limits.MAX_ELEMENTS}
    assert _json_codes(obj) == {"TOO_MANY_ELEMENTS"}


def test_cap_json_is_sized_as_compact_json() -> None:
    obj = _json(description="d" * 5_000)
    size = len(json.dumps(obj, separators=(",", ":")).encode())
    assert _json_codes(obj, max_bytes=size - 1) == {"TOO_LARGE"}
    assert read_cap_json(obj, max_bytes=size).alert.identifier == "j"


def test_cap_json_with_thousands_of_unknown_members_lists_at_most_the_cap() -> None:
    obj = {**_json(), **{f"k{n}": "v" for n in range(10_000)}}
    with pytest.raises(InvalidInputError) as error:
        read_cap_json(obj)
    assert len(error.value.problems) == limits.MAX_PROBLEMS + 1
    assert error.value.problems[-1].code == limits.LEFT_OUT_CODE
