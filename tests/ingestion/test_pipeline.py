"""Ingestion behaviour on a real LanceDB index with the real embedding model."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pytest

from ingestion.manifest import DocumentTags, ManifestError
from ingestion.pipeline import IngestError, Ingestor
from retrievers.access import AccessLevel, Principal, access_filter
from retrievers.retriever import Retriever
from retrievers.stores.lancedb import LanceDBStore
from tests.ingestion.conftest import make_docx, make_pdf

MANIFEST = """
version: 1
exclude: ["notes/*"]
documents:
  - path: "docs/*"
    tenant_id: alder
    access_level: partner
    doc_type: playbook
  - path: docs/contract.pdf
    tenant_id: alder
    access_level: internal
    doc_type: contract
  - path: docs/missing-level.md
    tenant_id: alder
    doc_type: policy
  - path: "shared/*"
    tenant_id: shared
    access_level: public
    doc_type: release_note
  - path: shared/release-2026-1.md
    tenant_id: shared
    access_level: public
    doc_type: release_note
    version: "2026.1"
    supersedes: shared/release-2025-2.md
"""


def write_corpus(root: Path) -> None:
    (root / "docs").mkdir(parents=True)
    (root / "shared").mkdir()
    (root / "other").mkdir()
    (root / "notes").mkdir()
    (root / "manifest.yaml").write_text(MANIFEST)
    (root / "docs/cutover.md").write_text("# Cutover\n\n## Freeze\n\nFreeze master data 48 hours before go-live.\n")
    (root / "docs/migration.txt").write_text("Data Migration\n\nLoad open items in three waves, balances last.\n")
    (root / "docs/escalation.html").write_text(
        "<h1>Escalation</h1><h2>Tiers</h2><p>Tier 2 is the partner delivery lead.</p>"
    )
    (root / "docs/policy.docx").write_bytes(make_docx([("Retention", "Project data is kept 90 days.")]))
    (root / "docs/contract.pdf").write_bytes(
        make_pdf([("SLA", "Priority 1 response within 2 hours."), ("Liability", "Cap equals annual fees.")])
    )
    (root / "shared/release-2025-2.md").write_text("# Release 2025.2\n\nThe old planner is the default view.\n")
    (root / "shared/release-2026-1.md").write_text("# Release 2026.1\n\nThe new planner replaces the old view.\n")
    # bad inputs, each must be rejected on its own
    (root / "docs/broken.pdf").write_bytes(b"%PDF-1.7 truncated nonsense")
    (root / "docs/empty.md").write_text("")
    (root / "docs/tool.exe").write_bytes(b"MZ\x90")
    (root / "docs/latin1.txt").write_bytes("Caf\xe9 cr\xe8me".encode("latin-1"))
    (root / "docs/huge.txt").write_text("word " * 60_000)
    (root / "docs/missing-level.md").write_text("# Policy\n\nNo level in the manifest.\n")
    (root / "other/untagged.md").write_text("# Untagged\n\nNobody tagged this file.\n")
    (root / "notes/ignored.md").write_text("# Excluded by the manifest\n")


@pytest.fixture
def corpus(tmp_path) -> Path:
    root = tmp_path / "corpus"
    write_corpus(root)
    return root


@pytest.fixture
def store(tmp_path) -> LanceDBStore:
    return LanceDBStore(tmp_path / "index")


@pytest.fixture
def ingestor(store, embedder) -> Ingestor:
    return Ingestor(store, embedder, max_file_bytes=200_000)


def docs_in(store) -> set[str]:
    return {d.doc_id for d in store.list_documents()}


def test_batch_ingests_good_files_and_rejects_each_bad_one(ingestor, store, corpus):
    report = ingestor.ingest_corpus(corpus, progress=False)
    reasons = {o.path: o.reason for o in report.rejected}
    assert set(reasons) == {
        "docs/broken.pdf", "docs/empty.md", "docs/tool.exe", "docs/latin1.txt", "docs/huge.txt",
        "docs/missing-level.md", "other/untagged.md",
    }
    assert "not a readable PDF" in reasons["docs/broken.pdf"]
    assert "empty" in reasons["docs/empty.md"]
    assert "unsupported file type" in reasons["docs/tool.exe"]
    assert "UTF-8" in reasons["docs/latin1.txt"]
    assert "limit" in reasons["docs/huge.txt"]
    assert "access_level" in reasons["docs/missing-level.md"]
    assert "no permission tags" in reasons["other/untagged.md"]
    assert docs_in(store) == {
        "docs/cutover.md", "docs/migration.txt", "docs/escalation.html", "docs/policy.docx",
        "docs/contract.pdf", "shared/release-2025-2.md", "shared/release-2026-1.md",
    }
    assert report.documents_written == 7 and report.chunks_written == store.count()
    # later manifest entry wins: the contract is internal, the rest partner
    levels = {d.doc_id: d.access_level for d in store.list_documents()}
    assert levels["docs/contract.pdf"] == AccessLevel.INTERNAL
    assert levels["docs/cutover.md"] == AccessLevel.PARTNER


def test_reingest_unchanged_writes_nothing(ingestor, store, corpus):
    ingestor.ingest_corpus(corpus, progress=False)
    version_before = store.data_version
    again = ingestor.ingest_corpus(corpus, progress=False)
    assert again.chunks_written == 0 and again.documents_written == 0
    assert again.documents_skipped == 7
    assert store.data_version == version_before


def test_changed_document_replaces_its_old_chunks(ingestor, store, corpus, embedder):
    ingestor.ingest_corpus(corpus, progress=False)
    (corpus / "docs/cutover.md").write_text("# Cutover\n\n## Freeze\n\nFreeze master data 72 hours before go-live.\n")
    report = ingestor.ingest_corpus(corpus, progress=False)
    assert report.documents_written == 1
    p = Principal("u", "alder", AccessLevel.PARTNER)
    texts = [c.text for c, in [(h.chunk,) for h in store.text_search("freeze master data", access_filter(p), 10)]]
    assert any("72 hours" in t for t in texts) and not any("48 hours" in t for t in texts)


def test_prune_deletes_documents_removed_from_corpus(ingestor, store, corpus):
    ingestor.ingest_corpus(corpus, progress=False)
    (corpus / "docs/migration.txt").unlink()
    kept = ingestor.ingest_corpus(corpus, progress=False)
    assert "docs/migration.txt" in docs_in(store) and not kept.deleted
    planned = ingestor.ingest_corpus(corpus, prune=True, progress=False)
    assert planned.prune_planned == ["alder:docs/migration.txt"] and not planned.deleted
    assert "docs/migration.txt" in docs_in(store)  # a prune without confirmation is a dry run
    pruned = ingestor.ingest_corpus(corpus, prune=True, confirm_prune=True, progress=False)
    assert pruned.deleted == ["alder:docs/migration.txt"]
    assert "docs/migration.txt" not in docs_in(store)


def test_supersedes_hides_old_release_note(ingestor, store, corpus, embedder):
    ingestor.ingest_corpus(corpus, progress=False)
    p = Principal("u", "birch", AccessLevel.PUBLIC)
    hits = Retriever(store, embedder).search("planner default view", p, k=10)
    ids = {h.chunk.doc_id for h in hits}
    assert "shared/release-2026-1.md" in ids and "shared/release-2025-2.md" not in ids


def test_crash_in_the_middle_of_a_document_keeps_old_chunks(store, embedder, corpus):
    good = Ingestor(store, embedder, max_file_bytes=200_000)
    good.ingest_corpus(corpus, progress=False)
    before = {c.chunk_id: c.text for cs, _ in store.iter_all() for c in cs if c.doc_id == "docs/cutover.md"}
    (corpus / "docs/cutover.md").write_text("# Cutover\n\n## Freeze\n\nFreeze changed to 96 hours.\n")
    (corpus / "docs/migration.txt").write_text("Data Migration\n\nLoad balances first now.\n")

    class CrashingStore:
        """The real store, but the write of one document fails (as a crash or full disk would)."""

        def __init__(self, inner):
            self.inner = inner

        def __getattr__(self, name):
            return getattr(self.inner, name)

        def replace_document(self, tenant_id, doc_id, chunks, vectors):
            if doc_id == "docs/cutover.md":
                raise OSError("disk full while writing docs/cutover.md")
            return self.inner.replace_document(tenant_id, doc_id, chunks, vectors)

        def replace_documents(self, docs):
            if any(doc_id == "docs/cutover.md" for _, doc_id, _, _ in docs):
                raise OSError("disk full while writing a group with docs/cutover.md")
            return self.inner.replace_documents(docs)

    report = Ingestor(CrashingStore(store), embedder, max_file_bytes=200_000).ingest_corpus(corpus, progress=False)
    failed = {o.path: o.reason for o in report.rejected}
    assert "disk full" in failed["docs/cutover.md"]
    after = {c.chunk_id: c.text for cs, _ in store.iter_all() for c in cs if c.doc_id == "docs/cutover.md"}
    assert after == before  # old chunks intact, nothing half-written
    mig = [c.text for cs, _ in store.iter_all() for c in cs if c.doc_id == "docs/migration.txt"]
    assert any("balances first" in t for t in mig)  # the rest of the batch went on
    # the failed document is retried (not marked done) on the next run
    retry = Ingestor(store, embedder, max_file_bytes=200_000).ingest_corpus(corpus, progress=False)
    assert any(o.path == "docs/cutover.md" and o.status == "written" for o in retry.outcomes)


def test_embedding_failure_mid_batch_leaves_index_unchanged(store, embedder, corpus):
    Ingestor(store, embedder, max_file_bytes=200_000).ingest_corpus(corpus, progress=False)
    snapshot = sorted((c.chunk_id, c.text) for cs, _ in store.iter_all() for c in cs)
    for f in ["docs/cutover.md", "docs/migration.txt"]:
        (corpus / f).write_text((corpus / f).read_text() + "\n\nAppended paragraph that changes the hash.\n")

    class FailingEmbedder:
        name, dim, max_tokens = embedder.name, embedder.dim, embedder.max_tokens
        count_tokens = staticmethod(embedder.count_tokens)

        def encode(self, texts, batch_size=None):
            raise RuntimeError("model crashed")

    report = Ingestor(store, FailingEmbedder(), max_file_bytes=200_000).ingest_corpus(corpus, progress=False)
    assert {o.path for o in report.rejected if "model crashed" in o.reason} >= {"docs/cutover.md"}
    assert sorted((c.chunk_id, c.text) for cs, _ in store.iter_all() for c in cs) == snapshot


@pytest.mark.parametrize(
    "text,fragment",
    [
        ("version: 1\ndocuments: [unclosed", "not valid YAML"),
        ("- just\n- a list\n", "expected a mapping"),
        ("version: 1\ndocuments: {path: x}\n", "must be a list"),
        ("version: 1\ndocuments:\n  - tenant_id: alder\n", "needs a 'path'"),
    ],
)
def test_malformed_manifest_is_rejected_and_index_untouched(ingestor, store, corpus, text, fragment):
    ingestor.ingest_corpus(corpus, progress=False)
    count = store.count()
    (corpus / "manifest.yaml").write_text(textwrap.dedent(text))
    with pytest.raises(ManifestError) as exc:
        ingestor.ingest_corpus(corpus, prune=True, progress=False)
    assert fragment in str(exc.value)
    assert store.count() == count


def test_bad_tag_values_reject_only_their_files(ingestor, store, corpus):
    (corpus / "manifest.yaml").write_text(MANIFEST + textwrap.dedent("""
      - path: docs/cutover.md
        tenant_id: "Alder Corp!"
        access_level: partner
        doc_type: playbook
      - path: docs/migration.txt
        tenant_id: alder
        access_level: top-secret
        doc_type: playbook
    """).replace("\n", "\n  ").replace("\n  \n", "\n"))
    report = ingestor.ingest_corpus(corpus, progress=False)
    reasons = {o.path: o.reason for o in report.rejected}
    assert "tenant_id" in reasons["docs/cutover.md"]
    assert "access level" in reasons["docs/migration.txt"]
    assert "docs/escalation.html" in docs_in(store)


def test_upload_api_path_validates_size_and_type(ingestor, store):
    tags = DocumentTags(tenant_id="alder", access_level="partner", doc_type="sow")
    out = ingestor.ingest_bytes(b"# SOW\n\nScope covers finance and procurement.\n", "uploads/sow.md", tags)
    assert out.status == "written" and out.chunks >= 1
    assert ingestor.ingest_bytes(b"# SOW\n\nScope covers finance and procurement.\n", "uploads/sow.md",
                                 tags).status == "skipped"
    with pytest.raises(IngestError, match="unsupported"):
        ingestor.ingest_bytes(b"data", "uploads/x.xlsx", tags)
    with pytest.raises(IngestError, match="limit"):
        ingestor.ingest_bytes(b"x" * 300_000, "uploads/big.txt", tags)


def test_vectors_are_normalised_and_stored(ingestor, store, corpus):
    ingestor.ingest_corpus(corpus, progress=False)
    for _, vecs in store.iter_all():
        assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-3)
