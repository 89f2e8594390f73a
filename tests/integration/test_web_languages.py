"""The web pages in English and in French over real HTTP: chosen by Accept-Language, by the
language switch (``?lang=``, remembered in a cookie), English otherwise; the portal and,
signed in, every console page, its forms' answers, refusals and live feed."""

from __future__ import annotations

import html
import json
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


def test_the_sign_in_page_and_its_throttle_speak_french(
    server: LiveServer, node: Node, region: Region
) -> None:
    node.sessions.set_password("ee-focal-point", PASSWORD)
    french = {"Accept-Language": "fr"}
    with server.client() as client:
        form = client.get("/signin", headers=french)
        wrong = sign_in(client, "ee-focal-point", "not the password, long enough")
        client.headers.update(french)
        refused = sign_in(client, "ee-focal-point", "not the password, long enough")
        for _ in range(3):
            sign_in(client, "ee-focal-point", "not the password, long enough")
        locked = sign_in(client, "ee-focal-point")
    assert _lang(form) == "fr"
    assert _h1(form) == "Se connecter à la console"
    assert '<label for="password">Mot de passe</label>' in form.text
    assert "The username or password is not right." in wrong.text  # no header: English
    assert "Le nom d’utilisateur ou le mot de passe est incorrect." in refused.text
    assert locked.status_code == 429
    wait = re.search(
        r"Trop de tentatives de connexion échouées depuis cet endroit ou pour ce compte\. "
        r"Réessayez dans (\d+) secondes?\.",
        locked.text,
    )
    assert wait is not None, locked.text
    assert int(wait.group(1)) == int(locked.headers["retry-after"])
    assert "Too many failed sign-ins" not in locked.text
    assert "Try again" not in locked.text


AGREEMENT = "baltic-pact"


@pytest.fixture
def console(server: LiveServer, node: Node, region: Region) -> dict[str, str]:
    """An alert of EE's and an agreement EE is party to, and the passwords to sign in."""
    for username in ("ee-focal-point", "admin"):
        node.sessions.set_password(username, PASSWORD)
    with server.client(region.tokens["EE:focal-point"]) as client:
        issued = client.post(
            "/api/v1/alerts",
            content=alert_xml("LANG-2", headline="Storm over Tallinn"),
            headers={"Content-Type": "application/cap+xml"},
            params={"tlp": "GREEN"},
        )
    assert issued.status_code == 201, issued.text
    with server.client(region.tokens["admin"]) as admin:
        loaded = admin.post("/api/v1/agreements", json=_agreement())
    assert loaded.status_code in (200, 201), loaded.text
    return {"alert": str(issued.json()["record_id"])}


def _agreement() -> dict[str, object]:
    return {
        "name": AGREEMENT,
        "title": "Baltic pact",
        "version": 1,
        "parties": ["EE", "LV"],
        "mandate": "Acknowledge each other's alerts within the hour.",
        "tier": 1,
        "starts": "2026-01-01",
        "sunset": None,
        "review": None,
        "emergency": None,
        "advance": None,
        "obligations": [
            {
                "id": "hotline",
                "tier": 1,
                "rule": "alert-acknowledgement",
                "description": "Acknowledge every alert within the hour.",
                "source": "the pact, article 2",
                "params": {"acknowledge_within_minutes": 60},
            }
        ],
    }


# Per console page: French it must show, and English of the same page it must not.
CONSOLE = {
    "/console": (
        ["Chronologie", "Filtrer les alertes", "Gravité minimale", "Réinitialiser"],
        ["Timeline", "Filter alerts", "At least severity", "newest first", "Bars run from"],
    ),
    "/console/alerts/{alert}": (
        ["Tableau des accusés de réception", "Accuser réception pour EE", "Preuve d’inclusion"],
        ["Acknowledgement board", "Acknowledge for", "Record decision", "Signature and log"],
    ),
    "/console/compose": (
        ["Rédiger une alerte", "Envoyer l’alerte", "(obligatoire)", "Afficher sur la carte"],
        ["Compose an alert", "Send the alert", "(required)", "Show on the map", "corners"],
    ),
    "/console/agreements": (
        ["Réexamens et extinctions", "Réciprocité", "Tableau de bord de conformité"],
        ["Reviews and sunsets", "Reciprocity", "Held here", "Compliance board"],
    ),
    f"/console/agreements/{AGREEMENT}/compliance": (
        ["Conformité : Baltic pact", "En retard et manquées", "Recommandation et préoccupations"],
        ["Compliance:", "Late and missed", "Status over time", "Recommendation and concerns"],
    ),
    "/console/log": (
        ["Historique des points de contrôle", "Clés des participants", "Ce nœud audite son"],
        ["Checkpoint history", "Participant keys", "This node audits", "Current checkpoint"],
    ),
    "/console/subscriptions": (
        ["Nouvel abonnement", "S’abonner", "Où vont les alertes", "(facultatif)"],
        ["New subscription", "Subscribe</button>", "Where alerts go", "(optional)"],
    ),
}
EVERY_PAGE = (["Journal et pairs", "Abonnements", "Se déconnecter"], ["Log and peers", "Sign out"])


