"""Hostile text for the web tests: a few hundred cross-site-scripting payloads made by
combining where text might land (element content, a quoted or unquoted attribute, a URL, a
script, a comment, SVG or MathML) with what would run there, in plain, encoded and
unicode-disguised spellings.

Every payload that could run calls ``window.__xss.push(N)`` or ``alert(N)`` with its own
number N, so a page that executes one says which (the browser test hooks both before any
page script). Payloads hold only characters XML 1.0 allows and no leading or trailing
space, so they travel through CAP XML unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from itertools import cycle, islice

# Text that would end the context a value was (wrongly) placed in.
BREAKOUTS = (
    "",
    '">',
    "'>",
    "</title>",
    "</textarea>",
    "--></script>",
    "]]></style>",
    '"/></a></svg>',
    "`;",
    "</option></select>",
)

# What would run, given a breakout: ``{js}`` is the call that reports it.
VECTORS = (
    "<script>{js}</script>",
    "<script src=data:text/javascript,{js}></script>",
    "<img src=x onerror={js}>",
    '<img src="x" onerror="{js}">',
    "<svg onload={js}>",
    "<svg><script>{js}</script></svg>",
    "<svg><animate onbegin={js} attributeName=x dur=1s>",
    '<svg><a xlink:href="javascript:{js}"><text x=9 y=9>x</text></a></svg>',
    "<svg><set attributeName=onmouseover to={js}>",
    "<math><mtext><table><mglyph><style><img src=x onerror={js}>",
    '<math href="javascript:{js}">x</math>',
    "<iframe srcdoc='<script>parent.{js}</script>'></iframe>",
    '<iframe src="javascript:parent.{js}"></iframe>',
    '<a href="javascript:{js}">click</a>',
    '<a href="data:text/html,<script>{js}</script>">click</a>',
    "<body onload={js}>",
    "<details open ontoggle={js}>",
    "<input autofocus onfocus={js}>",
    "<video><source onerror={js}></video>",
    "<audio src=x onerror={js}>",
    '<object data="javascript:{js}"></object>',
    '<embed src="javascript:{js}">',
    '<meta http-equiv="refresh" content="0;url=javascript:{js}">',
    '<base href="javascript:{js}//">',
    "<form><button formaction=javascript:{js}>go</button></form>",
    "<style>*{{background:url(javascript:{js})}}</style>",
    "<link rel=stylesheet href=data:text/css,*{{x:y}}>",
    "<marquee onstart={js}>x</marquee>",
    "<select autofocus onfocus={js}>",
    "<textarea autofocus onfocus={js}></textarea>",
    '" onmouseover="{js}" x="',
    "' onfocus='{js}' autofocus='",
    '" autofocus onfocus="{js}',
    " onload={js} ",
    "javascript:{js}",
    "JaVaScRiPt:{js}",
    "java\tscript:{js}",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "vbscript:{js}",
    "{{{{7*7}}}}{js}",
    "{{{{constructor.constructor('{js}')()}}}}",
    "${{7*7}}#{{7*7}}<%= 7*7 %>{{% for x in range(3) %}}{js}{{% endfor %}}",
    "';{js};//",
    '";{js};//',
    "</script><script>{js}</script>",
    "<!--<img src=--><img src=x onerror={js}//-->",
    "<![CDATA[<script>{js}</script>]]>",
    '<noscript><p title="</noscript><img src=x onerror={js}>">',
    "<template><script>{js}</script></template><div>x</div>",
    "<x contenteditable onblur={js}>x</x>",
)

# Spellings that hide a vector from a naive filter; each maps the plain payload.
DISGUISES: tuple[Callable[[str], str], ...] = (
    lambda p: p.replace("<", "&lt;").replace(">", "&gt;"),  # already escaped: must not unescape
    lambda p: p.replace("<", "&#60;").replace(">", "&#x3e;"),
    lambda p: p.replace("<", "%3C").replace(">", "%3E"),
    lambda p: p.replace("<", "\\u003c").replace(">", "\\x3e"),
    lambda p: p.replace("<", "\uff1c").replace(">", "\uff1e"),  # fullwidth brackets
    lambda p: p.replace("script", "scr\u200bipt").replace("on", "o\u200dn"),  # zero-width
    lambda p: "\u202e" + p + "\u202c",  # right-to-left override
    lambda p: p.replace("script", "\u017fcript"),  # long s: uppercases to S
    lambda p: p.replace("(", "\u2028(").replace(";", "\u2029;"),  # line separators
    lambda p: p.upper().replace("WINDOW.__XSS.PUSH", "window.__xss.push"),
)


def report(number: int) -> str:
    """The call that tells the test payload ``number`` ran."""
    return f"window.__xss.push({number})" if number % 2 else f"alert({number})"


def payloads(count: int = 320) -> list[str]:
    """``count`` distinct payloads: every vector after every breakout, then disguised."""
    made: list[str] = []
    for number, (breakout, vector) in enumerate(_combinations(), start=1):
        made.append(breakout + vector.format(js=report(number)))
    disguised = [
        disguise(payload) for payload, disguise in zip(made, cycle(DISGUISES), strict=False)
    ]
    unique = list(dict.fromkeys(_interleave(made, disguised)))
    return unique[:count]


URL_VECTORS = (
    "javascript:{js}",
    "JaVaScRiPt:{js}//http://example.org/",
    "javascript://%0A{js}",
    "data:text/html,%3Cscript%3E{js}%3C/script%3E",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "vbscript:{js}",
    "javascript:/*http://example.org/*/{js}",
    "jav&#x61;script:{js}",
)


def url_payloads(count: int) -> list[str]:
    """``count`` URLs (valid RFC 3986 references, as CAP's ``<web>`` requires) that would
    run if a page made them a link or a source."""
    vectors = islice(cycle(URL_VECTORS), count)
    return [vector.format(js=report(1000 + n)) for n, vector in enumerate(vectors)]


def _combinations() -> Iterator[tuple[str, str]]:
    """Each vector once with each breakout, rotating so early payloads cover all of both."""
    for shift in range(len(BREAKOUTS)):
        for index, vector in enumerate(VECTORS):
            yield BREAKOUTS[(index + shift) % len(BREAKOUTS)], vector


def _interleave(first: list[str], second: list[str]) -> Iterator[str]:
    for a, b in zip(first, second, strict=True):
        yield a
        yield b


def chunks(items: list[str], size: int) -> Iterator[list[str]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk
