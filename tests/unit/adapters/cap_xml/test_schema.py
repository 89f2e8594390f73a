"""``check_structure`` against hand-written cases and against the official OASIS XSD.

The XSD verdicts come from lxml (libxml2) loading ``../shared/reference/cap/oasis/CAP-v1.2.xsd``;
tests that need the reference corpus skip with a message when it is absent.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from lxml import etree

from accord.adapters.cap_xml.codec import alert_to_xml
from accord.adapters.cap_xml.schema import check_structure
from accord.domain.alerts.cap import CAP_NAMESPACE, XMLDSIG_NAMESPACE
from tests.reference import REFERENCE as SHARED_REFERENCE
from tests.strategies import alerts

REFERENCE = SHARED_REFERENCE / "cap"
XSD_PATH = REFERENCE / "oasis" / "CAP-v1.2.xsd"
MISSING = f"CAP reference corpus not found at {REFERENCE} (../shared/reference)"
CAP = "{" + CAP_NAMESPACE + "}"
DSIG = "{" + XMLDSIG_NAMESPACE + "}"
PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True)

INFO = (
    "<info><category>Met</category><event>Storm</event><urgency>Expected</urgency>"
    "<severity>Minor</severity><certainty>Likely</certainty>{extra}</info>"
)


def alert_xml(head: str = "", tail: str = "", status: str = "Actual", prefix: str = "") -> str:
    """A minimal valid alert; ``head`` goes after <scope>, ``tail`` at the end."""
    p = f"{prefix}:" if prefix else ""
    xmlns = f"xmlns{':' + prefix if prefix else ''}"
    body = (
        "<identifier>A-1</identifier><sender>s@example.org</sender>"
        "<sent>2024-05-01T10:00:00-00:00</sent>"
        f"<status>{status}</status><msgType>Alert</msgType><scope>Public</scope>"
    )
    if prefix:
        body = body.replace("<", f"<{p}").replace(f"<{p}/", f"</{p}")
        head = head.replace("<", f"<{p}").replace(f"<{p}/", f"</{p}")
        tail = tail.replace("<", f"<{p}").replace(f"<{p}/", f"</{p}")
    return f'<{p}alert {xmlns}="{CAP_NAMESPACE}">{body}{head}{tail}</{p}alert>'


def check(xml: str) -> list[tuple[str, str]]:
    return [(p.location, p.code) for p in check_structure(etree.fromstring(xml))]


# --- hand-written cases ----------------------------------------------------------------------


def test_minimal_alert_has_no_problems() -> None:
    assert check(alert_xml(INFO.format(extra=""))) == []


def test_cap_prefix_is_accepted_and_locations_use_local_names() -> None:
    xml = alert_xml(INFO.format(extra="<bogus/>"), prefix="cap")
    assert check(xml) == [("/alert/info[1]/bogus[1]", "SCHEMA_UNKNOWN_ELEMENT")]


def test_lowercase_status_is_an_enumeration_problem_with_a_readable_message() -> None:
    (problem,) = check_structure(etree.fromstring(alert_xml(status="actual")))
    assert problem.location == "/alert/status[1]"
    assert problem.code == "SCHEMA_ENUMERATION"
    assert problem.severity == "error"
    assert problem.message == (
        "<status> must be one of Actual, Exercise, System, Test, Draft; got 'actual'"
    )


def test_enumerations_do_not_collapse_whitespace() -> None:
    assert check(alert_xml(status=" Actual")) == [("/alert/status[1]", "SCHEMA_ENUMERATION")]


def test_sent_with_z_breaks_the_pattern() -> None:
    xml = alert_xml().replace("10:00:00-00:00", "10:00:00Z")
    assert check(xml) == [("/alert/sent[1]", "SCHEMA_PATTERN")]


@pytest.mark.parametrize(
    "sent",
    [
        "2024-13-01T00:00:00+00:00",
        "2023-02-29T00:00:00+00:00",
        "2024-01-01T24:00:01+00:00",
        "2024-01-01T00:00:00+14:01",
        "2024-01-01T00:00:00,01:00",
        "0000-01-01T00:00:00+00:00",
    ],
)
def test_sent_matching_the_pattern_must_still_be_a_real_instant(sent: str) -> None:
    xml = alert_xml().replace("2024-05-01T10:00:00-00:00", sent)
    assert check(xml) == [("/alert/sent[1]", "SCHEMA_DATETIME")]


def test_datetime_whitespace_is_collapsed_and_end_of_day_is_allowed() -> None:
    xml = alert_xml().replace("2024-05-01T10:00:00-00:00", "\n 2024-02-29T24:00:00+14:00 ")
    assert check(xml) == []


def test_misplaced_sender_name_is_an_order_problem_not_a_missing_one() -> None:
    extra = "<headline>h</headline><senderName>n</senderName>"
    xml = alert_xml(INFO.format(extra=extra))
    assert check(xml) == [("/alert/info[1]/senderName[1]", "SCHEMA_ORDER")]


def test_required_child_out_of_order_is_reported_once() -> None:
    xml = alert_xml("<code>c</code>").replace("<scope>Public</scope>", "")
    xml = xml.replace("</alert>", "<scope>Public</scope></alert>")
    assert check(xml) == [("/alert/scope[1]", "SCHEMA_ORDER")]


def test_missing_required_children_are_reported_on_their_parent() -> None:
    xml = alert_xml("<info><event>e</event></info>").replace("<scope>Public</scope>", "")
    assert check(xml) == [
        ("/alert/info[1]", "SCHEMA_MISSING"),
        ("/alert/info[1]", "SCHEMA_MISSING"),
        ("/alert/info[1]", "SCHEMA_MISSING"),
        ("/alert/info[1]", "SCHEMA_MISSING"),
        ("/alert", "SCHEMA_MISSING"),
    ]


def test_a_second_identifier_is_one_too_many() -> None:
    xml = alert_xml().replace("<sender>", "<identifier>B</identifier><sender>")
    assert check(xml) == [("/alert/identifier[2]", "SCHEMA_TOO_MANY")]


def test_known_name_in_the_wrong_namespace_is_a_namespace_problem() -> None:
    xml = alert_xml('<note xmlns="urn:oasis:names:tc:emergency:cap:1.1">n</note>')
    assert check(xml) == [("/alert/note[1]", "SCHEMA_NAMESPACE")]


def test_cap_1_1_root_is_rejected_as_a_whole() -> None:
    xml = alert_xml().replace(CAP_NAMESPACE, "urn:oasis:names:tc:emergency:cap:1.1")
    assert check(xml) == [("/alert", "SCHEMA_ROOT")]


def test_attributes_are_not_allowed_but_schema_location_hints_are() -> None:
    xsi = 'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
    xml = alert_xml('<note id="1">n</note>').replace(
        "<alert ", f'<alert {xsi} xsi:schemaLocation="{CAP_NAMESPACE} cap.xsd" '
    )
    assert check(xml) == [("/alert/note[1]", "SCHEMA_ATTRIBUTE")]


def test_text_in_a_complex_element_is_reported_and_whitespace_is_not() -> None:
    xml = alert_xml(" \n\t<note>n</note>oops")
    assert check(xml) == [("/alert", "SCHEMA_TEXT")]


def test_nbsp_is_not_xml_whitespace() -> None:
    assert check(alert_xml("\u00a0")) == [("/alert", "SCHEMA_TEXT")]


def test_child_element_inside_a_simple_element_is_reported() -> None:
    xml = alert_xml("<note>n<b>bold</b></note>")
    assert check(xml) == [("/alert/note[1]/b[1]", "SCHEMA_CHILD_ELEMENT")]


def test_comments_and_processing_instructions_are_ignored_everywhere() -> None:
    xml = alert_xml("<!-- c --><note>a<!-- c -->b<?pi x?></note>", status="Act<!-- -->ual")
    assert check(xml) == []


def test_empty_language_takes_the_schema_default_but_a_blank_one_does_not() -> None:
    empty = alert_xml(INFO.replace("<info>", "<info><language/>").format(extra=""))
    blank = alert_xml(INFO.replace("<info>", "<info><language> </language>").format(extra=""))
    assert check(empty) == []
    assert check(blank) == [("/alert/info[1]/language[1]", "SCHEMA_LANGUAGE")]


@pytest.mark.parametrize(
    ("extra", "location", "code"),
    [
        ("<web>http://[bad</web>", "/alert/info[1]/web[1]", "SCHEMA_ANY_URI"),
        (
            "<resource><resourceDesc>d</resourceDesc><mimeType>a/b</mimeType><size>1.5</size>"
            "</resource>",
            "/alert/info[1]/resource[1]/size[1]",
            "SCHEMA_INTEGER",
        ),
        (
            "<area><areaDesc>a</areaDesc><altitude>1e3</altitude></area>",
            "/alert/info[1]/area[1]/altitude[1]",
            "SCHEMA_DECIMAL",
        ),
        (
            "<effective>2024-05-01T10:00:00Z</effective>",
            "/alert/info[1]/effective[1]",
            "SCHEMA_PATTERN",
        ),
    ],
)
def test_typed_leaves_are_checked(extra: str, location: str, code: str) -> None:
    assert check(alert_xml(INFO.format(extra=extra))) == [(location, code)]


def test_uri_with_spaces_is_accepted_as_libxml2_does() -> None:
    assert check(alert_xml(INFO.format(extra="<web>http://example.org/a b</web>"))) == []


def test_every_problem_is_reported_at_once_with_positional_locations() -> None:
    area = "<area><areaDesc>a</areaDesc><polygon/><polygon/><polygon>x<y/></polygon></area>"
    xml = alert_xml("<bogus/>" + INFO.format(extra="") + INFO.format(extra=area), status="Nope")
    assert check(xml) == [
        ("/alert/status[1]", "SCHEMA_ENUMERATION"),
        ("/alert/bogus[1]", "SCHEMA_UNKNOWN_ELEMENT"),
        ("/alert/info[2]/area[1]/polygon[3]/y[1]", "SCHEMA_CHILD_ELEMENT"),
    ]


def test_signature_may_follow_the_last_info_and_holds_anything() -> None:
    signature = f'<Signature xmlns="{XMLDSIG_NAMESPACE}" Id="s">text<x a="1"/></Signature>'
    assert check(alert_xml(INFO.format(extra=""), tail=signature)) == []


def test_cap_elements_nested_in_a_signature_are_still_validated_laxly() -> None:
    nested = f'<valueName xmlns="{CAP_NAMESPACE}"><x/></valueName>'
    signature = f'<Signature xmlns="{XMLDSIG_NAMESPACE}">{nested}</Signature>'
    assert check(alert_xml(tail=signature)) == [
        ("/alert/Signature[1]/valueName[1]/x[1]", "SCHEMA_CHILD_ELEMENT")
    ]


# --- agreement with the official XSD ---------------------------------------------------------


@pytest.fixture(scope="module")
def xsd() -> etree.XMLSchema:
    if not XSD_PATH.exists():
        pytest.skip(MISSING)
    return etree.XMLSchema(etree.parse(str(XSD_PATH)))


def is_valid(element: etree._Element) -> bool:
    return not [p for p in check_structure(element) if p.severity == "error"]


def reference_files() -> list[object]:
    if not REFERENCE.exists():
        return [pytest.param(None, marks=pytest.mark.skip(reason=MISSING))]
    files = sorted(p for p in REFERENCE.rglob("*") if p.suffix in {".xml", ".cap"})
    return [pytest.param(p, id=str(p.relative_to(REFERENCE))) for p in files]


def alerts_in(path: Path) -> list[etree._Element]:
    """The alert itself, each alert inside a wrapper, or (not CAP at all) the root."""
    root = etree.parse(str(path), PARSER).getroot()
    if root.tag == CAP + "alert":
        return [root]
    return list(root.iter(CAP + "alert")) or [root]


@pytest.mark.reference
@pytest.mark.parametrize("path", reference_files())
def test_reference_corpus_verdicts_agree_with_the_official_xsd(
    path: Path, xsd: etree.XMLSchema
) -> None:
    for element in alerts_in(path):
        assert is_valid(element) == xsd.validate(element), (xsd.error_log, check_structure(element))


def test_libxml2_accepts_a_signature_before_an_info_block_but_we_follow_the_schema(
    xsd: etree.XMLSchema,
) -> None:
    """libxml2's automaton lets ``ds:*`` and ``info`` interleave; the XSD sequence does not."""
    signature = f'<Signature xmlns="{XMLDSIG_NAMESPACE}"/>'
    element = etree.fromstring(alert_xml(signature + INFO.format(extra="")))
    assert xsd.validate(element)
    assert [(p.location, p.code) for p in check_structure(element)] == [
        ("/alert/info[1]", "SCHEMA_ORDER")
    ]


