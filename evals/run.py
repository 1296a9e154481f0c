"""Run an eval set against several retrieval systems and write the report.

``evaluate`` runs every case as its principal through every system, scores the ranking
(hit@k, recall@k, MRR, nDCG@10 per :mod:`evals.metrics`), the Ragas non-LLM context
precision/recall against ``reference_contexts``, leaks (forbidden documents returned)
and latency; with an answer layer it also scores refusal on unanswerable cases and
answer-level citation precision/coverage. ``write_report`` writes ``results.json``,
``report.md`` and PNG charts.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import math
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from evals.answer_metrics import cites_gold, contains_short, refusal_accuracy, token_f1
from evals.dataset import DocumentTexts, EvalCase, load_cases, resolve_gold
from evals.metrics import KS, Gold, Item, RefusalCounts, case_metrics, count_relevant, leaks, mean, percentile
from evals.splits import HALVES, half_of
from evals.systems import Hit, System

log = logging.getLogger("evals")

HEADLINE = ["hit@1", "hit@5", "recall@1", "recall@3", "recall@5", "recall@10", "mrr@10", "ndcg@10"]
RAGAS_K = 5  # contexts handed to the Ragas metrics (what an answer step would read)


# ------------------------------------------------------------------------------------------
# Ragas (non-LLM by default)
# ------------------------------------------------------------------------------------------
class RagasScorer:
    """Ragas context precision/recall; non-LLM string-similarity variants unless an LLM is configured."""

    def __init__(self, llm: Any | None = None):
        os.environ.setdefault("RAGAS_DO_NOT_TRACK", "true")
        from ragas.metrics import NonLLMContextPrecisionWithReference, NonLLMContextRecall

        self.metrics: list[Any] = [NonLLMContextPrecisionWithReference(), NonLLMContextRecall()]
        self.llm_metrics: list[Any] = []
        if llm is not None:  # only with a configured endpoint; never in offline runs
            from ragas.metrics import LLMContextPrecisionWithReference, LLMContextRecall

            self.llm_metrics = [LLMContextPrecisionWithReference(llm=llm), LLMContextRecall(llm=llm)]

    def score(self, question: str, contexts: list[str], references: list[str], answer: str = "") -> dict[str, float]:
        from ragas.dataset_schema import SingleTurnSample

        if not contexts or not references:
            return {}
        sample = SingleTurnSample(user_input=question, retrieved_contexts=contexts, reference_contexts=references,
                                  reference=answer or None)
        out = {}
        for m in self.metrics + self.llm_metrics:
            try:
                out[m.name] = float(asyncio.run(m.single_turn_ascore(sample)))
            except Exception as exc:  # one bad sample must not stop the run
                log.warning("ragas %s failed: %s", m.name, exc)
        return out


# ------------------------------------------------------------------------------------------
# Answer layer (optional)
# ------------------------------------------------------------------------------------------
AnswerFn = Callable[[EvalCase, list[Hit], Any, Gold], dict[str, Any]]  # case, hits, QueryPlan or None, gold


def make_answer_fn(services: Any) -> AnswerFn | None:
    """The service's answer to each case (``Answerer.answer``, as ``POST /v1/ask`` calls it): its own
    spelling, query handling, retrieval and expansion, so the figures are those of the answers users
    get. The system's hits are not read: answers are scored for the product's pipeline only."""
    try:
        from copilot.answering.answerer import Answerer
        from copilot.core.redact import ResponseRedactor, load_policy
    except ImportError:
        return None
    from guardrails.citations import citation_precision

    settings = services.settings
    answerer = Answerer(services.retriever, services.embedder, settings, scoper=services.scoper)
    policy = load_policy(getattr(settings, "redaction_policy_path", None))

    def embed(texts: list[str]):
        return services.embedder.encode(texts)

    def answer(case: EvalCase, hits: list[Hit], plan: Any, gold: Gold) -> dict[str, Any]:
        redactor = ResponseRedactor(case.principal, policy, None)
        ans = answerer.answer(case.question, case.principal, redactor, doc_ids=case.doc_scope)
        row: dict[str, Any] = {"refused": bool(ans.refused), "confidence": round(float(ans.confidence), 4)}
        if not ans.refused and ans.citations:
            by_n = {c.n: c.snippet for c in ans.citations}
            rep = citation_precision(ans.answer, by_n, embed=embed)
            row["citation_precision"] = rep.precision
            row["citation_coverage"] = rep.coverage
        row.update(answer_scores(case, gold, ans.answer, ans.refused,
                                 [Item(c.doc_id, c.char_start, c.char_end) for c in ans.citations]))
        return row

    return answer


def answer_scores(case: EvalCase, gold: Gold, answer: str, refused: bool, cited: list[Item]) -> dict[str, Any]:
    """Answer-level figures of one answered, answerable case (evals.answer_metrics)."""
    if refused or not case.answerable:
        return {}
    out: dict[str, Any] = {}
    if case.reference_answer:
        out["answer_f1"] = round(token_f1(answer, case.reference_answer), 4)
        out["contains_short"] = float(contains_short(answer, case.reference_answer))
    if gold.spans:
        out["cites_gold"] = float(cites_gold(cited, gold.spans))
    return out


# ------------------------------------------------------------------------------------------
# Evaluation
# ------------------------------------------------------------------------------------------
def evaluate(
    cases: Sequence[EvalCase],
    systems: Sequence[System],
    texts: DocumentTexts,
    *,
    k: int = 10,
    ragas: bool = True,
    answer_fn: AnswerFn | None = None,
    answer_systems: Sequence[str] = (),
    progress: bool = True,
    label: str = "eval",
) -> dict[str, Any]:
    """Score every system on every case; returns summary and per-case rows."""
    from tqdm import tqdm

    golds: dict[str, Gold] = {c.id: resolve_gold(c, texts) for c in cases}
    scorer = RagasScorer() if ragas else None
    results: dict[str, Any] = {"systems": {}, "cases": len(cases)}
    bar = tqdm(total=len(cases) * len(systems), desc=label, unit="q", disable=not progress, dynamic_ncols=True)
    for system in systems:
        ranges = system.doc_ranges()
        rows = []
        # One warm-up query so model loading is not charged to the first case.
        system.search(cases[0], k)
        for case in cases:
            gold = golds[case.id]
            t0 = time.perf_counter()
            hits = system.search(case, k)
            ms = (time.perf_counter() - t0) * 1000
            items = [h.item for h in hits]
            row: dict[str, Any] = {
                "id": case.id, "answerable": case.answerable, "category": case.category, "latency_ms": round(ms, 3),
                "leaks": leaks(items, gold), "top_docs": [it.doc_id for it in items[:3]],
                "passage_level": gold.passage_level, "half": half_of(case.doc_key),
            }
            plan = getattr(system, "last_plan", None)
            if plan is not None and case.doc_scope is None:
                row["scoped_to"] = plan.doc_ids
                if plan.doc_ids and gold.doc_ids:
                    row["scope_correct"] = bool(gold.doc_ids & set(plan.doc_ids))
            if case.answerable and (gold.doc_ids or gold.spans):
                row.update(case_metrics(items, gold, count_relevant(ranges, gold)))
                if scorer is not None and case.reference_contexts:
                    row.update(scorer.score(case.question, [h.text for h in hits[:RAGAS_K]],
                                            case.reference_contexts, case.reference_answer))
            if answer_fn is not None and system.name in answer_systems:
                row.update(answer_fn(case, hits, plan, gold))
            rows.append(row)
            bar.update(1)
        results["systems"][system.name] = {
            "description": system.description, "summary": summarize(rows),
            "halves": {h: summarize([r for r in rows if r["half"] == h]) for h in HALVES}, "rows": rows,
        }
    bar.close()
    return results


def summarize(rows: list[dict[str, Any]]) -> dict[str, Any]:
    scored = [r for r in rows if "ndcg@10" in r]
    out: dict[str, Any] = {"scored_cases": len(scored),
                           "passage_level_cases": sum(1 for r in scored if r["passage_level"])}
    keys = [f"{m}@{k}" for m in ("hit", "recall", "doc_recall") for k in KS] + ["mrr@10", "ndcg@10"]
    for key in keys:
        out[key] = mean(r.get(key) for r in scored)
    for key in ("non_llm_context_precision_with_reference", "non_llm_context_recall",
                "llm_context_precision_with_reference", "context_recall"):
        vals = [r[key] for r in scored if key in r]
        if vals:
            out[key] = mean(vals)
    lat = [r["latency_ms"] for r in rows]
    out["latency_p50_ms"] = percentile(lat, 50)
    out["latency_p95_ms"] = percentile(lat, 95)
    out["leaks"] = sum(len(r["leaks"]) for r in rows)
    out["leaking_cases"] = [r["id"] for r in rows if r["leaks"]]
    scoped = [r for r in rows if "scoped_to" in r]
    if scoped:
        out["query_scoped_share"] = sum(1 for r in scoped if r["scoped_to"]) / len(scoped)
        judged = [r["scope_correct"] for r in scoped if "scope_correct" in r]
        out["narrowed"] = len(judged)
        # Share of narrowed questions whose gold document is in the scope (target >= .98).
        out["scope_precision"] = sum(judged) / len(judged) if judged else float("nan")
    if any("refused" in r for r in rows):
        rc = RefusalCounts()
        for r in rows:
            if "refused" in r:
                rc.add(r["answerable"], r["refused"])
        out["refusal"] = {"unanswerable": rc.unanswerable, "refused_unanswerable": rc.refusal_rate,
                          "answerable": rc.answerable, "answered_answerable": rc.answer_rate,
                          "accuracy": rc.accuracy}
        out["citation_precision"] = mean(r.get("citation_precision") for r in rows)
        out["citation_coverage"] = mean(r.get("citation_coverage") for r in rows)
        judged_rows = [r for r in rows if "refused" in r]
        out["refusal"].update(refusal_accuracy([r["refused"] for r in judged_rows],
                                               [r["answerable"] for r in judged_rows]))
        answered = [r for r in rows if r.get("answerable") and "refused" in r and not r["refused"]]
        out["answered_cases"] = len(answered)
        for key in ("answer_f1", "contains_short", "cites_gold"):
            out[key] = mean(r.get(key) for r in answered)
    return out


# ------------------------------------------------------------------------------------------
# Report
# ------------------------------------------------------------------------------------------
def _f(v: Any, digits: int = 3) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    if isinstance(v, float):
        return f"{v:.{digits}f}"
    return str(v)


def ratio_rows(systems: dict[str, Any], ours: Sequence[str], baselines: Sequence[str]) -> list[list[str]]:
    rows = []
    for o in ours:
        so = systems[o]["summary"]
        for b in baselines:
            if b == o or b not in systems:
                continue
            sb = systems[b]["summary"]

            def r(key: str, so=so, sb=sb) -> str:
                a, c = so.get(key), sb.get(key)
                if a is None or c is None or not c or math.isnan(a) or math.isnan(c):
                    return "–"
                return f"{a / c:.2f}×"

            rows.append([o, b, r("recall@5"), r("ndcg@10"), r("mrr@10"), r("latency_p50_ms"), r("latency_p95_ms")])
    return rows


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def section_markdown(name: str, res: dict[str, Any], ours: Sequence[str], baselines: Sequence[str]) -> str:
    systems = res["systems"]
    hdr = ["system", *HEADLINE, "ctx P (ragas)", "ctx R (ragas)", "p50 ms", "p95 ms", "leaks"]
    rows = []
    for sname, s in systems.items():
        m = s["summary"]
        rows.append([f"**{sname}**" if sname in ours else sname, *[_f(m.get(h)) for h in HEADLINE],
                     _f(m.get("non_llm_context_precision_with_reference")), _f(m.get("non_llm_context_recall")),
                     _f(m.get("latency_p50_ms"), 1), _f(m.get("latency_p95_ms"), 1), str(m.get("leaks", 0))])
    first = next(iter(systems.values()))["summary"]
    out = [f"## {name}", "",
           f"{res['cases']} cases; {first['scored_cases']} answerable cases scored "
           f"({first['passage_level_cases']} at passage level, the rest at document level).", "",
           table(hdr, rows), ""]
    desc = [f"- `{n}`: {s['description']}" for n, s in systems.items()]
    out += ["Systems:", *desc, ""]
    ans = [(n, s["summary"]) for n, s in systems.items() if "refusal" in s["summary"]]
    if ans:
        out += ["Answer level (the service's own answers, `Answerer.answer` as `POST /v1/ask` calls it with the "
                "configured retrieval, on the row of the product's system):", "",
                table(["system", "refused unanswerable", "answered answerable", "refusal accuracy",
                       "answer F1", "contains short answer", "cites gold span", "citation precision",
                       "citation coverage"],
                      [[n, _f(m["refusal"]["refused_unanswerable"]), _f(m["refusal"]["answered_answerable"]),
                        _f(m["refusal"]["accuracy"]), _f(m.get("answer_f1")), _f(m.get("contains_short")),
                        _f(m.get("cites_gold")), _f(m.get("citation_precision")), _f(m.get("citation_coverage"))]
                       for n, m in ans]), "",
                "Answer F1 and containment compare the answer text with the reference answer (CUAD "
                "`short_answer`, docs `reference_answer`); *cites gold span*: some citation overlaps a gold span; "
                "both over answered answerable cases. Citation precision/coverage check each answer sentence "
                "against its own cited passage (an extractive answer satisfies them by construction).", ""]
    hrows = []
    for sname, s in systems.items():
        for h in HALVES:
            m = s.get("halves", {}).get(h)
            if not m:
                continue
            ref = m.get("refusal", {})
            hrows.append([sname, h, str(m["scored_cases"]), _f(m.get("recall@5")), _f(m.get("ndcg@10")),
                          _f(m.get("mrr@10")), _f(m.get("scope_precision")), _f(ref.get("answered_answerable")),
                          _f(ref.get("refused_unanswerable")), _f(m.get("answer_f1")), _f(m.get("contains_short")),
                          _f(m.get("cites_gold"))])
    if hrows:
        out += ["By half of the by-document split (`evals/splits.py`; parameters are chosen on dev only):", "",
                table(["system", "half", "scored", "R@5", "nDCG@10", "MRR@10", "scope precision",
                       "answered answerable", "refused unanswerable", "answer F1", "contains short answer",
                       "cites gold span"], hrows), ""]
    gaps = half_gaps(res, ours)
    if gaps:
        out += ["Figures that differ by more than the allowed gap between halves:", "",
                *[f"- {g}" for g in gaps], ""]
    rr = ratio_rows(systems, [o for o in ours if o in systems], baselines)
    if rr:
        out += ["Ratios against the baselines (ours ÷ baseline; latency below 1× is faster):", "",
                table(["ours", "baseline", "R@5", "nDCG@10", "MRR@10", "p50 latency", "p95 latency"], rr), ""]
    return "\n".join(out)


QUALITY_KEYS = ("recall@5", "ndcg@10", "mrr@10", "answer_f1", "contains_short", "cites_gold")
REFUSAL_KEYS = ("answered_answerable", "refused_unanswerable")


def half_gaps(res: dict[str, Any], ours: Sequence[str], max_gap: float = 0.03) -> list[str]:
    """Quality figures of our systems whose dev and test values differ by more than ``max_gap``."""
    out = []
    for name in ours:
        halves = res["systems"].get(name, {}).get("halves")
        if not halves:
            continue
        dev, test = halves["dev"], halves["test"]
        pairs = [(k, dev.get(k), test.get(k)) for k in QUALITY_KEYS]
        pairs += [(k, dev.get("refusal", {}).get(k), test.get("refusal", {}).get(k)) for k in REFUSAL_KEYS]
        for key, a, b in pairs:
            if a is None or b is None or math.isnan(a) or math.isnan(b):
                continue
            if abs(a - b) > max_gap:
                out.append(f"{name} {key}: dev {a:.3f} vs test {b:.3f} (gap {abs(a - b):.3f} > {max_gap:.2f})")
    return out


def charts(sections: dict[str, dict[str, Any]], out: Path) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    files = []
    metrics = ["recall@1", "recall@5", "recall@10", "mrr@10", "ndcg@10"]
    for sec_name, res in sections.items():
        slug = sec_name.lower().replace(" ", "-").replace("/", "-")
        names = list(res["systems"])
        fig, ax = plt.subplots(figsize=(9, 4.5))
        width = 0.8 / max(1, len(names))
        x = np.arange(len(metrics))
        for i, n in enumerate(names):
            vals = [res["systems"][n]["summary"].get(m) or 0.0 for m in metrics]
            ax.bar(x + i * width, vals, width, label=n)
        ax.set_xticks(x + width * (len(names) - 1) / 2, metrics)
        ax.set_ylim(0, 1)
        ax.set_title(f"{sec_name}: metric by system")
        ax.legend(fontsize=8)
        fig.tight_layout()
        f = f"metrics-{slug}.png"
        fig.savefig(out / f, dpi=110)
        plt.close(fig)
        files.append(f)

        fig, ax = plt.subplots(figsize=(9, 4.5))
        data = [[r["latency_ms"] for r in res["systems"][n]["rows"]] for n in names]
        ax.boxplot(data, showfliers=False)
        ax.set_xticks(range(1, len(names) + 1), names, rotation=15)
        ax.set_ylabel("ms per query (incl. query embedding)")
        ax.set_title(f"{sec_name}: latency distribution")
        fig.tight_layout()
        f = f"latency-{slug}.png"
        fig.savefig(out / f, dpi=110)
        plt.close(fig)
        files.append(f)

        # Both halves side by side, retrieval and answer-level figures (dev hatched).
        keys = ["recall@5", "ndcg@10", "answer_f1", "contains_short", "cites_gold", "answered"]
        fig, ax = plt.subplots(figsize=(11, 4.8))
        bars = [(n, h) for n in names for h in HALVES if res["systems"][n].get("halves")]
        width = 0.8 / max(1, len(bars))
        x = np.arange(len(keys))
        for i, (n, h) in enumerate(bars):
            m = res["systems"][n]["halves"][h]
            vals = [(m.get("refusal", {}).get("answered_answerable") if k == "answered" else m.get(k)) for k in keys]
            vals = [0.0 if v is None or (isinstance(v, float) and math.isnan(v)) else v for v in vals]
            ax.bar(x + i * width, vals, width, label=f"{n} {h}", hatch="//" if h == "dev" else None,
                   color=f"C{names.index(n)}", edgecolor="white")
        ax.set_xticks(x + width * (len(bars) - 1) / 2, keys)
        ax.set_ylim(0, 1)
        ax.set_title(f"{sec_name}: by half (dev hatched) and system")
        ax.legend(fontsize=7, ncol=2)
        fig.tight_layout()
        f = f"halves-{slug}.png"
        fig.savefig(out / f, dpi=110)
        plt.close(fig)
        files.append(f)
    return files


def write_report(
    sections: dict[str, dict[str, Any]], out: Path, *, title: str, ours: Sequence[str], baselines: Sequence[str],
    preamble: str = "", meta: dict[str, Any] | None = None,
) -> Path:
    """results.json + report.md + charts in ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    payload = {"title": title, "meta": meta or {}, "sections": sections}
    (out / "results.json").write_text(json.dumps(payload, indent=1, default=str))
    pngs = charts(sections, out)
    md = [f"# {title}", ""]
    if preamble:
        md += [preamble, ""]
    for name, res in sections.items():
        md.append(section_markdown(name, res, ours, baselines))
    md += ["## Charts", ""] + [f"![{p}]({p})" for p in pngs] + [""]
    (out / "report.md").write_text("\n".join(md))
    return out / "report.md"


