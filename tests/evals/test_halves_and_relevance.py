"""docs_qa relevance rule, per-half summaries and the half-gap check, index cache key, plain BM25 chunks."""

from __future__ import annotations

import json

from evals.dataset import DocumentTexts, EvalCase, load_cases, resolve_gold
from evals.metrics import Gold, Item, Span, passage_recall_at_k, relevance, token_starts
from evals.run import answer_scores, half_gaps, index_key, summarize
from retrievers.access import AccessLevel, Principal

TEXT = " ".join(f"w{i}" for i in range(100))  # 100 tokens, token i starts at offset 3*i (for i < 10)...


def _gold(min_share: float) -> Gold:
    starts = token_starts(TEXT)
    # gold span = tokens 10..19 (10 tokens)
    return Gold(frozenset({"d"}), (Span("d", starts[10], starts[20] - 1),), min_share=min_share,
                token_starts={"d": starts})


def test_half_shorter_rule_needs_half_of_the_shorter_in_tokens():
    starts = token_starts(TEXT)
    gold = _gold(0.5)
    long_item = Item("d", starts[0], starts[60])  # covers the whole span: shorter is the span, 10/10
    edge = Item("d", starts[17], starts[40])  # shares 3 of the span's 10 tokens: not enough
    half = Item("d", starts[15], starts[40])  # shares 5 of 10
    other_doc = Item("e", starts[0], starts[60])
    assert relevance([long_item, edge, half, other_doc], gold) == [1, 0, 1, 0]
    # the default rule counts any shared character
    assert relevance([edge], _gold(0.0)) == [1]
    assert passage_recall_at_k([edge, half], gold, 1) == 0.0 and passage_recall_at_k([edge, half], gold, 2) == 1.0


def test_docs_relevance_is_read_from_the_eval_set(tmp_path):
    (tmp_path / "d.txt").write_text(TEXT)
    row = {"id": "q", "question": "?", "principal": {"tenant_id": "t", "access_level": "partner"},
           "reference_doc_ids": ["d.txt"], "reference_spans": [{"doc_id": "d.txt", "start": 30, "end": 60}],
           "relevance": "half_shorter"}
    (tmp_path / "s.jsonl").write_text(json.dumps(row) + "\n")
    case = load_cases(tmp_path / "s.jsonl")[0]
    gold = resolve_gold(case, DocumentTexts(tmp_path))
    assert gold.min_share == 0.5 and gold.token_starts["d.txt"][:2] == [0, 3]
    assert case.doc_key == "d.txt"
    (tmp_path / "s.jsonl").write_text(json.dumps(row | {"relevance": "loose"}) + "\n")
    try:
        load_cases(tmp_path / "s.jsonl")
    except ValueError as exc:
        assert "relevance" in str(exc)
    else:
        raise AssertionError("an unknown relevance rule must be rejected")


def _rows(half: str, r5: float, n: int = 4) -> list[dict]:
    return [{"id": f"{half}{i}", "half": half, "answerable": True, "latency_ms": 1.0, "leaks": [],
             "passage_level": True, "recall@5": r5, "ndcg@10": 0.5, "mrr@10": 0.5} for i in range(n)]


def test_half_gap_names_the_figure_and_respects_the_limit():
    dev, test = _rows("dev", 0.90), _rows("test", 0.80)
    res = {"systems": {"hybrid": {"halves": {"dev": summarize(dev), "test": summarize(test)}},
                       "bm25-plain": {"halves": {"dev": summarize(dev), "test": summarize(_rows("test", 0.1))}}}}
    gaps = half_gaps(res, ["hybrid"], 0.03)
    assert len(gaps) == 1 and "hybrid recall@5" in gaps[0] and "0.900" in gaps[0]
    assert half_gaps(res, ["hybrid"], 0.2) == []  # within the allowed gap


def test_answer_scores_use_reference_and_gold_spans():
    p = Principal("u", "t", AccessLevel.PARTNER)
    case = EvalCase("c", "q", p, ["d"], reference_answer="Nevada")
    gold = Gold(frozenset({"d"}), (Span("d", 10, 20),))
    s = answer_scores(case, gold, "This Agreement is governed by the laws of Nevada.", False, [Item("d", 15, 40)])
    assert s["contains_short"] == 1.0 and s["cites_gold"] == 1.0 and 0 < s["answer_f1"] < 1
    s = answer_scores(case, gold, "Delaware law applies.", False, [Item("d", 30, 40)])
    assert s["contains_short"] == 0.0 and s["cites_gold"] == 0.0 and s["answer_f1"] == 0.0
    assert answer_scores(case, gold, "", True, []) == {}  # refused: nothing to score


def test_index_key_follows_content_and_settings(tmp_path):
    from copilot.core.settings import Settings

    (tmp_path / "a.md").write_text("one")
    (tmp_path / "manifest.yaml").write_text("version: 1\n")
    s = Settings(data_dir=tmp_path / "x")
    k1 = index_key(tmp_path, tmp_path / "manifest.yaml", s)
    assert k1 == index_key(tmp_path, tmp_path / "manifest.yaml", Settings(data_dir=tmp_path / "y"))
    assert k1 != index_key(tmp_path, tmp_path / "manifest.yaml", Settings(data_dir=s.data_dir, chunk_tokens=320))
    (tmp_path / "a.md").write_text("two")
    assert k1 != index_key(tmp_path, tmp_path / "manifest.yaml", s)
