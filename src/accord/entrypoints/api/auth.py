"""Who is calling: bearer tokens to accounts, and the reader anonymous callers are."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from accord.bootstrap import Node
from accord.domain.identity import Role
from accord.domain.sharing import ANONYMOUS, Reader
from accord.entrypoints.api.rate_limits import vouch_for_token
from accord.errors import AuthenticationError, PermissionDeniedError
from accord.services.ports import Account

_bearer = HTTPBearer(auto_error=False, description="An API token issued by the node's admin.")
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def node_of(request: Request) -> Node:
    node: Node = request.app.state.node
    return node


def optional_account(request: Request, credentials: Credentials) -> Account | None:
    """The caller's account, None when they sent no token; a bad token is always a 401."""
    del credentials  # declared for the OpenAPI schema; the header is read as sent
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationError("send the API token as 'Authorization: Bearer <token>'")
    account = node_of(request).identity.authenticate(token.strip())
    vouch_for_token(request, token.strip())
    return account


def current_account(account: Annotated[Account | None, Depends(optional_account)]) -> Account:
    if account is None:
        raise AuthenticationError("this endpoint needs an API token")
    return account


def current_reader(account: Annotated[Account | None, Depends(optional_account)]) -> Reader:
    return account.reader if account is not None else ANONYMOUS


def admin_account(account: Annotated[Account, Depends(current_account)]) -> Account:
    if account.role is not Role.ADMIN:
        raise PermissionDeniedError("only a node admin may do this")
    return account


OptionalAccount = Annotated[Account | None, Depends(optional_account)]
CurrentAccount = Annotated[Account, Depends(current_account)]
CurrentReader = Annotated[Reader, Depends(current_reader)]
AdminAccount = Annotated[Account, Depends(admin_account)]
