"""Document-mention query handling, the rerank stage, and the CUAD loader."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evals.cuad import DEFAULT_SOURCE, build
from retrievers.query import DocumentMentions

DOCS = [
    ("c/agency.txt", "Agency Agreement between Mutual Insurance Corporation of America and Stratton, Inc."),
    ("c/reseller-a.txt", "Reseller Agreement between Galaxy Telecom and Galaxy Telnet SRL"),
    ("c/reseller-b.txt", "Reseller Agreement between Acme Widgets Ltd and Globex Corporation"),
    ("p/guide.md", "Testing and Acceptance Guide"),
]


def test_named_document_becomes_scope_and_mention_is_removed():
    dm = DocumentMentions(DOCS)
    plan = dm.plan("What notice period does the Reseller Agreement between Acme Widgets Ltd and Globex Corporation "
                   "require for termination?")
    assert plan.doc_ids == ["c/reseller-b.txt"]
    assert "Globex" not in plan.text and "Acme" not in plan.text
    assert "notice period" in plan.text and "termination" in plan.text


def test_generic_words_alone_do_not_scope():
    dm = DocumentMentions(DOCS)
    # "reseller agreement" matches two titles only partly: the distinctive party names are missing
    assert dm.plan("What does a reseller agreement usually say about exclusivity?").doc_ids is None
    assert dm.plan("How do I plan acceptance testing?").doc_ids is None
    assert dm.plan("Where is the testing and acceptance guide for UAT?").doc_ids == ["p/guide.md"]


def test_rerank_needs_an_existing_model_folder(tmp_path):
    from retrievers.rerank import CrossEncoderReranker, RerankerError, load_reranker

    assert load_reranker(None) is None
    with pytest.raises(RerankerError, match="not found"):
        CrossEncoderReranker(tmp_path / "missing")
    with pytest.raises(RerankerError, match="cannot load"):
        CrossEncoderReranker(tmp_path)  # an empty folder is not a model


@pytest.mark.slow
def test_rerank_orders_by_cross_encoder_score_and_never_adds_chunks():
    # Any local checkpoint loads as a cross-encoder; the installed MiniLM gets an untrained head, which is
    # enough to check the stage's contract (ordering by its own scores, top-k, provenance kept).
    from retrievers.access import AccessLevel
    from retrievers.embeddings import default_model_path
    from retrievers.rerank import CrossEncoderReranker
    from retrievers.schema import Chunk, ScoredChunk

    rr = CrossEncoderReranker(default_model_path())
    texts = ["The warranty lasts twelve months.", "Invoices are due in 30 days.", "Cutover happens on a weekend."]
    hits = [
        ScoredChunk(Chunk(chunk_id=f"c{i}", doc_id="d", tenant_id="t", access_level=AccessLevel.PARTNER,
                          doc_type="other", title="T", version="1", position=i, text=t, index_text=t), 1.0, "hybrid",
                    {"hybrid": i + 1})
        for i, t in enumerate(texts)
    ]
    scores = rr.scores("how long is the warranty", texts)
    out = rr.rerank("how long is the warranty", hits, k=2)
    assert len(out) == 2
    expected = sorted(range(3), key=lambda i: -scores[i])[:2]
    assert [h.chunk.chunk_id for h in out] == [f"c{i}" for i in expected]
    assert all(h.source == "rerank" and "hybrid" in h.ranks for h in out)


def test_cuad_build_keeps_attribution_and_exact_spans(tmp_path):
    if not DEFAULT_SOURCE.is_dir():
        pytest.skip("shared CUAD data not present")
    counts = build(DEFAULT_SOURCE, tmp_path)
    assert counts == {"contracts": 60, "questions": 1200, "answerable": 471, "unanswerable": 729}
    assert "CC BY 4.0" in (tmp_path / "ATTRIBUTION.md").read_text()
    assert (tmp_path / "CUAD_v1_README.txt").is_file()
    rows = [json.loads(x) for x in (tmp_path / "evalset.jsonl").read_text().splitlines()]
    scoped = [json.loads(x) for x in (tmp_path / "evalset-scoped.jsonl").read_text().splitlines()]
    assert len(rows) == len(scoped) == 1200
    assert all(r["doc_scope"] == r["reference_doc_ids"] for r in scoped)
    for r in rows:
        assert r["answerable"] == bool(r["reference_spans"])
        for span in r["reference_spans"]:
            text = Path(tmp_path / span["doc_id"]).read_text()[span["start"] : span["end"]]
            assert any(text in a or a in text for a in r["reference_contexts"])


def test_cuad_gold_span_maps_onto_parsed_text(tmp_path):
    if not DEFAULT_SOURCE.is_dir():
        pytest.skip("shared CUAD data not present")
    from evals.dataset import DocumentTexts, load_cases, resolve_gold

    build(DEFAULT_SOURCE, tmp_path)
    case = next(c for c in load_cases(tmp_path / "evalset.jsonl") if c.answerable)
    texts = DocumentTexts(tmp_path, tmp_path / "cache")
    gold = resolve_gold(case, texts)
    parsed = texts.parsed(case.reference_doc_ids[0])
    assert parsed is not None and gold.spans
    got = "".join(parsed[gold.spans[0].start : gold.spans[0].end].split())
    assert got == "".join(case.reference_contexts[0].split())