# ------------------------------------------------------------------------------------------
# Wiring: index cache, systems
# ------------------------------------------------------------------------------------------
def open_services(data_dir: Path, **overrides: Any) -> Any:
    from copilot.core.services import build_services
    from copilot.core.settings import load_settings

    return build_services(load_settings(data_dir=data_dir, **overrides))


INDEX_SETTINGS = ("chunk_tokens", "chunk_overlap_tokens", "pii_detection", "pii_strict", "embed_model_path",
                  "embed_precision", "store")


def index_key(corpus: Path, manifest: Path | None, settings: Any) -> str:
    """Content hash of the corpus files and manifest plus every setting that shapes the index."""
    from ingestion.pipeline import PIPELINE_VERSION

    h = hashlib.sha256(f"pipeline={PIPELINE_VERSION}".encode())
    for name in INDEX_SETTINGS:
        h.update(f"|{name}={getattr(settings, name, None)}".encode())
    if getattr(settings, "pii_detection", False):
        # The detector's code and word lists shape the stored spans and the redacted text.
        import guardrails.pii

        pii_root = Path(guardrails.pii.__file__).parent
        for p in sorted(pii_root.rglob("*")):
            if p.is_file() and p.suffix in {".py", ".txt", ".json", ".yaml"}:
                h.update(hashlib.sha256(p.read_bytes()).digest())
    files = sorted(p for p in corpus.rglob("*") if p.is_file())
    if manifest is not None and manifest.is_file() and manifest not in files:
        files.append(manifest)
    for p in files:
        h.update(str(p.relative_to(corpus) if p.is_relative_to(corpus) else p).encode())
        h.update(hashlib.sha256(p.read_bytes()).digest())
    return h.hexdigest()[:16]


