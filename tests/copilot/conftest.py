"""Fixtures for the API tests: one app over the shared demo index (real embedder, LanceDB,
Presidio), with its own SQLite governance database and the demo API keys."""

from __future__ import annotations

import pytest


def make_client(demo_services, data_dir, db_url, **overrides):
    """A TestClient context for create_app over the shared demo services."""
    from fastapi.testclient import TestClient

    from copilot.api.app import create_app
    from copilot.core.settings import Settings

    # Background warm-ups off unless a test asks: they only add CPU to the shared test machine.
    overrides = {"answer_prewarm_sentences": 0, "upload_process_prestart": False, **overrides}
    settings = Settings(data_dir=data_dir, database_url=db_url, **overrides)
    app = create_app(settings, services=demo_services)
    return TestClient(app), app


@pytest.fixture(scope="session")
def api_env(demo_services, demo_data_dir, sentence_vectors, tmp_path_factory):
    """(client, app, keys by demo user name, db url) with a generous rate limit; its answerer's
    sentence vectors (shared by every app over ``demo_services``) come from the run's one encoding."""
    from copilot.cli.commands.demo import ensure_demo_keys
    from tests.conftest import seed_sentence_vectors

    gov = tmp_path_factory.mktemp("api-gov")
    db_url = f"sqlite:///{gov / 'copilot.db'}"
    client, app = make_client(demo_services, demo_data_dir, db_url, api_rate_limit="100000/minute")
    with client:
        seed_sentence_vectors(app.state.copilot.answerer.vectors, sentence_vectors)
        keys = {k["name"]: k["key"] for k in ensure_demo_keys(app.state.copilot.settings)}
        yield client, app, keys, db_url


@pytest.fixture(scope="session")
def client(api_env):
    return api_env[0]


@pytest.fixture(scope="session")
def keys(api_env):
    return api_env[2]


@pytest.fixture(scope="module")
def leak_api(demo_services, demo_data_dir, tmp_path_factory):
    """(client, keys by (tenant, level) of the eval-set principals, document titles): an app whose
    retriever uses query vectors encoded up front (same model, same vectors). Shared by the
    test_leaks_api_* files, one per process under ``--dist loadfile``."""
    from copilot.core.services import Services
    from retrievers.retriever import Retriever
    from tests.copilot.leak_api import EVALSET
    from tests.retrievers.test_leaks import CachedEmbedder

    titles = sorted({d.title for d in demo_services.store.list_documents()})
    queries = sorted({c["question"] for c in EVALSET} | set(titles))
    cached = CachedEmbedder(demo_services.embedder, queries)
    services = Services(
        settings=demo_services.settings,
        store=demo_services.store,
        embedder=cached,
        retriever=Retriever(demo_services.store, cached),
    )
    services._detector = demo_services.detector
    db = tmp_path_factory.mktemp("leak-gov") / "copilot.db"
    client, app = make_client(services, demo_data_dir, f"sqlite:///{db}", api_rate_limit="1000000/minute")
    with client:
        keys = {}
        for c in EVALSET:
            t, lvl = c["principal"]["tenant_id"], c["principal"]["access_level"]
            if (t, lvl) not in keys:
                keys[(t, lvl)] = app.state.copilot.keys.create(f"leak-{t}-{lvl}", t, lvl)[0]
        yield client, keys, titles


def h(key: str, **extra: str) -> dict[str, str]:
    return {"X-API-Key": key, **extra}


def wait_job(client, job_id: str, headers: dict[str, str], timeout: float = 300.0) -> dict:
    """Poll GET /v1/jobs/{id} until the job succeeded or failed; returns its last view.

    The app's first upload also starts the upload worker process (models loaded there), which
    takes minutes on a loaded two-core machine: hence the generous limit."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        r = client.get(f"/v1/jobs/{job_id}", headers=headers)
        assert r.status_code == 200, r.text
        body = r.json()
        if body["status"] in ("succeeded", "failed") or time.monotonic() > deadline:
            return body
        time.sleep(0.2)
