"""Domain errors and the single place that turns any failure into a JSON error response.

Every error the API returns has the shape ``{"error": {"code": ..., "message": ...}}``.
Messages are written for the caller; nothing internal (stack traces, SQL, paths) leaks.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("copilot.api")


class DomainError(Exception):
    """Base class: an error the caller can act on. Subclasses fix status and code."""

    status: int = 400
    code: str = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.headers = headers or {}


class BadRequest(DomainError):
    status, code = 400, "bad_request"


class Unauthenticated(DomainError):
    status, code = 401, "unauthenticated"


class Forbidden(DomainError):
    status, code = 403, "forbidden"


class NotFound(DomainError):
    status, code = 404, "not_found"


class Conflict(DomainError):
    status, code = 409, "conflict"


class PayloadTooLarge(DomainError):
    status, code = 413, "payload_too_large"


class UnsupportedMediaType(DomainError):
    status, code = 415, "unsupported_media_type"


class Unprocessable(DomainError):
    status, code = 422, "invalid_request"


class RateLimited(DomainError):
    status, code = 429, "rate_limited"


class ServiceUnavailable(DomainError):
    status, code = 503, "unavailable"


_HTTP_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
    429: "rate_limited",
    503: "unavailable",
}


def error_body(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


def error_response(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(error_body(code, message), status_code=status, headers=headers)


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        loc = ".".join(str(x) for x in err.get("loc", ()) if x not in ("body",)) or "body"
        msg = str(err.get("msg", "invalid value"))
        if err.get("type") == "json_invalid":
            return "request body is not valid JSON"
        parts.append(f"{loc}: {msg}")
    return "; ".join(parts) or "invalid request"


def install_error_handlers(app: FastAPI) -> None:
    """Register the one mapping from exceptions to JSON errors."""

    @app.exception_handler(DomainError)
    async def _domain(_: Request, exc: DomainError) -> JSONResponse:
        return error_response(exc.status, exc.code, exc.message, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(422, "invalid_request", _validation_message(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, "error")
        detail = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
        return error_response(exc.status_code, code, detail, getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        # Logged server-side with the trace; the caller gets no internals.
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_response(500, "internal_error", "the server could not complete the request")