def ingest(services: Any, corpus: Path, manifest: Path | None, progress: bool = True) -> dict[str, Any]:
    """Ingest once per index key: a finished ingest of the same corpus content and settings is
    reused as is (``--limit`` runs and repeated runs cost no re-ingest)."""
    key = index_key(corpus, manifest, services.settings)
    stamp = services.settings.data_dir / "ingested.json"
    if stamp.is_file():
        done = json.loads(stamp.read_text())
        if done.get("key") == key:
            return {**done.get("report", {}), "reused_index": key}
    rep = services.ingestor.ingest_corpus(corpus, manifest, prune=True, confirm_prune=True, progress=progress).as_dict()
    stamp.write_text(json.dumps({"key": key, "report": rep}, default=str))
    return rep


def default_index_dir(cache_root: Path, corpus: Path, manifest: Path | None, **overrides: Any) -> Path:
    """``cache_root/index-<key>``: one folder per corpus content and index settings."""
    from copilot.core.settings import load_settings

    return cache_root / f"index-{index_key(corpus, manifest, load_settings(**overrides))}"


def build_systems(
    services: Any, modes: Sequence[str], baselines: Sequence[str], texts: DocumentTexts, cache_dir: Path,
    query_handling: bool = True,
) -> tuple[list[System], list[str], list[str]]:
    from evals.systems import LlamaIndexNaive, OurSystem

    retriever = services.retriever
    systems: list[System] = []
    ours: list[str] = []
    for mode in modes:
        if mode == "rerank":
            from retrievers.rerank import load_reranker

            # build_services attaches the configured stage; load one only for a bare retriever.
            reranker = retriever.reranker or load_reranker(services.settings.rerank_model_path, services.embedder)
            assert reranker is not None
            retriever.reranker = reranker
            kind = "cross-encoder" if services.settings.rerank_model_path else "sentence-level rerank (same model)"
            systems.append(OurSystem("rerank", retriever, "hybrid", query_handling=query_handling, rerank=True,
                                     description=f"ours, hybrid + {kind} {reranker.name}",
                                     min_scope_score=services.settings.query_scope_min_score))
        else:
            systems.append(OurSystem(mode, retriever, mode, query_handling=query_handling,
                                     min_scope_score=services.settings.query_scope_min_score))
        ours.append(systems[-1].name)
    names: list[str] = []
    for b in baselines:
        if b == "bm25-plain":
            from evals.systems import PlainBM25

            systems.append(PlainBM25(retriever, texts))
        elif b == "bm25":
            systems.append(OurSystem("bm25-only", retriever, "fulltext", query_handling=False,
                                     description="baseline: our full-text (BM25) index alone, question as asked"))
        elif b == "dense":
            systems.append(OurSystem("dense-only", retriever, "dense", query_handling=False,
                                     description="baseline: our dense index alone, question as asked"))
        elif b == "llamaindex":
            doc_ids = sorted({d for _, d in services.retriever.store.document_hashes()})
            systems.append(LlamaIndexNaive(doc_ids, texts, cache_dir, services.settings.embed_model_path))
        else:
            raise ValueError(f"unknown baseline {b!r} (expected bm25-plain, bm25, dense, llamaindex)")
        names.append(systems[-1].name)
    return systems, ours, names


