"""GET /metrics in the Prometheus text format."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from copilot.api.deps import get_principal, get_state

router = APIRouter(tags=["metrics"])


@router.get("/metrics", response_class=Response, responses={200: {"content": {"text/plain": {}}}})
def metrics(request: Request) -> Response:
    """Request latency by route, retrieval latency and top scores, refusals, feedback counts."""
    state = request.app.state.copilot
    if not state.settings.metrics_public:
        get_principal(request, get_state(request))
    body, ctype = state.metrics.render()
    return Response(content=body, media_type=ctype)
