"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from copilot.core.errors import error_response

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz", responses={503: {"description": "Not ready yet (or failed to start)"}})
def readyz(request: Request) -> JSONResponse:
    """200 once the index, the embedding model and the PII detector are loaded."""
    state = request.app.state.copilot
    if not state.ready:
        msg = "starting" if state.startup_error is None else "failed to start; see the server log"
        return error_response(503, "not_ready", msg)
    import torch

    chunks = state.services.store.count()
    return JSONResponse(
        {
            "status": "ready",
            "chunks": chunks,
            "store": state.services.store.name,
            "answer_mode": "generative" if state.answerer.llm is not None else "extractive",
            "startup_seconds": round(state.ready_seconds or 0.0, 2),
            "torch_threads": torch.get_num_threads(),
            "sentence_vectors": len(state.answerer.vectors),
            "prewarm_seconds": None if state.prewarm_seconds is None else round(state.prewarm_seconds, 1),
        }
    )
