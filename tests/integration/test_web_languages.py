"""The public pages in English and in French over real HTTP: chosen by Accept-Language, by
the language switch (``?lang=``, remembered in a cookie), English otherwise; the console's
pages stay English."""

from __future__ import annotations

import re

import httpx
import pytest

from accord.bootstrap import Node
from tests.integration.cap_samples import alert_xml
from tests.integration.conftest import LiveServer, Region
from tests.integration.web_pages import PASSWORD, sign_in

FRENCH = {"/": "Alertes publiques", "/scoreboard": "Tableau de conformité"}
ENGLISH = {"/": "Public alerts", "/scoreboard": "Compliance scoreboard"}


def _lang(page: httpx.Response) -> str:
    found = re.search(r'<html lang="([^"]+)">', page.text)
    assert found is not None
    return found.group(1)


def _h1(page: httpx.Response) -> str:
    found = re.search(r"<h1>(.*?)</h1>", page.text, re.S)
    assert found is not None
    return found.group(1).strip()


@pytest.fixture
def public_id(server: LiveServer, region: Region) -> str:
    with server.client(region.tokens["EE:focal-point"]) as client:
        response = client.post(
            "/api/v1/alerts",
            content=alert_xml("LANG-1", headline="Storm over Tallinn"),
            headers={"Content-Type": "application/cap+xml"},
        )
    assert response.status_code == 201, response.text
    return str(response.json()["record_id"])


@pytest.mark.parametrize("path", ["/", "/scoreboard"])
def test_a_french_browser_reads_the_portal_in_french(server: LiveServer, path: str) -> None:
    with server.client() as client:
        page = client.get(path, headers={"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"})
    assert page.status_code == 200
    assert _lang(page) == "fr"
    assert page.headers["content-language"] == "fr"
    assert "Accept-Language" in page.headers["vary"]
    assert _h1(page) == FRENCH[path]
    assert "Aller au contenu principal" in page.text
    assert "Skip to main content" not in page.text


def test_the_french_portal_shows_alerts_in_their_own_words(
    server: LiveServer, public_id: str
) -> None:
    with server.client() as client:
        portal = client.get("/", headers={"Accept-Language": "fr"})
        alert = client.get(f"/alerts/{public_id}", headers={"Accept-Language": "fr"})
        missing = client.get("/alerts/nothing-here", headers={"Accept-Language": "fr"})
    assert "1 zone d’alerte tracée." in portal.text
    assert '<th scope="col">Titre</th>' in portal.text
    assert "Storm over Tallinn" in portal.text  # alert text is never translated
    assert _h1(alert) == "Storm over Tallinn"
    assert "<dt>Événement</dt>" in alert.text
    assert "Que faire" not in alert.text
    assert missing.status_code == 404
    assert _lang(missing) == "fr"
    assert _h1(missing) == "Alerte publique introuvable"


def test_the_language_switch_chooses_french_and_the_choice_is_remembered(
    server: LiveServer,
) -> None:
    with server.client() as client:
        english = client.get("/")
        switched = client.get("/", params={"lang": "fr"})
        later = client.get("/scoreboard")  # the cookie, no query
        back = client.get("/scoreboard", params={"lang": "en"})
        after = client.get("/")
    assert _lang(english) == "en"
    assert _h1(english) == "Public alerts"
    assert '<select id="language-switch" name="lang">' in english.text
    assert '<option value="fr" lang="fr">Français</option>' in english.text
    assert _lang(switched) == "fr"
    assert _h1(switched) == "Alertes publiques"
    assert "accord_lang=fr" in switched.headers["set-cookie"]
    assert "samesite=strict" in switched.headers["set-cookie"].lower()
    assert _lang(later) == "fr"
    assert _h1(later) == FRENCH["/scoreboard"]
    assert _lang(back) == "en"
    assert _lang(after) == "en"


@pytest.mark.parametrize("accept", [None, "en-GB,en;q=0.9", "de-DE,de;q=0.9", "fr;q=0, de"])
def test_other_browsers_read_the_portal_in_english(server: LiveServer, accept: str | None) -> None:
    headers = {"Accept-Language": accept} if accept else {}
    with server.client() as client:
        pages = {path: client.get(path, headers=headers) for path in ENGLISH}
        unknown = client.get("/", params={"lang": "xx"}, headers=headers)
    for path, page in pages.items():
        assert _lang(page) == "en"
        assert _h1(page) == ENGLISH[path]
        assert "set-cookie" not in page.headers
    assert _lang(unknown) == "en"
    assert "set-cookie" not in unknown.headers


def test_the_sign_in_page_is_translated_and_the_console_stays_english(
    server: LiveServer, node: Node, region: Region
) -> None:
    node.sessions.set_password("ee-focal-point", PASSWORD)
    french = {"Accept-Language": "fr"}
    with server.client() as client:
        form = client.get("/signin", headers=french)
        wrong = sign_in(client, "ee-focal-point", "not the password, long enough")
        client.headers.update(french)
        refused = sign_in(client, "ee-focal-point", "not the password, long enough")
        sign_in(client, "ee-focal-point")
        console = client.get("/console", params={"lang": "fr"})
        portal = client.get("/")
    assert _lang(form) == "fr"
    assert _h1(form) == "Se connecter à la console"
    assert '<label for="password">Mot de passe</label>' in form.text
    assert "The username or password is not right." in wrong.text  # no header: English
    assert "Le nom d’utilisateur ou le mot de passe est incorrect." in refused.text
    assert _lang(console) == "en"
    assert _h1(console) == "Situation"
    assert "language-switch" not in console.text
    assert "Connecté en tant que <strong>ee-focal-point</strong> (focal-point)" in portal.text