def run_cuad(args: Any) -> int:
    """``python -m evals.cuad run``: whole pool and ask-this-contract, every mode and baseline."""
    corpus: Path = args.corpus
    data_dir: Path = args.data_dir
    services = open_services(data_dir, chunk_tokens=args.chunk_tokens, chunk_overlap_tokens=args.overlap_tokens,
                             pii_detection=args.pii)
    meta: dict[str, Any] = {"chunk_tokens": services.settings.chunk_tokens,
                            "dense_weight": services.settings.dense_weight,
                            "fulltext_weight": services.settings.fulltext_weight,
                            "doc_evidence_weight": services.settings.doc_evidence_weight,
                            "doc_evidence_decay": services.settings.doc_evidence_decay,
                            "doc_evidence_k": services.settings.doc_evidence_k,
                            "doc_evidence_source": services.settings.doc_evidence_source,
                            "query_scope_min_score": services.settings.query_scope_min_score,
                            "overlap_tokens": services.settings.chunk_overlap_tokens,
                            "pii_detection": services.settings.pii_detection,
                            "embedder": services.embedder.name,
                            "ingest": ingest(services, corpus, corpus / "manifest.yaml")}
    texts = DocumentTexts(corpus, data_dir / "parsed-cache")
    modes = [m for m in args.modes.split(",") if m]
    baselines = [b for b in args.baselines.split(",") if b]
    systems, ours, base = build_systems(services, modes, baselines, texts, data_dir)
    answer_fn = None if getattr(args, "no_answers", False) else make_answer_fn(services)
    primary = ["rerank"] if "rerank" in ours else ["hybrid"]
    sections = {}
    wanted = {x.strip() for x in args.sets.split(",") if x.strip()}  # validated by evals.cuad
    for key, name, file in (("pool", "CUAD whole pool", "evalset.jsonl"),
                            ("scoped", "CUAD ask about this contract", "evalset-scoped.jsonl")):
        if key not in wanted:
            continue
        cases = load_cases(corpus / file, args.limit)
        run_systems = systems
        if file == "evalset-scoped.jsonl":
            # With the scope given, query handling has nothing to do: bm25-only/dense-only would
            # repeat fulltext/dense exactly, so they are left out of this section.
            run_systems = [s for s in systems if s.name not in ("bm25-only", "dense-only")]
        sections[name] = evaluate(cases, run_systems, texts, answer_fn=answer_fn, answer_systems=primary, label=name,
                                  ragas=not getattr(args, "no_ragas", False))
    preamble = (
        "CUAD v1 subset (The Atticus Project, CC BY 4.0): 60 contracts, 1,200 questions (471 answerable). "
        "Metric definitions as in shared/BASELINES.md; gold spans are mapped from file offsets onto the parsed "
        "text. Targets: whole pool R@5 ≥ .60, nDCG@10 ≥ .45; ask-this-contract R@5 ≥ .90, nDCG@10 ≥ .78; refuse "
        "≥ 90% of unanswerable while answering ≥ 90% of answerable.\n\n"
        f"Our index: {services.settings.chunk_tokens}-token chunks with {services.settings.chunk_overlap_tokens} "
        "tokens overlap (the published baselines use 250-word chunks, about 330 tokens); chunks longer than the "
        "model's 256-token window are embedded as pooled sub-windows. Chunk sizes compared in chunk-sweep.md. "
        "The naive LlamaIndex baseline keeps its own defaults (1024-token chunks). Ragas' non-LLM context "
        "precision/recall compare each retrieved chunk with the gold excerpt by string similarity, so they fall "
        "as chunks grow longer than the excerpts: compare them only at equal chunk size; the passage-overlap "
        "metrics (recall@k, MRR, nDCG) are the ones defined in BASELINES.md."
    )
    write_report(sections, args.out, title="CUAD contract benchmark", ours=ours, baselines=base, preamble=preamble,
                 meta=meta)
    print(f"report: {args.out / 'report.md'}")
    return check_gaps(sections, ours, getattr(args, "max_half_gap", 0.03))


