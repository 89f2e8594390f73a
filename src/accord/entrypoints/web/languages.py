"""The languages the web pages (portal and console) are translated into: their Babel message
catalogues (``locales/<lang>/LC_MESSAGES/messages.po``, read once at start-up), which
language a request gets (a ``lang`` query or cookie set by the page's language switch, else
the browser's Accept-Language, else English), and ``Words``, one language's translations
for the code that words a page's text.
"""

from __future__ import annotations

import gettext
import io
from dataclasses import dataclass
from importlib import resources

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from fastapi import Request

DEFAULT_LANGUAGE = "en"
# Each language in its own name, as the switch shows it; English is the templates' own text.
LANGUAGES = {"en": "English", "fr": "Français"}
LANGUAGE_COOKIE = "accord_lang"
DOMAIN = "messages"


@dataclass(frozen=True, slots=True)
class Words:
    """One language's translations, for code that puts text on a page. Mark each message
    where it is written (``words.gettext("…")``, ``words.ngettext(…)``, ``N_("…")``) so that
    extraction finds it, and format with ``%(name)s`` placeholders after translating."""

    lang: str
    translations: gettext.NullTranslations

    def gettext(self, message: str) -> str:
        return self.translations.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.translations.ngettext(singular, plural, n)

    def pgettext(self, context: str, message: str) -> str:
        return self.translations.pgettext(context, message)


ENGLISH = Words(DEFAULT_LANGUAGE, gettext.NullTranslations())


def N_(message: str) -> str:
    """``message`` itself: marks a message that is defined here and translated where it is
    shown (``words.gettext(DONE[name])``)."""
    return message


def load_catalogues() -> dict[str, gettext.NullTranslations]:
    """Every language's translations, compiled in memory from its .po file; English
    gets the templates' own text."""
    catalogues: dict[str, gettext.NullTranslations] = {DEFAULT_LANGUAGE: gettext.NullTranslations()}
    locales = resources.files("accord.entrypoints.web") / "locales"
    for lang in LANGUAGES.keys() - {DEFAULT_LANGUAGE}:
        with (locales / lang / "LC_MESSAGES" / f"{DOMAIN}.po").open("rb") as po:
            catalogue = read_po(po, locale=lang, domain=DOMAIN)
        compiled = io.BytesIO()
        write_mo(compiled, catalogue)  # fuzzy entries are left out, as msgfmt does
        compiled.seek(0)
        catalogues[lang] = Translations(compiled, domain=DOMAIN)
    return catalogues


def chosen_language(request: Request) -> str:
    """``?lang=`` when it names a language we have, else the switch's cookie, else the
    best of Accept-Language, else English."""
    for asked in (request.query_params.get("lang"), request.cookies.get(LANGUAGE_COOKIE)):
        if asked in LANGUAGES:
            return asked
    for tag in accepted_languages(request.headers.get("accept-language", "")):
        primary = tag.split("-")[0]
        if primary in LANGUAGES:
            return primary
        if tag == "*":
            return DEFAULT_LANGUAGE
    return DEFAULT_LANGUAGE


def accepted_languages(header: str) -> list[str]:
    """The language tags of an Accept-Language header (RFC 9110), most wanted first,
    lower-cased; those with q=0 or a malformed weight are left out."""
    weighted: list[tuple[float, int, str]] = []
    for position, item in enumerate(header.split(",")[:32]):
        tag, _, parameters = item.strip().partition(";")
        weight = 1.0
        name, _, value = parameters.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                weight = float(value)
            except ValueError:
                continue
        if tag.strip() and 0 < weight <= 1:
            weighted.append((-weight, position, tag.strip().lower()))
    return [tag for _w, _p, tag in sorted(weighted)]
