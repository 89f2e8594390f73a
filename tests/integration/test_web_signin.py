"""Signing in to the console over real HTTP: sessions, cookies, throttling, CSRF, sign-out,
and the CLI and demo that set passwords."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from accord.bootstrap import Node, build
from accord.config import Settings
from accord.demo.seed import prepare_demo
from accord.entrypoints.cli.main import app
from accord.services.sessions import Refused, SignedIn
from tests.integration.conftest import LiveServer, Region
from tests.integration.web_pages import PASSWORD, form_token, sign_in


@pytest.fixture
def focal(node: Node, region: Region) -> str:
    node.sessions.set_password("ee-focal-point", PASSWORD)
    return "ee-focal-point"


def test_signing_in_opens_the_console_with_a_strict_http_only_cookie(
    server: LiveServer, focal: str
) -> None:
    with server.client() as client:
        response = sign_in(client, focal)
        assert response.status_code == 303
        assert response.headers["location"] == "/console"
        cookie = next(
            c for c in response.headers.get_list("set-cookie") if c.startswith("accord_session=")
        )
        assert "HttpOnly" in cookie
        assert "SameSite=strict" in cookie
        assert "Secure" not in cookie  # plain HTTP on loopback; __Host- and Secure over HTTPS
        console = client.get("/console")
    assert console.status_code == 200
    assert "Signed in as <strong>ee-focal-point</strong>" in console.text
    assert console.headers["cache-control"] == "no-store"


def test_a_wrong_password_is_refused_and_opens_no_session(server: LiveServer, focal: str) -> None:
    with server.client() as client:
        response = sign_in(client, focal, "not the password at all")
        assert response.status_code == 401
        assert "The username or password is not right." in response.text
        assert not any(
            c.startswith("accord_session=") for c in response.headers.get_list("set-cookie")
        )
        assert client.get("/console").headers["location"] == "/signin?next=/console"


def test_an_unknown_user_gets_the_same_answer_as_a_wrong_password(
    server: LiveServer, focal: str
) -> None:
    with server.client() as client:
        response = sign_in(client, "nobody-here", "whatever password")
    assert response.status_code == 401
    assert "The username or password is not right." in response.text


def test_repeated_failures_lock_the_account_even_for_the_right_password(
    server: LiveServer, focal: str
) -> None:
    with server.client() as client:
        for _ in range(5):
            assert sign_in(client, focal, "wrong guess number x").status_code == 401
        locked = sign_in(client, focal)
    assert locked.status_code == 429
    assert 1 <= int(locked.headers["retry-after"]) <= 15
    assert "Too many failed sign-ins" in locked.text
    assert "Try again in" in locked.text


def test_the_throttle_lets_the_user_in_again_once_the_back_off_has_passed(
    settings: Settings, region: Region, node: Node
) -> None:
    clock = _Clock(datetime(2026, 11, 24, 12, 0, tzinfo=UTC))
    timed = build(settings, clock=clock)
    try:
        timed.sessions.set_password("ee-analyst", PASSWORD)
        for _ in range(5):
            assert isinstance(timed.sessions.sign_in("ee-analyst", "wrong", "10.0.0.1"), Refused)
        refused = timed.sessions.sign_in("ee-analyst", PASSWORD, "10.0.0.1")
        assert isinstance(refused, Refused)
        assert refused.retry_after_s == 15
        clock.at += timedelta(seconds=16)
        assert timed.sessions.sign_in("ee-analyst", "wrong", "10.0.0.1").retry_after_s is None
        doubled = timed.sessions.sign_in("ee-analyst", PASSWORD, "10.0.0.1")
        assert isinstance(doubled, Refused)
        assert doubled.retry_after_s == 30  # the sixth failure doubled the wait
        clock.at += timedelta(seconds=31)
        assert isinstance(timed.sessions.sign_in("ee-analyst", PASSWORD, "10.0.0.1"), SignedIn)
    finally:
        timed.close()


def test_a_session_expires_after_its_lifetime(
    settings: Settings, region: Region, node: Node
) -> None:
    clock = _Clock(datetime(2026, 11, 24, 12, 0, tzinfo=UTC))
    timed = build(settings, clock=clock)
    try:
        timed.sessions.set_password("ee-analyst", PASSWORD)
        signed = timed.sessions.sign_in("ee-analyst", PASSWORD, "10.0.0.1")
        assert isinstance(signed, SignedIn)
        assert timed.sessions.resume(signed.token) is not None
        clock.at += timedelta(hours=8, seconds=1)
        assert timed.sessions.resume(signed.token) is None
    finally:
        timed.close()


def test_the_sign_in_form_refuses_a_post_without_its_token(server: LiveServer, focal: str) -> None:
    with server.client() as client:
        response = client.post("/signin", data={"username": focal, "password": PASSWORD})
        assert response.status_code == 403
        assert "did not come from this site" in response.text
        assert client.get("/console").status_code == 303


def test_the_sign_in_form_refuses_a_token_without_its_cookie(
    server: LiveServer, focal: str
) -> None:
    with server.client() as browser:
        token = form_token(browser.get("/signin").text)
    with server.client() as attacker:  # a page elsewhere cannot send the victim's cookie
        response = attacker.post(
            "/signin", data={"csrf_token": token, "username": focal, "password": PASSWORD}
        )
    assert response.status_code == 403


def test_a_post_from_another_origin_is_refused(server: LiveServer, focal: str) -> None:
    with server.client() as client:
        token = form_token(client.get("/signin").text)
        response = client.post(
            "/signin",
            data={"csrf_token": token, "username": focal, "password": PASSWORD},
            headers={"Origin": "https://evil.example"},
        )
    assert response.status_code == 403


def test_signing_out_needs_the_sessions_csrf_token(server: LiveServer, focal: str) -> None:
    with server.client() as client:
        sign_in(client, focal)
        forged = client.post("/signout", data={"csrf_token": "guessed"})
        assert forged.status_code == 403
        assert client.get("/console").status_code == 200  # still signed in
        token = form_token(client.get("/console").text)
        signed_out = client.post("/signout", data={"csrf_token": token})
        assert signed_out.status_code == 303
        assert signed_out.headers["location"] == "/"
        assert client.get("/console").status_code == 303


def test_a_signed_out_sessions_cookie_is_dead_even_if_replayed(
    server: LiveServer, focal: str
) -> None:
    with server.client() as client:
        sign_in(client, focal)
        stolen = client.cookies["accord_session"]
        client.post("/signout", data={"csrf_token": form_token(client.get("/console").text)})
    with server.client() as replay:
        replay.cookies.set("accord_session", stolen)
        assert replay.get("/console").status_code == 303


def test_after_sign_in_the_browser_goes_where_it_was_going_and_nowhere_else(
    server: LiveServer, focal: str
) -> None:
    with server.client() as client:
        page = client.get("/signin", params={"next": "https://evil.example/"})
        response = client.post(
            "/signin",
            data={
                "csrf_token": form_token(page.text),
                "username": focal,
                "password": PASSWORD,
                "next": "//evil.example/",
            },
        )
    assert response.headers["location"] == "/console"


def test_setting_a_password_ends_the_users_sessions(
    server: LiveServer, focal: str, node: Node
) -> None:
    with server.client() as client:
        sign_in(client, focal)
        node.sessions.set_password(focal, "another long password")
        assert client.get("/console").status_code == 303
        assert sign_in(client, focal).status_code == 401
        assert sign_in(client, focal, "another long password").status_code == 303


def test_the_cli_sets_a_password_from_standard_input_or_a_file(
    settings: Settings, region: Region, tmp_path: Path
) -> None:
    options = ["--data-dir", str(tmp_path), "--database-url", settings.database_url]
    runner = CliRunner()
    typed = runner.invoke(app, ["user", "password", "ee-analyst", *options], input=f"{PASSWORD}\n")
    assert typed.exit_code == 0, typed.output
    (tmp_path / "pw").write_text("from a file, long enough\n")
    filed = runner.invoke(
        app,
        ["user", "password", "lv-analyst", "--password-file", str(tmp_path / "pw"), *options],
    )
    assert filed.exit_code == 0, filed.output
    short = runner.invoke(app, ["user", "password", "lt-analyst", *options], input="short\n")
    assert short.exit_code == 1
    assert "at least 12 characters" in short.output
    missing = runner.invoke(app, ["user", "password", "nobody", *options], input=f"{PASSWORD}\n")
    assert missing.exit_code == 3
    check = build(settings)
    try:
        assert isinstance(check.sessions.sign_in("ee-analyst", PASSWORD, "x"), SignedIn)
        assert isinstance(
            check.sessions.sign_in("lv-analyst", "from a file, long enough", "x"), SignedIn
        )
    finally:
        check.close()


def test_the_demo_prints_a_console_account_whose_password_works(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "demo", database_url="", node_name="demo")
    info = prepare_demo(settings)
    console = info["console"]
    assert console["url"].endswith("/signin")
    assert set(info["passwords"]) >= {"admin", "ee-focal", "observer", "reporter"}
    node = build(settings)
    try:
        signed = node.sessions.sign_in(console["username"], console["password"], "127.0.0.1")
        assert isinstance(signed, SignedIn)
        assert signed.session.account.username == console["username"]
    finally:
        node.close()


class _Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at
