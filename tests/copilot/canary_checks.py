"""The PII-canary leak check through the HTTP API, shared by the test files that split the demo
keys between them (``--dist loadfile`` runs one file per process, so two files run in parallel)."""

from __future__ import annotations

import json
import random
import re

from ingestion.parsing import parse_bytes
from tests.conftest import DEMO_CORPUS
from tests.copilot.conftest import h

CANARIES = json.loads((DEMO_CORPUS / "canaries.json").read_text())
EVAL_QUESTIONS = [json.loads(x)["question"] for x in (DEMO_CORPUS / "evalset.jsonl").read_text().splitlines() if x]
ENDPOINTS = (
    ("/v1/ask", "application/json"),
    ("/v1/ask", "text/event-stream"),
    ("/v1/search", "application/json"),
)
# Questions whose search reaches no canary document, asked anyway per key (fixed seed: the same
# sample every run), so the quick check does not rest on the search alone.
SAMPLE_SEED = 1729
SAMPLE_SIZE = 20


def context_questions() -> list[str]:
    """For each canary, a question made of the words around it (the value itself removed)."""
    out = []
    texts = {}
    for c in CANARIES:
        if c["doc_id"] not in texts:
            texts[c["doc_id"]] = parse_bytes((DEMO_CORPUS / c["doc_id"]).read_bytes(), c["doc_id"]).text
        text = re.sub(r"\s+", " ", texts[c["doc_id"]])
        i = text.find(c["value"])
        if i < 0:
            continue
        around = (text[max(0, i - 120) : i] + " " + text[i + len(c["value"]) : i + len(c["value"]) + 80]).split()
        out.append(" ".join(around[-14:] + ["contact", "details"]))
    return sorted(set(out))


def all_questions() -> list[str]:
    questions = EVAL_QUESTIONS + context_questions()
    assert len(questions) > 150
    return questions


def canaries_in(text: str) -> list[str]:
    return [c["value"] for c in CANARIES if c["value"] in text]


def key_half(keys: dict[str, str], half: int) -> dict[str, str]:
    """Every other demo key by name: halves 0 and 1 together are every key."""
    return {u: keys[u] for i, u in enumerate(sorted(keys)) if i % 2 == half}


def post(client, key: str, path: str, accept: str, q: str):
    body = {"question": q} if path == "/v1/ask" else {"query": q, "k": 20}
    r = client.post(path, json=body, headers=h(key, Accept=accept))
    assert r.status_code == 200, (path, r.text[:200])
    return r


def assert_audit_clean(app, n_questions: int) -> None:
    rows = app.state.copilot.audit.rows()
    assert len(rows) >= n_questions
    audit_text = " ".join(f"{r.query} {getattr(r, 'chunk_ids', '')}" for r in rows)
    assert not canaries_in(audit_text)


def check_quick(client, app, keys: dict[str, str]) -> None:
    """Every key x every question through /v1/search; /v1/ask (JSON and SSE) for every question
    whose search, for that key, reaches a document holding a canary, plus a fixed-seed sample of
    the rest. An answer reads the first ``answer_top_k`` hits of the same plan and ranking as the
    search (plus passages of the first hit's document), so it can only quote a document among
    those first search results."""
    assert keys
    questions = all_questions()
    canary_docs = {c["doc_id"] for c in CANARIES}
    top_k = app.state.copilot.settings.answer_top_k
    assert 0 < top_k <= 20
    leaks, reached_docs = [], set()
    for user, key in keys.items():
        reaching = []
        for q in questions:
            r = post(client, key, "/v1/search", "application/json", q)
            leaks += [(user, "/v1/search", q, v) for v in canaries_in(r.text)]
            hit_docs = {hit["doc_id"] for hit in r.json()["results"][:top_k]} & canary_docs
            reached_docs |= hit_docs
            if hit_docs:
                reaching.append(q)
        # Not vacuous: every key's asks really go through documents that hold planted values.
        assert reaching, user
        rest = [q for q in questions if q not in set(reaching)]
        sample = random.Random(f"{SAMPLE_SEED}:{user}").sample(rest, min(SAMPLE_SIZE, len(rest)))
        for q in reaching + sample:
            for path, accept in ENDPOINTS[:2]:
                r = post(client, key, path, accept, q)
                leaks += [(user, path, accept, q, v) for v in canaries_in(r.text)]
    assert not leaks, leaks[:5]
    assert len(reached_docs) >= 3, sorted(reached_docs)
    assert_audit_clean(app, len(questions))


def check_exhaustive(client, app, keys: dict[str, str]) -> None:
    """Every key x every question x every endpoint."""
    questions = all_questions()
    leaks = []
    for user, key in keys.items():
        for q in questions:
            for path, accept in ENDPOINTS:
                r = post(client, key, path, accept, q)
                leaks += [(user, path, accept, q, v) for v in canaries_in(r.text)]
    assert not leaks, leaks[:5]
    assert_audit_clean(app, len(questions))
