"""No document is lost or overwritten: source-root collisions, scoped prune, missing manifest
entries, per-file failure isolation in batched PII detection, windowed detection of long texts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingestion import pipeline
from ingestion.manifest import DocumentTags
from ingestion.pipeline import Ingestor, text_windows
from ingestion.sources import SourceLedger
from retrievers.stores.lancedb import LanceDBStore


def manifest(entries: list[dict]) -> str:
    return json.dumps({"version": 1, "documents": entries})  # JSON is YAML


def tagged(path: str, tenant: str = "alder", level: str = "partner") -> dict:
    return {"path": path, "tenant_id": tenant, "access_level": level, "doc_type": "playbook"}


def make_root(base: Path, name: str, files: dict[str, str], entries: list[dict]) -> Path:
    root = base / name
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    (root / "manifest.yaml").write_text(manifest(entries))
    return root


@pytest.fixture
def store(tmp_path) -> LanceDBStore:
    return LanceDBStore(tmp_path / "index")


@pytest.fixture
def ingestor(store, embedder, tmp_path) -> Ingestor:
    return Ingestor(store, embedder, ledger=SourceLedger(tmp_path / "index" / "sources.json"))


def texts_of(store, doc_id: str) -> list[str]:
    return sorted(c.text for cs, _ in store.iter_all() for c in cs if c.doc_id == doc_id)


def test_same_path_in_two_roots_is_a_collision_naming_both_files(ingestor, store, tmp_path):
    a = make_root(tmp_path, "a", {"guide.md": "# Guide\n\nRoot A says freeze data 48 hours ahead.\n"},
                  [tagged("guide.md")])
    b = make_root(tmp_path, "b", {"guide.md": "# Guide\n\nRoot B says something else entirely.\n"},
                  [tagged("guide.md")])
    assert ingestor.ingest_corpus(a, progress=False).documents_written == 1
    before = texts_of(store, "guide.md")
    report = ingestor.ingest_corpus(b, progress=False)
    assert report.documents_written == 0
    [rej] = report.rejected
    assert "collision" in rej.reason and str(a.resolve()) in rej.reason and str(b.resolve()) in rej.reason
    assert texts_of(store, "guide.md") == before  # never an overwrite


def test_same_path_for_different_tenants_is_no_collision(ingestor, store, tmp_path):
    a = make_root(tmp_path, "a", {"guide.md": "# Guide\n\nAlder text.\n"}, [tagged("guide.md", "alder")])
    b = make_root(tmp_path, "b", {"guide.md": "# Guide\n\nBirch text.\n"}, [tagged("guide.md", "birch")])
    ingestor.ingest_corpus(a, progress=False)
    assert ingestor.ingest_corpus(b, progress=False).documents_written == 1
    assert {(d.tenant_id, d.doc_id) for d in store.list_documents()} == {("alder", "guide.md"), ("birch", "guide.md")}


def test_collision_survives_a_restart_through_the_ledger_file(store, embedder, tmp_path):
    a = make_root(tmp_path, "a", {"x.md": "# X\n\nFrom A.\n"}, [tagged("x.md")])
    b = make_root(tmp_path, "b", {"x.md": "# X\n\nFrom B.\n"}, [tagged("x.md")])
    ledger_path = tmp_path / "index" / "sources.json"
    Ingestor(store, embedder, ledger=SourceLedger(ledger_path)).ingest_corpus(a, progress=False)
    fresh = Ingestor(LanceDBStore(tmp_path / "index"), embedder, ledger=SourceLedger(ledger_path))
    assert [o.path for o in fresh.ingest_corpus(b, progress=False).rejected] == ["x.md"]


def test_prune_is_a_dry_run_and_touches_only_its_root_and_tenants(ingestor, store, embedder, tmp_path):
    a = make_root(tmp_path, "a", {"keep.md": "# Keep\n\nStays.\n", "gone.md": "# Gone\n\nRemoved later.\n",
                                  "birch.md": "# Birch\n\nBirch doc from root A.\n"},
                  [tagged("keep.md"), tagged("gone.md"), tagged("birch.md", "birch")])
    b = make_root(tmp_path, "b", {"other.md": "# Other\n\nAnother root's document.\n"}, [tagged("other.md")])
    ingestor.ingest_corpus(a, progress=False)
    ingestor.ingest_corpus(b, progress=False)
    ingestor.ingest_bytes(b"# Upload\n\nUploaded through the API.\n", "uploads/partner/u.md",
                          DocumentTags(tenant_id="alder", access_level="partner", doc_type="other"))
    (a / "gone.md").unlink()
    (a / "birch.md").unlink()  # tenant birch is not part of the next run: its document stays
    (a / "manifest.yaml").write_text(manifest([tagged("keep.md")]))
    all_before = {(d.tenant_id, d.doc_id) for d in store.list_documents()}

    dry = ingestor.ingest_corpus(a, prune=True, progress=False)
    assert dry.prune_planned == ["alder:gone.md"] and dry.deleted == []
    assert {(d.tenant_id, d.doc_id) for d in store.list_documents()} == all_before

    done = ingestor.ingest_corpus(a, prune=True, confirm_prune=True, progress=False)
    assert done.deleted == ["alder:gone.md"]
    assert {(d.tenant_id, d.doc_id) for d in store.list_documents()} == all_before - {("alder", "gone.md")}


def test_manifest_entry_without_its_file_is_reported(ingestor, tmp_path):
    root = make_root(tmp_path, "a", {"here.md": "# Here\n\nPresent.\n"},
                     [tagged("here.md"), tagged("not-here.md"), tagged("globbed/*.md")])
    report = ingestor.ingest_corpus(root, progress=False)
    assert [(o.path, o.status) for o in report.rejected] == [("not-here.md", "missing")]
    assert report.documents_written == 1
    assert report.as_dict()["rejected"] == [{"path": "not-here.md", "reason": "named in the manifest, file not found"}]


def test_text_windows_cover_the_text_with_overlap():
    text = ("word " * 50_000).strip()
    starts = text_windows(text, size=10_000)
    assert starts[0] == 0 and len(starts) > 20
    for s0, s1 in zip(starts, starts[1:], strict=False):
        assert 0 < s1 - s0 < 10_000  # every window overlaps the next
    assert starts[-1] + 10_000 >= len(text)


@pytest.fixture(scope="module")
def detector():
    from guardrails.pii import get_detector

    return get_detector()


def _nlp(detector):
    return detector.analyzer.nlp_engine.nlp["en"]


def test_oversized_and_corrupt_files_never_reject_their_batch(store, embedder, detector, tmp_path, monkeypatch):
    """A text over spaCy's max_length in a batch: only that file fails, the valid ones are written."""
    nlp = _nlp(detector)
    monkeypatch.setattr(nlp, "max_length", 20_000)
    monkeypatch.setattr(pipeline, "PII_WINDOW_CHARS", 10**9)  # no windowing: the batch call fails
    files = {f"ok{i}.md": f"# Valid {i}\n\nCall Jane Roe on 555-0100 about milestone {i}.\n" for i in range(3)}
    files["big.txt"] = "Long text about cutover planning. " * 1_000  # 34 KB > max_length
    root = make_root(tmp_path, "a", files, [tagged("*")])
    (root / "broken.pdf").write_bytes(b"%PDF-1.7 truncated")
    ing = Ingestor(store, embedder, detector=detector, ledger=SourceLedger(None))
    report = ing.ingest_corpus(root, progress=False)
    assert {o.path for o in report.rejected} == {"big.txt", "broken.pdf"}
    assert "PII detection failed" in {o.path: o.reason for o in report.rejected}["big.txt"]
    assert {d.doc_id for d in store.list_documents()} == {"ok0.md", "ok1.md", "ok2.md"}


def test_long_text_is_scanned_in_windows(store, embedder, detector, monkeypatch):
    """With windows, a text over max_length is ingested and PII past the first window is found."""
    monkeypatch.setattr(_nlp(detector), "max_length", 20_000)
    monkeypatch.setattr(pipeline, "PII_WINDOW_CHARS", 8_000)
    body = "Long text about cutover planning. " * 900 + "Write to jane.roe@example.com for sign-off. "
    ing = Ingestor(store, embedder, detector=detector, ledger=SourceLedger(None))
    out = ing.ingest_bytes(body.encode(), "uploads/partner/long.txt",
                           DocumentTags(tenant_id="alder", access_level="partner", doc_type="other"))
    assert out.status == "written"
    chunks = [c for cs, _ in store.iter_all() for c in cs]
    hit = [c for c in chunks if "jane.roe@example.com" in c.text]
    assert hit and any(s.entity_type == "EMAIL_ADDRESS" for s in hit[0].pii_spans)