def _read_in_french(page: httpx.Response, french: list[str], english: list[str]) -> None:
    assert page.status_code == 200, page.text
    assert _lang(page) == "fr"
    assert page.headers["content-language"] == "fr"
    assert "Cookie" in page.headers["vary"]
    for text in french + EVERY_PAGE[0]:
        assert text in page.text, text
    for text in english + EVERY_PAGE[1]:
        assert text not in page.text, text


def test_every_console_page_is_in_french_once_chosen(
    server: LiveServer, console: dict[str, str]
) -> None:
    with server.client() as client:
        assert sign_in(client, "ee-focal-point").status_code == 303
        chosen = client.get("/console", params={"lang": "fr"})  # the switch: then the cookie
        pages = {path: client.get(path.format(**console)) for path in CONSOLE}
    assert "accord_lang=fr" in chosen.headers["set-cookie"]
    for path, (french, english) in CONSOLE.items():
        _read_in_french(pages[path], french, english)
    alert = pages["/console/alerts/{alert}"].text
    assert _h1(pages["/console/alerts/{alert}"]) == "Storm over Tallinn"  # its own words
    for cap_value in ('badge sev-severe">Severe<', "<dd>Met</dd>", "<dd>Expected</dd>"):
        assert cap_value in alert  # CAP values are codes, never translated
    assert console["alert"] in alert
    compose = pages["/console/compose"].text
    assert '<option value="Actual" selected>Actual</option>' in compose
    assert "sommets" in compose  # the map script's words, given by the page


def test_the_admin_page_is_in_french_for_an_admin(
    server: LiveServer, console: dict[str, str]
) -> None:
    with server.client() as client:
        assert sign_in(client, "admin").status_code == 303
        page = client.get("/console/admin", headers={"Accept-Language": "fr-FR,fr;q=0.9"})
        done = client.get("/console/admin", params={"done": "agency", "lang": "fr"})
    _read_in_french(
        page,
        ["Jetons d’API", "Ajouter un organisme", "Émettre un jeton d’API", "Administration"],
        ["API tokens", "Add an agency", "Issue an API token", "Admin sections"],
    )
    assert "L’organisme a été ajouté." in done.text
    assert '<input type="hidden" name="done" value="agency">' in done.text  # the switch keeps it


def test_french_console_answers_to_forms_and_refusals_and_the_live_feed(
    server: LiveServer, console: dict[str, str]
) -> None:
    french = {"Accept-Language": "fr"}
    with server.client() as client:
        assert sign_in(client, "ee-focal-point").status_code == 303
        client.headers.update(french)
        admin_only = client.get("/console/admin")
        situation = client.get("/console")
        stream = html.unescape(re.search(r'data-stream="([^"]+)"', situation.text).group(1))
        with client.stream("GET", stream, headers={"Last-Event-ID": "0"}) as response:
            event = next(
                json.loads(line[5:]) for line in response.iter_lines() if line.startswith("data:")
            )
        token = re.search(r'name="csrf_token" value="([^"]+)"', situation.text).group(1)
        subscribed = client.post(
            "/console/subscriptions",
            data={"csrf_token": token, "name": "Storms", "area": "north of here", "kind": "none"},
        )
    assert admin_only.status_code == 403
    assert _h1(admin_only) == "Réservé aux administrateurs"
    assert event["bar"]["title"].startswith("Storm over Tallinn (Severe) : envoyée le ")
    assert subscribed.status_code == 422
    assert _lang(subscribed) == "fr"
    assert "zone : paires lat,lon séparées par des espaces" in subscribed.text
    assert "language-switch" not in subscribed.text  # an answer to a POST: nothing to reload


def test_the_console_stays_english_without_a_choice(
    server: LiveServer, console: dict[str, str]
) -> None:
    with server.client() as client:
        assert sign_in(client, "ee-focal-point").status_code == 303
        pages = {path: client.get(path.format(**console)) for path in CONSOLE}
    for path, (french, english) in CONSOLE.items():
        page = pages[path]
        assert _lang(page) == "en", path
        assert english[0] in page.text, path
        assert french[0] not in page.text, path
