"""Leak suite: no principal ever receives a chunk the access rule forbids.

The oracle is computed independently of retrievers/access.py, straight from the
demo manifest: tenant (own or shared), level, approved, validity window and
supersession. Every eval-set principal and every tenant x level principal runs
every eval question plus the title of every document, at top-k 50.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import numpy as np
import pytest
import yaml

from ingestion.manifest import load_manifest
from retrievers.access import AccessLevel, Principal
from retrievers.retriever import Retriever
from tests.conftest import DEMO_CORPUS

LEVELS = ["public", "partner", "internal", "restricted"]
TENANTS = ["alder", "birch", "cedar", "shared", "nobody"]


def _as_dt(v):
    if v is None:
        return None
    if isinstance(v, datetime):
        return v if v.tzinfo else v.replace(tzinfo=UTC)
    return datetime(v.year, v.month, v.day, tzinfo=UTC) if isinstance(v, date) else None


def oracle():
    """doc_id -> tags dict, from the manifest text (last matching entry wins)."""
    import fnmatch

    raw = yaml.safe_load((DEMO_CORPUS / "manifest.yaml").read_text())
    manifest = load_manifest(DEMO_CORPUS / "manifest.yaml")
    files = [p.relative_to(DEMO_CORPUS).as_posix() for p in DEMO_CORPUS.rglob("*") if p.is_file()]
    docs = {}
    for f in files:
        if manifest.is_excluded(f) or f == "manifest.yaml":
            continue
        tags = None
        for entry in raw["documents"]:
            if entry["path"] == f or fnmatch.fnmatch(f, entry["path"]):
                tags = entry
        if tags is not None:
            docs[f] = tags
    superseded = {t["supersedes"] for t in docs.values() if t.get("supersedes")}
    return docs, superseded


def allowed(tags: dict, doc_id: str, superseded: set[str], tenant: str, level: str, now: datetime) -> bool:
    if tags["tenant_id"] not in (tenant, "shared"):
        return False
    if LEVELS.index(str(tags["access_level"]).lower()) > LEVELS.index(level):
        return False
    if tags.get("approved", True) is False or doc_id in superseded:
        return False
    vf, vu = _as_dt(tags.get("valid_from")), _as_dt(tags.get("valid_until"))
    return (vf is None or vf <= now) and (vu is None or now < vu)


class CachedEmbedder:
    """The real embedder with queries encoded up front in one batch (same vectors, fewer calls);
    other texts are encoded once, each call's new ones in one batch, and kept."""

    def __init__(self, inner, queries):
        self.inner = inner
        self.name, self.dim, self.max_tokens = inner.name, inner.dim, inner.max_tokens
        vecs = inner.encode(queries)
        self.cache = {q: v for q, v in zip(queries, vecs, strict=True)}

    def encode(self, texts, batch_size=None):
        new = list(dict.fromkeys(t for t in texts if t not in self.cache))
        if new:
            self.cache.update(zip(new, self.inner.encode(new), strict=True))
        return np.stack([self.cache[t] for t in texts])

    def count_tokens(self, text):
        return self.inner.count_tokens(text)


@pytest.fixture(scope="module")
def evalset():
    path = DEMO_CORPUS / "evalset.jsonl"
    if not path.exists():
        pytest.fail("corpora/demo/evalset.jsonl is missing")
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@pytest.mark.slow
def test_no_principal_sees_a_forbidden_chunk(demo_services, evalset):
    docs, superseded = oracle()
    now = datetime.now(UTC)
    store = demo_services.store
    indexed = {d.doc_id for d in store.list_documents()}
    assert set(docs) == indexed, "every tagged demo document is indexed"
    titles = sorted({d.title for d in store.list_documents()})
    queries = sorted({c["question"] for c in evalset} | set(titles))
    retriever = Retriever(store, CachedEmbedder(demo_services.embedder, queries))

    principals = {(t, lvl) for t in TENANTS for lvl in LEVELS}
    principals |= {(c["principal"]["tenant_id"], c["principal"]["access_level"]) for c in evalset}
    checked = 0
    for tenant, level in sorted(principals):
        p = Principal(f"leak-{tenant}-{level}", tenant, AccessLevel.parse(level))
        for q in queries:
            for hit in retriever.search(q, p, k=50, mode="hybrid"):
                c = hit.chunk
                assert allowed(docs[c.doc_id], c.doc_id, superseded, tenant, level, now), (
                    f"{tenant}/{level} got {c.doc_id} for {q!r}"
                )
                checked += 1
    assert checked > 10_000  # the suite really looked at many results


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["dense", "fulltext", "hybrid"])
def test_forbidden_docs_never_returned_for_their_case(demo_services, evalset, mode):
    retriever = Retriever(demo_services.store, demo_services.embedder)
    cases = [c for c in evalset if c.get("forbidden_doc_ids")]
    assert len(cases) >= 20
    for case in cases:
        pr = case["principal"]
        p = Principal("eval", pr["tenant_id"], AccessLevel.parse(pr["access_level"]))
        got = {h.chunk.doc_id for h in retriever.search(case["question"], p, k=50, mode=mode)}
        assert not got & set(case["forbidden_doc_ids"]), (case["id"], got & set(case["forbidden_doc_ids"]))


def test_oracle_is_not_vacuous():
    """The manifest really contains the states the suite claims to cover."""
    docs, superseded = oracle()
    now = datetime.now(UTC)
    assert superseded
    assert any(t.get("approved") is False for t in docs.values())
    assert any(_as_dt(t.get("valid_until")) and _as_dt(t["valid_until"]) <= now for t in docs.values())
    assert {str(t["access_level"]) for t in docs.values()} == set(LEVELS)
    assert {t["tenant_id"] for t in docs.values()} == {"alder", "birch", "cedar", "shared"}