def run_cuad_sweep(corpus: Path, sizes: Sequence[tuple[int, int]], out: Path) -> int:
    """``python -m evals.cuad sweep``: hybrid retrieval by chunk size on both CUAD case sets."""
    rows: list[dict[str, Any]] = []
    for tokens, overlap in sizes:
        data_dir = Path(f".data/cuad/index-c{tokens}-o{overlap}-pii0")
        services = open_services(data_dir, chunk_tokens=tokens, chunk_overlap_tokens=overlap, pii_detection=False)
        ingest(services, corpus, corpus / "manifest.yaml")
        texts = DocumentTexts(corpus, data_dir / "parsed-cache")
        systems, _, _ = build_systems(services, ["hybrid"], [], texts, data_dir)
        n_chunks = sum(len(chunks) for chunks, _ in services.retriever.store.iter_all())
        for name, file in (("whole pool", "evalset.jsonl"), ("ask about this contract", "evalset-scoped.jsonl")):
            cases = [c for c in load_cases(corpus / file) if c.answerable]
            res = evaluate(cases, systems, texts, ragas=False, label=f"c{tokens} {name}")
            summ = res["systems"]["hybrid"]["summary"]
            rows.append({"chunk_tokens": tokens, "overlap_tokens": overlap, "chunks": n_chunks, "set": name,
                         **{k: summ[k] for k in ("recall@1", "recall@5", "recall@10", "mrr@10", "ndcg@10",
                                                 "latency_p50_ms")}})
    out.mkdir(parents=True, exist_ok=True)
    (out / "chunk-sweep.json").write_text(json.dumps(rows, indent=1))
    md = [
        "# CUAD: hybrid retrieval by chunk size",
        "",
        "471 answerable questions per set; metrics as in report.md. Generated by `python -m evals.cuad sweep`. "
        "Chunks longer than the embedding model's 256-token window are embedded as pooled sub-windows. "
        "For scale: the published baselines use 250-word chunks (about 330 tokens).",
        "",
        table(["set", "chunk tokens", "overlap", "chunks", "R@1", "R@5", "R@10", "MRR@10", "nDCG@10", "p50 ms"],
              [[r["set"], str(r["chunk_tokens"]), str(r["overlap_tokens"]), str(r["chunks"]), _f(r["recall@1"]),
                _f(r["recall@5"]), _f(r["recall@10"]), _f(r["mrr@10"]), _f(r["ndcg@10"]),
                _f(r["latency_p50_ms"], 1)] for r in rows]),
        "",
    ]
    (out / "chunk-sweep.md").write_text("\n".join(md))
    print(f"report: {out / 'chunk-sweep.md'}")
    return 0


