"""PII at ingest: every demo canary is detected and stored as a span; the index text
(embeddings + full-text) never contains it; strict mode stores no raw personal data."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.conftest import DEMO_CORPUS

CANARIES = json.loads((DEMO_CORPUS / "canaries.json").read_text())


def _norm(s: str) -> str:
    return re.sub(r"\s+", " ", s)


def _doc_chunks(store, doc_id):
    return [c for cs, _ in store.iter_all() for c in cs if c.doc_id == doc_id]


@pytest.mark.slow
def test_every_canary_is_detected_and_masked_in_the_index(demo_services):
    missed = []
    for canary in CANARIES:
        chunks = _doc_chunks(demo_services.store, canary["doc_id"])
        assert chunks, canary["doc_id"]
        found_in = [c for c in chunks if canary["value"] in _norm(c.text)]
        assert found_in, f"canary text not in any chunk of {canary['doc_id']}: {canary['value']}"
        for c in found_in:
            start = _norm(c.text).index(canary["value"])
            end = start + len(canary["value"])
            # a stored span must cover the canary (whitespace-normalised text keeps offsets
            # when the chunk has no runs of whitespace around it, which we check)
            assert _norm(c.text) == c.text or canary["value"] in c.text
            start = c.text.index(canary["value"])
            end = start + len(canary["value"])
            covered = any(s.start <= start and end <= s.end for s in c.pii_spans) or all(
                any(s.start <= i < s.end for s in c.pii_spans) for i in range(start, end) if not c.text[i].isspace()
            )
            if not covered:
                missed.append((canary["entity_type"], canary["value"], canary["doc_id"]))
            assert canary["value"] not in c.index_text, f"index text carries {canary['value']}"
    assert not missed, f"{len(missed)} canaries not detected: {missed}"


@pytest.mark.slow
def test_strict_mode_stores_no_canary_anywhere(tmp_path):
    from copilot.core.services import build_services
    from copilot.core.settings import Settings

    services = build_services(Settings(data_dir=tmp_path, pii_strict=True))
    report = services.ingestor.ingest_corpus(DEMO_CORPUS, progress=False)
    assert not report.rejected and report.chunks_written > 0
    services.store.optimize()
    values = [c["value"].encode() for c in CANARIES]
    hits = []
    files = [p for p in Path(tmp_path / "index").rglob("*") if p.is_file()]
    assert files
    for p in files:
        data = p.read_bytes()
        hits += [(p.name, v) for v in values if v in data]
    assert not hits, f"raw personal data stored in strict mode: {hits[:5]}"
    # and in the rows themselves (text, index text, spans cleared)
    for chunks, _ in services.store.iter_all():
        for c in chunks:
            assert not c.pii_spans
            assert not any(v.decode() in c.text for v in values)


@pytest.mark.slow
def test_titles_and_section_paths_never_carry_personal_data(demo_services):
    values = [c["value"] for c in CANARIES]
    for chunks, _ in demo_services.store.iter_all():
        for c in chunks:
            meta = " | ".join([c.title, *c.section_path])
            assert not [v for v in values if v in meta], (c.doc_id, meta)
