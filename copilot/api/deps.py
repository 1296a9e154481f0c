"""Request dependencies: the app state and the authenticated, rate-limited principal."""

from __future__ import annotations

import hashlib
import time
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from limits import parse as parse_limit

from copilot.api.state import AppState
from copilot.core.auth import narrow_acting_for
from copilot.core.errors import RateLimited, ServiceUnavailable, Unauthenticated
from retrievers.access import Principal

# Failed authentications per presented credential (or per address for requests without one):
# repeating a wrong key or token is throttled, a valid key is never refused because others failed
# (one office behind one NAT address cannot be locked out by a single bad client).
_AUTH_FAILURE_LIMIT = parse_limit("30/minute")


def failure_bucket(credential: str | None, client: str) -> str:
    """The failed-auth limiter's key: a digest of the credential, else the client address."""
    if credential:
        return "cred:" + hashlib.sha256(credential.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return "addr:" + client


def get_state(request: Request) -> AppState:
    state: AppState = request.app.state.copilot
    if not state.ready:
        raise ServiceUnavailable("the copilot is starting or failed to start; see /readyz")
    return state


async def _state(request: Request) -> AppState:
    """:func:`get_state` as a dependency: ``async`` so FastAPI calls it on the event loop; a plain
    ``def`` dependency is run in the thread pool, one thread hand-off per request for a dict read."""
    return get_state(request)


State = Annotated[AppState, Depends(_state)]


def _credential(request: Request) -> str | None:
    key = request.headers.get("x-api-key")
    if key:
        return key.strip()
    auth = request.headers.get("authorization")
    if auth:
        scheme, _, value = auth.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise Unauthenticated("use 'Authorization: Bearer <key or token>' or the X-API-Key header")
        return value.strip()
    return None


# Declared for the OpenAPI document only (so /docs can send a key with "Authorize"); the
# credential itself is read by _credential below, which also gives the JSON 401s.
_api_key_scheme = APIKeyHeader(name="X-API-Key", auto_error=False, scheme_name="ApiKey",
                               description="An API key (pc_...), e.g. from `copilot keys create`")
_bearer_scheme = HTTPBearer(auto_error=False, scheme_name="Bearer",
                            description="`Authorization: Bearer <API key or JWT>`")


def get_principal(
    request: Request,
    state: State,
    _key: Annotated[str | None, Security(_api_key_scheme)] = None,
    _bearer: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer_scheme)] = None,
) -> Principal:
    """The caller, from an API key or a JWT; never from the body or the query string."""
    client = request.client.host if request.client else "unknown"
    try:
        cred = _credential(request)
    except Unauthenticated:
        cred = None
        malformed = True
    else:
        malformed = False
    bucket = failure_bucket(cred, client)
    if not state.limiter.test(_AUTH_FAILURE_LIMIT, "authfail", bucket):
        raise RateLimited("too many failed authentication attempts; try again later", headers={"Retry-After": "60"})
    if not cred:
        state.metrics.auth_failures.inc()
        if malformed:
            # A malformed Authorization header carries nothing to key on: count it per address.
            state.limiter.hit(_AUTH_FAILURE_LIMIT, "authfail", bucket)
            raise Unauthenticated("use 'Authorization: Bearer <key or token>' or the X-API-Key header")
        raise Unauthenticated("missing credentials: send X-API-Key or Authorization: Bearer")
    found = None
    if cred.startswith("pc_"):
        found = state.keys.authenticate(cred)
    elif cred.count(".") == 2:
        try:
            found = state.jwt.verify(cred)
        except Unauthenticated:
            state.limiter.hit(_AUTH_FAILURE_LIMIT, "authfail", bucket)
            state.metrics.auth_failures.inc()
            raise
    if found is None:
        state.limiter.hit(_AUTH_FAILURE_LIMIT, "authfail", bucket)
        state.metrics.auth_failures.inc()
        raise Unauthenticated("invalid or revoked credentials")
    principal, identity = found
    principal = narrow_acting_for(principal, request.headers.get("x-act-for"))
    request.state.principal = principal
    item = parse_limit(state.settings.api_rate_limit)
    if not state.limiter.hit(item, "req", identity):
        reset, _ = state.limiter.get_window_stats(item, "req", identity)

        retry = max(1, int(reset - time.time()))
        raise RateLimited(
            f"rate limit of {state.settings.api_rate_limit} exceeded", headers={"Retry-After": str(retry)}
        )
    return principal


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]
