"""What every web page is sent with, and the checks its forms pass: the
Content-Security-Policy and other headers, cookies, CSRF tokens, same-origin posts.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from fastapi import Request, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from accord.domain.signin import SESSION_LIFETIME, same_token
from accord.domain.untrusted import check_fields

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
    "x-frame-options": "DENY",
}
# Paths the web package serves; the API, feeds and log keep their own headers (the API's
# interactive /docs page could not work under this policy).
WEB_PREFIXES = ("/static/", "/alerts/", "/console", "/signin", "/signout", "/scoreboard")
MAX_FORM_BYTES = 16 * 1024
SIGNIN_COOKIE = "accord_signin"


def is_web_path(path: str) -> bool:
    return path == "/" or path.startswith(WEB_PREFIXES)


class SecurityHeaders:
    """ASGI middleware: the headers above on every response to a web path."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_web_path(scope["path"]):
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (name, value)
                    for name, value in message.get("headers", [])
                    if name.decode("latin-1").lower() not in HEADERS
                ]
                headers.extend((k.encode(), v.encode()) for k, v in HEADERS.items())
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def is_https(request: Request) -> bool:
    return request.url.scheme == "https"


def session_cookie_name(request: Request) -> str:
    """``__Host-`` (Secure, this host only, path /) where the page is served over HTTPS."""
    return "__Host-accord_session" if is_https(request) else "accord_session"


def set_cookie(
    response: Response, request: Request, name: str, value: str, max_age: int | None
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/",
        secure=is_https(request),
        httponly=True,
        samesite="strict",
    )


def set_session_cookie(response: Response, request: Request, token: str) -> None:
    max_age = int(SESSION_LIFETIME.total_seconds())
    set_cookie(response, request, session_cookie_name(request), token, max_age)


def clear_cookie(response: Response, request: Request, name: str) -> None:
    response.delete_cookie(
        name, path="/", secure=is_https(request), httponly=True, samesite="strict"
    )


async def read_form(request: Request) -> dict[str, str]:
    """A url-encoded form's fields (the first value of each); empty when too big or not a
    form at all, which then fails its CSRF check. A field holding NUL is refused (422)."""
    if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        return {}
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        return {}
    try:
        fields = parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=20)
    except (UnicodeDecodeError, ValueError):
        return {}
    check_fields(fields)
    return {name: values[0] for name, values in fields.items()}


def same_origin(request: Request) -> bool:
    """Whether a POST comes from one of our own pages: browsers send Origin on POSTs; one
    naming another site is refused. Under Referrer-Policy no-referrer they send "null",
    and then, as for clients that send none, the CSRF token alone decides."""
    sent = request.headers.get("origin")
    if sent is None or sent == "null":
        return True
    parts = urlsplit(sent)
    return f"{parts.scheme}://{parts.netloc}" == f"{request.url.scheme}://{request.url.netloc}"


def form_is_genuine(request: Request, expected: str | None, form: dict[str, str]) -> bool:
    """The synchronizer-token check: the form carries the token its session holds."""
    return (
        expected is not None
        and same_token(expected, form.get("csrf_token"))
        and same_origin(request)
    )


def local_path(target: str | None, default: str = "/console") -> str:
    """``target`` if it is a path on this site (no open redirects), else ``default``."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target