# --- property-based agreement on mutated documents ------------------------------------------

ENUM_VALUES = [
    "Actual",
    "actual",
    " Actual",
    "Alert",
    "Public",
    "Met",
    "Shelter",
    "Immediate",
    "Extreme",
    "Observed",
    "Likely",
    "Very Likely",
    "Unknown",
    "None",
    "",
    "Draft\n",
]
TEXT_VALUES = [
    "",
    " ",
    "x",
    "en-US",
    "en_US",
    "-1",
    "+01",
    "1.5",
    ".",
    "1e3",
    "http://a b/c",
    "http://[::1]:80/",
    "%zz",
    "a:b#c#d",
    "\u00a0",
    "2024-05-01T10:00:00Z",
]
NAMES = ["identifier", "status", "info", "area", "polygon", "language", "valueName", "bogus"]
NAMESPACES = [CAP_NAMESPACE, XMLDSIG_NAMESPACE, "urn:oasis:names:tc:emergency:cap:1.1", ""]
ATTRIBUTES = [
    "id",
    "{http://www.w3.org/2001/XMLSchema-instance}schemaLocation",
    "{http://www.w3.org/2001/XMLSchema-instance}nil",
    "{urn:x}a",
    "{http://www.w3.org/XML/1998/namespace}lang",
]


