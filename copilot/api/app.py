"""The HTTP API: ``create_app(settings)`` builds a FastAPI app over one data dir.

Every service (embedding model, index, PII detector, database, escalations, checks, webhooks)
is built once at startup in the lifespan (:func:`copilot.api.state.build_components`);
``/readyz`` answers 200 once they are usable. :class:`copilot.api.middleware.GuardMiddleware`
enforces the request rules, times every request and writes the audit rows.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import HTMLResponse

from copilot.api.middleware import GuardMiddleware
from copilot.api.routes import ask, documents, escalations, feedback, health, jobs, metrics, reviews, search
from copilot.api.routes import checks as governance_checks
from copilot.api.state import AppState
from copilot.api.threads import limit_blas_threads
from copilot.core.errors import install_error_handlers
from copilot.core.metrics import Metrics
from copilot.core.redact import load_policy
from copilot.core.services import Services
from copilot.core.settings import Settings

log = logging.getLogger("copilot.api")

API_VERSION = "0.1.0"

DOCS_ASSETS = "/docs-assets"


def _local_docs(app: FastAPI) -> None:
    """Swagger UI at /docs and ReDoc at /redoc from assets shipped in the fastapi-offline package,
    so both work without internet (FastAPI's defaults load them from a CDN)."""
    import fastapi_offline
    from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
    from fastapi.staticfiles import StaticFiles

    assets = Path(fastapi_offline.__file__).parent / "static"
    app.mount(DOCS_ASSETS, StaticFiles(directory=assets), name="docs-assets")
    openapi_url = app.openapi_url or "/openapi.json"

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url, title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{DOCS_ASSETS}/swagger-ui-bundle.js", swagger_css_url=f"{DOCS_ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{DOCS_ASSETS}/favicon.png", swagger_ui_parameters=app.swagger_ui_parameters,
        )

    @app.get("/redoc", include_in_schema=False)
    async def redoc() -> HTMLResponse:
        return get_redoc_html(openapi_url=openapi_url, title=f"{app.title} - ReDoc",
                              redoc_js_url=f"{DOCS_ASSETS}/redoc.standalone.js",
                              redoc_favicon_url=f"{DOCS_ASSETS}/favicon.png", with_google_fonts=False)


def create_app(settings: Settings, services: Services | None = None) -> FastAPI:
    """Build the API for ``settings``; ``services`` lets tests and benchmarks share loaded models."""
    # Here, not in the lifespan's worker thread: OpenBLAS 0.3.31 ignored a count set from another
    # thread than the one that loaded it (the main thread, where the app is created).
    limit_blas_threads(settings.api_blas_threads)
    state = AppState(settings=settings, metrics=Metrics(), policy=load_policy(settings.redaction_policy_path))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            await anyio.to_thread.run_sync(state.start, services)
        except Exception as exc:
            # Stay up so /healthz and /readyz can report it; every other route answers 503.
            state.startup_error = f"{type(exc).__name__}: {exc}"
            log.exception("copilot failed to start")
        yield
        await anyio.to_thread.run_sync(state.stop)

    app = FastAPI(
        title="Partner Copilot API",
        version=API_VERSION,
        description=(
            "Permission-aware search and cited answers over the vendor's and your organisation's documents. "
            "Authenticate with `X-API-Key: <key>` or `Authorization: Bearer <key or JWT>`. "
            "Errors are JSON: `{\"error\": {\"code\", \"message\"}}`."
        ),
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        swagger_ui_parameters={"persistAuthorization": True},
    )
    _local_docs(app)
    app.state.copilot = state
    install_error_handlers(app)
    for module in (search, ask, documents, jobs, feedback, health, metrics, escalations, governance_checks,
                   reviews):
        app.include_router(module.router)
    app.add_middleware(GuardMiddleware, state=state)
    if settings.api_cors_origins:
        # Added last = outermost, so error responses of the guard carry CORS headers too.
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.api_cors_origins,
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Authorization", "X-API-Key", "Content-Type", "Accept", "X-Act-For"],
            expose_headers=["X-Trace-Id", "Retry-After"],
            max_age=600,
        )
    return app


def app_from_env() -> FastAPI:
    """The app for settings from the environment: the factory each ``copilot serve --workers N``
    worker process calls (``uvicorn copilot.api.app:app_from_env --factory``)."""
    from copilot.core.settings import load_settings

    return create_app(load_settings())
