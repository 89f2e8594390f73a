"""The web pages' translations: every message the pages and their code mark for translation
(portal and console alike) has a complete French translation (extracted as babel.cfg says,
as a translator would) that keeps its placeholders and markup, and a request gets the
language it asked for."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from starlette.requests import Request

from accord.entrypoints.web import languages
from accord.entrypoints.web.rendering import make_templates
from accord.entrypoints.web.signin import wait_words

ROOT = Path(__file__).resolve().parents[4]
LOCALES = ROOT / "src/accord/entrypoints/web/locales"


Key = tuple[str | None, str]  # (msgctxt, msgid)
PLACEHOLDER = re.compile(r"%\((\w+)\)s")
MARKUP = re.compile(r"</?([a-z]+)|\b(?:href|class|datetime)=\"([^\"]*)\"")


@cache
def _extracted() -> dict[Key, tuple[str, ...]]:
    """(context, msgid) -> every form (singular, plural) of each message babel.cfg's
    extraction finds."""
    with (ROOT / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    found: dict[Key, tuple[str, ...]] = {}
    extracted = extract_from_dir(str(ROOT), method_map, options_map)  # skips .venv, .git
    for _file, _line, message, _comments, context in extracted:
        forms = message if isinstance(message, tuple) else (message,)
        found[(context, forms[0])] = forms
    return found


def _msgids() -> set[str]:
    return {msgid for _context, msgid in _extracted()}


def _french() -> Catalog:
    with (LOCALES / "fr/LC_MESSAGES/messages.po").open("rb") as po:
        return read_po(po, locale="fr")


def test_extraction_finds_the_pages_and_the_consoles_messages() -> None:
    found = _extracted()
    portal = {"Public alerts", "Sign in", "Skip to main content", "No such public alert"}
    console = {"Acknowledgement board", "Compose an alert", "Checkpoint history", "Add a user"}
    assert portal | console <= _msgids()
    assert found[(None, "%(count)s alert area drawn.")][1] == "%(count)s alert areas drawn."
    assert ("one duty", "met") in found  # pgettext: one duty's status, beside "met" (a column)
    assert (None, "met") in found
    assert (
        None,
        "Too many failed sign-ins from here or for this account. Try again in %(wait)s.",
    ) in found


def test_every_message_in_the_pages_has_a_french_translation() -> None:
    catalogue = _french()
    untranslated = []
    for (context, msgid), forms in _extracted().items():
        message = catalogue.get(msgid, context=context)
        strings = () if message is None else message.string
        strings = strings if isinstance(strings, tuple) else (strings,)
        if (
            message is None
            or message.fuzzy
            or not all(strings)
            or len(forms) != len(message.id if isinstance(message.id, tuple) else (message.id,))
        ):
            untranslated.append((context, msgid))
    assert untranslated == []


def test_every_message_in_the_french_catalogue_is_translated_and_none_is_fuzzy() -> None:
    catalogue = _french()
    assert not catalogue.fuzzy
    messages = [m for m in catalogue if m.id]
    assert len(messages) > 500  # the portal's and the console's
    unfinished = [
        (m.context, m.id)
        for m in messages
        if m.fuzzy or not all(m.string if isinstance(m.string, tuple) else (m.string,))
    ]
    assert unfinished == []


def test_the_french_catalogue_holds_no_message_the_pages_no_longer_use() -> None:
    used = set(_extracted())
    assert [m.id for m in _french() if m.id and (m.context, _first(m.id)) not in used] == []


def test_french_translations_keep_every_placeholder_and_piece_of_markup() -> None:
    changed = []
    for message in _french():
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = {name for form in ids for name in PLACEHOLDER.findall(form)}
        markup = sorted(MARKUP.findall(ids[0]))
        for string in strings:
            if (
                set(PLACEHOLDER.findall(string)) != wanted
                or sorted(MARKUP.findall(string)) != markup
            ):
                changed.append((message.id, string))
    assert changed == []


def test_french_translations_keep_every_placeholder_and_plural_form() -> None:
    catalogue = _french()
    problems = [(m.id, errors) for m, errors in catalogue.check() if errors]
    assert problems == []
    assert catalogue.num_plurals == 2


def test_the_loaded_french_catalogue_translates_and_english_is_the_text_itself() -> None:
    catalogues = languages.load_catalogues()
    assert set(catalogues) == set(languages.LANGUAGES)
    assert catalogues["fr"].gettext("Public alerts") == "Alertes publiques"
    assert catalogues["fr"].ngettext("%(count)s alert area drawn.", "", 2).startswith("%(count)s")
    assert catalogues["en"].gettext("Public alerts") == "Public alerts"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("fr-CH, fr;q=0.9, en;q=0.8, de;q=0.7, *;q=0.5", ["fr-ch", "fr", "en", "de", "*"]),
        ("en;q=0.2, FR", ["fr", "en"]),
        ("de, fr;q=0, en;q=abc, it;q=0.5", ["de", "it"]),
        ("", []),
    ],
)
def test_accept_language_is_read_most_wanted_first(header: str, expected: list[str]) -> None:
    assert languages.accepted_languages(header) == expected


def _request(query: str = "", cookie: str = "", accept: str = "") -> Request:
    headers = [(b"accept-language", accept.encode())] if accept else []
    if cookie:
        headers.append((b"cookie", f"{languages.LANGUAGE_COOKIE}={cookie}".encode()))
    return Request({"type": "http", "query_string": query.encode(), "headers": headers})


@pytest.mark.parametrize(
    ("request_", "expected"),
    [
        (_request(), "en"),
        (_request(accept="fr-FR,fr;q=0.9,en;q=0.8"), "fr"),
        (_request(accept="de-DE, en;q=0.5, fr;q=0.4"), "en"),
        (_request(accept="de-DE, *;q=0.5, fr;q=0.4"), "en"),
        (_request(accept="de, fr;q=0.4"), "fr"),
        (_request(cookie="fr", accept="en"), "fr"),
        (_request(query="lang=en", cookie="fr", accept="fr"), "en"),
        (_request(query="lang=xx", cookie="zz", accept="fr"), "fr"),
    ],
)
def test_the_query_then_the_cookie_then_accept_language_choose(
    request_: Request, expected: str
) -> None:
    assert languages.chosen_language(request_) == expected


def _first(msgid: str | tuple[str, ...]) -> str:
    return msgid[0] if isinstance(msgid, tuple) else msgid


def test_a_value_put_into_a_translated_message_is_escaped_not_formatted() -> None:
    template = make_templates().from_string(
        "{% trans title=x %}{{ title }}: obligations by party and status{% endtrans %}"
    )
    french = languages.load_catalogues()["fr"]
    html = template.render(x="<b onclick=x()>%(x)s</b>", page_catalogue=french)
    assert html == "&lt;b onclick=x()&gt;%(x)s&lt;/b&gt; : obligations par partie et par état"


@pytest.mark.parametrize(
    ("seconds", "english", "french"),
    [
        (1, "1 second", "1 seconde"),
        (15, "15 seconds", "15 secondes"),
        (89, "89 seconds", "89 secondes"),
        (90, "2 minutes", "2 minutes"),
        (61 * 15, "16 minutes", "16 minutes"),
    ],
)
def test_the_throttles_wait_is_said_in_the_readers_language(
    seconds: int, english: str, french: str
) -> None:
    in_french = languages.Words("fr", languages.load_catalogues()["fr"])
    assert wait_words(languages.ENGLISH, seconds) == english
    assert wait_words(in_french, seconds) == french