@st.composite
def datetimes(draw: st.DrawFn) -> str:
    """Strings shaped like CAP dateTimes whose fields straddle the valid ranges."""
    two = st.integers(0, 61).map("{:02d}".format)
    year = draw(st.sampled_from(["2024", "2023", "1900", "2000", "0000"]))
    sign = draw(st.sampled_from("+-,Z"))
    zone = "" if sign == "Z" else f"{draw(two)}:{draw(two)}"
    pad = draw(st.sampled_from(["", " ", "\n\t"]))
    fields = [draw(two) for _ in range(5)]
    return (
        f"{pad}{year}-{fields[0]}-{fields[1]}T{fields[2]}:{fields[3]}:{fields[4]}{sign}{zone}{pad}"
    )


def elements(root: etree._Element) -> list[etree._Element]:
    return [e for e in root.iter() if isinstance(e.tag, str)]


Mutation = Callable[[st.DrawFn, etree._Element], None]


def delete(draw: st.DrawFn, root: etree._Element) -> None:
    victim = draw(st.sampled_from(elements(root)[1:]))
    victim.getparent().remove(victim)  # type: ignore[union-attr]


def duplicate(draw: st.DrawFn, root: etree._Element) -> None:
    victim = draw(st.sampled_from(elements(root)[1:]))
    victim.addnext(copy.deepcopy(victim))


