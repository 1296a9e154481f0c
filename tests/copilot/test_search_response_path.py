"""The search route's response path: rendered once by pydantic (no second validation and encoding by
FastAPI), the app state read on the event loop (no thread hand-off), and the body unchanged: the
fields and types of ``SearchResponse``, which the OpenAPI document still declares."""

from __future__ import annotations

import inspect

import fastapi.routing
import pytest

from copilot.api.models import SearchResponse
from tests.copilot.conftest import h


@pytest.fixture
def serialize_calls(monkeypatch) -> list[object]:
    """Each call FastAPI makes to validate and encode a response model, recorded."""
    calls: list[object] = []
    original = fastapi.routing.serialize_response

    async def counting(*args, **kwargs):
        calls.append(kwargs.get("field"))
        return await original(*args, **kwargs)

    monkeypatch.setattr(fastapi.routing, "serialize_response", counting)
    return calls


def test_search_body_is_rendered_once_and_matches_the_model(client, keys, serialize_calls):
    r = client.post("/v1/search", json={"query": "liability cap", "k": 5}, headers=h(keys["demo-alder-consultant"]))
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    assert serialize_calls == []  # FastAPI did not validate and encode the response a second time
    body = SearchResponse.model_validate_json(r.content)
    assert body.results and [hit.rank for hit in body.results] == list(range(1, len(body.results) + 1))
    assert r.json() == body.model_dump(mode="json")  # same keys and values as the declared model


def test_other_routes_still_go_through_response_validation(client, keys, serialize_calls):
    """Negative guard: the shortcut is the search route's own, not a global change."""
    r = client.get("/v1/documents", headers=h(keys["demo-alder-consultant"]))
    assert r.status_code == 200 and serialize_calls


def test_openapi_still_declares_the_search_response(client):
    spec = client.get("/openapi.json").json()
    ok = spec["paths"]["/v1/search"]["post"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok == {"$ref": "#/components/schemas/SearchResponse"}


@pytest.mark.parametrize("name", ["State"])
def test_state_dependency_runs_on_the_event_loop(name):
    from copilot.api import deps

    dependency = getattr(deps, name).__metadata__[0].dependency
    assert inspect.iscoroutinefunction(dependency)  # a plain def would be run in the thread pool
