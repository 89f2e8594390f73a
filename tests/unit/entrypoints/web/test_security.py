"""Headers, CSRF checks and redirects of the web pages, on hand-made requests."""

from __future__ import annotations

from fastapi import Request

from accord.entrypoints.web import security


def _request(headers: dict[str, str], scheme: str = "http") -> Request:
    return Request(
        {
            "type": "http",
            "method": "POST",
            "scheme": scheme,
            "server": ("node.example", 443 if scheme == "https" else 80),
            "path": "/signout",
            "query_string": b"",
            "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()]
            + [(b"host", b"node.example")],
        }
    )


def test_the_policy_allows_nothing_inline_and_nothing_from_elsewhere() -> None:
    policy = security.CONTENT_SECURITY_POLICY
    assert "'unsafe-inline'" not in policy
    assert "'unsafe-eval'" not in policy
    for directive in (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ):
        assert directive in policy


def test_a_form_with_its_sessions_token_is_genuine() -> None:
    assert security.form_is_genuine(_request({}), "tok-1", {"csrf_token": "tok-1"})


def test_a_form_without_the_token_or_with_another_is_refused() -> None:
    assert not security.form_is_genuine(_request({}), "tok-1", {})
    assert not security.form_is_genuine(_request({}), "tok-1", {"csrf_token": "tok-2"})
    assert not security.form_is_genuine(_request({}), None, {"csrf_token": "tok-1"})


def test_a_form_posted_from_another_site_is_refused_even_with_the_token() -> None:
    hostile = _request({"origin": "https://evil.example"})
    assert not security.form_is_genuine(hostile, "tok-1", {"csrf_token": "tok-1"})


def test_a_form_posted_from_this_site_or_with_a_null_origin_is_accepted() -> None:
    for origin in ("http://node.example", "null"):
        request = _request({"origin": origin})
        assert security.form_is_genuine(request, "tok-1", {"csrf_token": "tok-1"})


def test_the_session_cookie_is_host_locked_only_over_https() -> None:
    assert security.session_cookie_name(_request({}, "https")) == "__Host-accord_session"
    assert security.session_cookie_name(_request({})) == "accord_session"


def test_redirects_after_sign_in_stay_on_this_site() -> None:
    assert security.local_path("/console?tlp=RED") == "/console?tlp=RED"
    for hostile in ("https://evil.example/", "//evil.example/", "/\\evil.example", "", None):
        assert security.local_path(hostile) == "/console"


def test_web_paths_are_told_from_the_api() -> None:
    assert all(
        security.is_web_path(p)
        for p in ("/", "/alerts/x", "/console", "/signin", "/static/accord.css", "/scoreboard")
    )
    assert not any(
        security.is_web_path(p) for p in ("/api/v1/alerts", "/docs", "/feeds/cap.atom", "/log")
    )