def swap(draw: st.DrawFn, root: etree._Element) -> None:
    parent = draw(st.sampled_from([e for e in elements(root) if len(e) > 1]))
    i = draw(st.integers(0, len(parent) - 2))
    j = draw(st.integers(i + 1, len(parent) - 1))
    children = list(parent)
    children[i], children[j] = children[j], children[i]
    parent[:] = children


def move(draw: st.DrawFn, root: etree._Element) -> None:
    victim = draw(st.sampled_from(elements(root)[1:]))
    target = draw(st.sampled_from([e for e in elements(root) if victim not in e.iterancestors()]))
    if target is victim:
        return
    target.insert(draw(st.integers(0, len(target))), victim)


def retext(draw: st.DrawFn, root: etree._Element) -> None:
    victim = draw(st.sampled_from([e for e in elements(root) if not len(e)]))
    victim.text = draw(st.sampled_from(ENUM_VALUES + TEXT_VALUES) | datetimes())


def pad(draw: st.DrawFn, root: etree._Element) -> None:
    victim = draw(st.sampled_from(elements(root)))
    spaces = draw(st.sampled_from([" ", "\n  ", "\t", "\r\n", "\u00a0", "x"]))
    if draw(st.booleans()):
        victim.text = spaces + (victim.text or "")
    else:
        victim.tail = (victim.tail or "") + spaces


