"""XML-DSig verification of signed CAP alerts, as a value: ``SignatureCheck``.

A CAP alert is signed with enveloped XML-DSig signatures (``ds:Signature`` children of
``<alert>``, ``Reference URI=""``) that embed the signer's X.509 certificate in ``KeyInfo``.
No trust store is configured yet, so a signature is checked against the certificate it
carries, and the detail says so: "valid" means the alert is unaltered since someone holding
that certificate's key signed it, not that the signer is who it claims to be. For the same
reason the certificate's dates are reported, not enforced (it is checked as of its own
``notBefore``); issuers re-sign alerts after ``sent``, and short-lived certificates expire.

Rules beyond what ``signxml`` checks, each for a reason found in real alerts:

* Base64 must be canonical (pad bits zero, RFC 4648 §3.5). A non-canonical value decodes to
  the same bytes as the original, so flipping pad bits alters a signed document without
  breaking the mathematics; we treat it as tampering (WMO's test files do exactly this).
* Several signatures (Canada's NAAD adds its own beside Environment Canada's) are independent:
  each covers the alert without any signature, so each is verified with its siblings removed.
  Every one must verify.
* Strict XML-DSig first. If that fails, the alert element alone is verified once more with
  whitespace-only text between elements removed (leaf text untouched): Seychelles and Togo
  pretty-print their alerts after signing them, which WMO's capvalidator tolerates the same
  way. CAP content is element-only, so nothing the model keeps escapes the signature; the
  detail says the layout (and any processing instruction outside ``<alert>``) is not covered.
* A bare ``KeyValue`` (PAGASA, USGS) is accepted like an embedded certificate, without a
  signer name: with no trust store, both only prove the alert matches the key it carries.
* SHA-1 algorithms are accepted for verification (legacy use, as NIST SP 800-131A allows)
  and named in the detail; real Canadian alerts still use RSA-SHA1.
* libxml2 2.14 (lxml 6.1) writes a spurious ``xmlns=""`` when canonicalizing a subtree with
  inclusive C14N 1.0, which breaks every such ``SignedInfo`` under a default namespace; signxml's
  ``excise_empty_xmlns_declarations`` removes it (``SignedInfo`` holds only XML-DSig elements,
  so no real ``xmlns=""`` can be lost).
* The XML-DSig schema check is off: NAAD's signature carries ``Id="NAADS Signature"`` (not an
  ``xs:ID``) and an ``Object`` in no namespace, neither of which the signature covers.

Nothing is ever fetched: the certificate comes from the document, and the parser is ours.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import cryptography.exceptions
from cryptography import x509
from lxml import etree
from signxml.algorithms import CanonicalizationMethod, DigestAlgorithm, SignatureMethod
from signxml.exceptions import SignXMLException
from signxml.verifier import SignatureConfiguration, XMLVerifier

from accord.adapters.cap_xml.parsing import parse_xml, safe_parser
from accord.domain.alerts.cap import CAP_NAMESPACE, XMLDSIG_NAMESPACE, parse_cap_datetime
from accord.errors import InvalidInputError

SignatureStatus = Literal["unsigned", "valid", "invalid"]

_DS = "{" + XMLDSIG_NAMESPACE + "}"
_NS = {"ds": XMLDSIG_NAMESPACE}
_CERTIFICATE = "ds:KeyInfo/ds:X509Data/ds:X509Certificate"
_ANCHOR_NOTE = "certificate not anchored in a trust store"
_LAYOUT_NOTE = (
    "verifies only with whitespace between elements and processing instructions outside"
    " <alert> ignored (the WMO capvalidator convention): the issuer reformatted the alert"
    " after signing it, and that layout is not covered by the signature"
)
_XML_SPACE = " \t\r\n"
_SIGNATURE_METHODS = frozenset(method for method in SignatureMethod if "hmac" not in method.value)
_DIGESTS = frozenset(DigestAlgorithm)
_SHA1 = ("sha1",)
# What verification can raise on hostile input; all of it means "invalid" (fail closed).
_VERIFY_ERRORS = (
    SignXMLException,
    cryptography.exceptions.InvalidSignature,
    cryptography.exceptions.UnsupportedAlgorithm,
    etree.LxmlError,
    ValueError,
    TypeError,
    AttributeError,
    LookupError,
    ArithmeticError,
)


@dataclass(frozen=True, slots=True)
class SignatureCheck:
    """What XML-DSig verification of one alert found; ``signer`` is the certificate subject."""

    status: SignatureStatus
    detail: str
    signer: str | None = None


UNSIGNED = SignatureCheck("unsigned", "the alert carries no XML-DSig signature")


def check_signature(document: bytes) -> SignatureCheck:
    """Verify every enveloped signature of the alert that is the root of ``document``."""
    try:
        parser = safe_parser(keep_comments_and_pis=True)
        root = parse_xml(document, max_bytes=len(document), parser=parser)
    except InvalidInputError as exc:
        return SignatureCheck("invalid", f"the signed document cannot be read: {exc}")
    count = sum(1 for child in root if child.tag == _DS + "Signature")
    if count == 0:
        return UNSIGNED
    checks = [_guarded_check(document, index, count) for index in range(count)]
    failed = [check for check in checks if check.status != "valid"]
    if failed:
        return failed[0]
    signers = "; ".join(check.signer for check in checks if check.signer is not None)
    details = " | ".join(check.detail for check in checks)
    return SignatureCheck("valid", details, signers or None)


def _guarded_check(document: bytes, index: int, count: int) -> SignatureCheck:
    """Fail closed: whatever a hostile certificate or signature makes a library raise."""
    try:
        return _check_one(document, index, count)
    except _VERIFY_ERRORS as exc:
        return SignatureCheck("invalid", f"signature {index + 1} cannot be checked: {_reason(exc)}")


def _check_one(document: bytes, index: int, count: int) -> SignatureCheck:
    label = "signature" if count == 1 else f"signature {index + 1} of {count}"
    root = _only_signature(document, index)
    signature = next(child for child in root if child.tag == _DS + "Signature")
    reason = _precheck(signature)
    if reason is not None:
        return SignatureCheck("invalid", f"{label}: {reason}")
    try:
        certificate = _certificate(signature)
    except _VERIFY_ERRORS as exc:
        return SignatureCheck("invalid", f"{label}: the embedded certificate is unreadable: {exc}")
    failure = _verify(root, certificate, whole_document=True)
    note = ""
    if failure is not None:
        _strip_layout(root)
        if _verify(root, certificate, whole_document=False) is not None:
            return SignatureCheck("invalid", f"{label} does not verify: {failure}")
        note = f"; {_LAYOUT_NOTE}"
    if certificate is None:
        detail = f"{label} verifies with the bare public key in KeyValue (no certificate names"
        return SignatureCheck("valid", f"{detail} the signer); no trust store{note}")
    signer = certificate.subject.rfc4514_string()
    detail = f"{label} verifies with the embedded certificate ({signer}); {_ANCHOR_NOTE}"
    return SignatureCheck("valid", detail + note + _notes(signature, certificate, root), signer)


def _only_signature(document: bytes, keep: int) -> etree._Element:
    """The document re-read with every signature but the ``keep``-th removed (tails kept)."""
    root = parse_xml(
        document, max_bytes=len(document), parser=safe_parser(keep_comments_and_pis=True)
    )
    signatures = [child for child in root if child.tag == _DS + "Signature"]
    for position, signature in enumerate(signatures):
        if position != keep:
            _remove_keeping_tail(signature)
    return root


def _remove_keeping_tail(element: etree._Element) -> None:
    parent = element.getparent()
    assert parent is not None
    tail = element.tail or ""
    previous = element.getprevious()
    if previous is not None:
        previous.tail = (previous.tail or "") + tail
    else:
        parent.text = (parent.text or "") + tail
    parent.remove(element)


def _precheck(signature: etree._Element) -> str | None:
    for reference in signature.iterfind("ds:SignedInfo/ds:Reference", _NS):
        if reference.get("URI") != "":
            return 'a Reference other than URI="" does not cover the whole alert'
    for path in ("ds:SignatureValue", ".//ds:DigestValue", ".//ds:X509Certificate"):
        for node in signature.iterfind(path, _NS):
            if not _is_canonical_base64(node.text or ""):
                name = etree.QName(node).localname
                return f"{name} is not canonical base64 (non-zero pad bits): it was altered"
    if signature.find("ds:SignedInfo", _NS) is None:
        return "no SignedInfo: the Signature element is empty or a placeholder"
    has_certificate = signature.find(_CERTIFICATE, _NS) is not None
    if not has_certificate and signature.find("ds:KeyInfo/ds:KeyValue", _NS) is None:
        return "neither an X.509 certificate nor a KeyValue is embedded, and no trust store is set"
    if not has_certificate and signature.find("ds:KeyInfo/ds:X509Data", _NS) is not None:
        return "X509Data without an X509Certificate: the key cannot be found without a trust store"
    return None


def _is_canonical_base64(text: str) -> bool:
    compact = "".join(text.split())
    try:
        decoded = base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        return False
    return base64.b64encode(decoded).decode("ascii") == compact


def _certificate(signature: etree._Element) -> x509.Certificate | None:
    text = signature.findtext(_CERTIFICATE, None, _NS)
    if text is None:
        return None
    return x509.load_der_x509_certificate(base64.b64decode("".join(text.split())))


def _verify(
    root: etree._Element, certificate: x509.Certificate | None, *, whole_document: bool
) -> str | None:
    """``None`` when the signature verifies over the document (or the root element alone).

    Without a certificate, signxml takes the key from ``KeyValue``.
    """
    config = SignatureConfiguration(
        require_x509=certificate is not None,
        signature_methods=_SIGNATURE_METHODS,
        digest_algorithms=_DIGESTS,
        verification_time=None if certificate is None else certificate.not_valid_before_utc,
        default_reference_c14n_method=CanonicalizationMethod.CANONICAL_XML_1_0,
    )
    verifier = XMLVerifier()
    verifier.excise_empty_xmlns_declarations = True
    data = etree.tostring(root.getroottree() if whole_document else root)
    try:
        verifier.verify(
            data,
            x509_cert=certificate,
            expect_config=config,
            validate_schema=False,
            parser=safe_parser(keep_comments_and_pis=True),
        )
    except _VERIFY_ERRORS as exc:
        return _reason(exc)
    return None


def _strip_layout(root: etree._Element) -> None:
    """Drop whitespace-only text between elements; leaf text is left exactly as it is.

    Every CAP and XML-DSig complex type has element-only content, so this text carries no
    information; issuers (Seychelles, Togo) indent their alerts after signing them.
    """
    for element in root.iter():
        if len(element) == 0:
            continue
        if element.text is not None and not element.text.strip(_XML_SPACE):
            element.text = None
        for child in element:
            if child.tail is not None and not child.tail.strip(_XML_SPACE):
                child.tail = None


def _notes(signature: etree._Element, certificate: x509.Certificate, root: etree._Element) -> str:
    notes = []
    algorithms = [node.get("Algorithm") or "" for node in signature.iterfind(".//*[@Algorithm]")]
    if any(algorithm.endswith(_SHA1) for algorithm in algorithms):
        notes.append("uses legacy SHA-1")
    start, end = certificate.not_valid_before_utc, certificate.not_valid_after_utc
    window = f"certificate valid {start:%Y-%m-%d} to {end:%Y-%m-%d}"
    sent = _sent_at(root)
    if sent is not None and not start <= sent <= end:
        window += f", which does not include the alert's sent time {sent:%Y-%m-%dT%H:%M}Z"
    notes.append(window)
    return "; " + "; ".join(notes)


def _sent_at(root: etree._Element) -> datetime | None:
    try:
        return parse_cap_datetime(root.findtext("{" + CAP_NAMESPACE + "}sent", ""))
    except ValueError:
        return None


def _reason(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text if len(text) <= 300 else text[:300] + "…"