def check_gaps(sections: dict[str, dict[str, Any]], ours: Sequence[str], max_gap: float) -> int:
    """Print every dev/test gap above ``max_gap`` and every leak; the exit status for the run."""
    import sys

    status = 0
    for name, res in sections.items():
        for g in half_gaps(res, ours, max_gap):
            print(f"half gap: {name}: {g}", file=sys.stderr)
            status = 3
        n = sum(s["summary"]["leaks"] for sn, s in res["systems"].items() if sn != "llamaindex")
        if n:
            print(f"leaks: {name}: {n} forbidden documents returned", file=sys.stderr)
            status = 1
    if status == 3:
        print(f"error: quality differs by more than {max_gap:.2f} between the dev and test halves "
              "(figures above); the split or the parameters do not generalise", file=sys.stderr)
    return status


def run_set(
    *, name: str, corpus: Path | None, sets: dict[str, Path], out: Path, data_dir: Path | None, cache_root: Path,
    modes: str | Sequence[str], baselines: str | Sequence[str], limit: int | None = None, answers: bool = True,
    max_half_gap: float = 0.03, title: str = "", preamble: str = "", manifest: Path | None = None,
    query_handling: bool = True, progress: bool = True, ragas: bool = True, **overrides: Any,
) -> int:
    """Ingest ``corpus`` (cached by content and settings), evaluate each named case file, write the
    report; non-zero when a leak occurs or a quality figure differs between halves by more than
    ``max_half_gap``."""
    if corpus is not None:
        manifest = manifest or (corpus / "manifest.yaml")
    elif data_dir is None:
        raise ValueError("an index folder (--data-dir) is needed when no corpus is given")
    mode_list = [m for m in (modes.split(",") if isinstance(modes, str) else modes) if m]
    base_list = [b for b in (baselines.split(",") if isinstance(baselines, str) else baselines) if b]
    if data_dir is None:
        assert corpus is not None
        data_dir = default_index_dir(cache_root, corpus, manifest, **overrides)
    services = open_services(data_dir, **overrides)
    meta: dict[str, Any] = {"sets": {k: str(v) for k, v in sets.items()}, "corpus": str(corpus) if corpus else None,
                            "chunk_tokens": services.settings.chunk_tokens,
                            "overlap_tokens": services.settings.chunk_overlap_tokens,
                            "pii_detection": services.settings.pii_detection,
                            "dense_weight": services.settings.dense_weight,
                            "fulltext_weight": services.settings.fulltext_weight,
                            "doc_evidence_weight": services.settings.doc_evidence_weight,
                            "doc_evidence_decay": services.settings.doc_evidence_decay,
                            "doc_evidence_k": services.settings.doc_evidence_k,
                            "doc_evidence_source": services.settings.doc_evidence_source,
                            "embedder": services.embedder.name, "index": str(data_dir)}
    if corpus is not None:
        meta["ingest"] = ingest(services, corpus, manifest, progress)
    texts = DocumentTexts(corpus, data_dir / "parsed-cache")
    systems, ours, base = build_systems(services, mode_list, base_list, texts, data_dir, query_handling)
    answer_fn = make_answer_fn(services) if answers else None
    primary = ["rerank"] if "rerank" in ours else (["hybrid"] if "hybrid" in ours else ours[:1])
    sections = {}
    for sec, file in sets.items():
        cases = load_cases(file, limit)
        sections[sec] = evaluate(cases, systems, texts, answer_fn=answer_fn, answer_systems=primary,
                                 progress=progress, label=sec, ragas=ragas)
    write_report(sections, out, title=title or name, ours=ours, baselines=base, preamble=preamble, meta=meta)
    print(f"report: {out / 'report.md'}")
    for sec, res in sections.items():
        for sname, s in res["systems"].items():
            m = s["summary"]
            print(f"{sec} {sname:12s} R@5 {m['recall@5']:.3f}  nDCG@10 {m['ndcg@10']:.3f}  "
                  + "  ".join(f"{h} {s['halves'][h]['recall@5']:.3f}/{s['halves'][h]['ndcg@10']:.3f}"
                              for h in HALVES if s['halves'][h].get('scored_cases')))
    return check_gaps(sections, ours, max_half_gap)