def add_element(draw: st.DrawFn, root: etree._Element) -> None:
    parent = draw(st.sampled_from(elements(root)))
    namespace, name = draw(st.sampled_from(NAMESPACES)), draw(st.sampled_from(NAMES))
    child = etree.Element(f"{{{namespace}}}{name}" if namespace else name)
    child.text = draw(st.sampled_from(TEXT_VALUES))
    parent.insert(draw(st.integers(0, len(parent))), child)


def add_attribute(draw: st.DrawFn, root: etree._Element) -> None:
    victim = draw(st.sampled_from(elements(root)))
    victim.set(draw(st.sampled_from(ATTRIBUTES)), "x")


def rename(draw: st.DrawFn, root: etree._Element) -> None:
    victim = draw(st.sampled_from(elements(root)[1:]))
    name = etree.QName(victim).localname
    victim.tag = f"{{{draw(st.sampled_from(NAMESPACES[1:3]))}}}{name}"


def comment(draw: st.DrawFn, root: etree._Element) -> None:
    parent = draw(st.sampled_from(elements(root)))
    parent.insert(draw(st.integers(0, len(parent))), etree.Comment("c"))


MUTATIONS: list[Mutation] = [
    delete,
    duplicate,
    swap,
    move,
    retext,
    retext,
    pad,
    add_element,
    add_attribute,
    rename,
    comment,
]


def base_documents() -> list[bytes]:
    """Valid alerts under 64 KB from the reference corpus (real and OASIS examples)."""
    if not REFERENCE.exists():
        return []
    found = []
    for folder in ("real", "oasis/examples"):
        for path in sorted((REFERENCE / folder).rglob("*")):
            if path.suffix in {".xml", ".cap"} and path.stat().st_size < 64_000:
                found.extend(etree.tostring(e) for e in alerts_in(path))
    return found


BASES = base_documents()


def signature_before_info(root: etree._Element) -> bool:
    """The one libxml2 deviation we keep (see the test above)."""
    for signature in root.iterchildren(DSIG + "*"):
        if any(True for _ in signature.itersiblings(CAP + "info")):
            return True
    return False


@st.composite
def mutated(draw: st.DrawFn, bases: st.SearchStrategy[bytes]) -> etree._Element:
    root = etree.fromstring(draw(bases))
    for mutation in draw(st.lists(st.sampled_from(MUTATIONS), min_size=1, max_size=3)):
        mutation(draw, root)
    return root


def assert_same_verdict(root: etree._Element, xsd: etree.XMLSchema) -> None:
    if signature_before_info(root):
        return
    verdict = xsd.validate(root)
    event(f"the XSD says {'valid' if verdict else 'invalid'}")
    assert is_valid(root) == verdict, (xsd.error_log, check_structure(root))


GENERATED = alerts().map(alert_to_xml)


@pytest.mark.reference
@pytest.mark.skipif(not BASES, reason=MISSING)
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(root=mutated(st.sampled_from(BASES)))
def test_mutated_real_alerts_get_the_same_verdict_as_the_official_xsd(
    root: etree._Element, xsd: etree.XMLSchema
) -> None:
    assert_same_verdict(root, xsd)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(root=mutated(GENERATED))
def test_mutated_generated_alerts_get_the_same_verdict_as_the_official_xsd(
    root: etree._Element, xsd: etree.XMLSchema
) -> None:
    assert_same_verdict(root, xsd)


@settings(max_examples=100, deadline=None)
@given(document=GENERATED)
def test_generated_alerts_are_valid_for_us_and_for_the_xsd(
    document: bytes, xsd: etree.XMLSchema
) -> None:
    root = etree.fromstring(document)
    assert xsd.validate(root), xsd.error_log
    assert check_structure(root) == []
