"""General retrieval methods on top of hybrid RRF, chosen on the dev halves: ``python -m evals.tune_ret``.

Each case's dense and full-text candidate lists are fetched once with the product's query handling
and scope (as ``evals.tune``), plus the extra lists that feedback methods need (each from a store
query carrying the same access filter), and kept in ``--cache``. Every method of the grid then ranks
the same candidates offline:

- ``rrf``: the product's weighted reciprocal rank fusion (the reference);
- ``sum-minmax`` / ``sum-z``: score fusion, each list's scores min-max or z-score normalised over its
  candidates, weighted as the RRF weights;
- ``neighbour``: a chunk's fused score gains ``alpha`` x the best fused score of its adjacent chunks
  (same document, position +-1) among the candidates;
- ``section``: the same with the best other candidate of its section (same document and section path);
- ``prf-dense``: the dense list searched again with the query vector moved toward the mean vector of
  the top ``m`` fused chunks (Rocchio, weight ``beta``);
- ``prf-text``: the full-text list searched again with ``t`` expansion terms from the top ``m``
  full-text hits (RM3-style: term weight = sum over those hits of the term's share of the hit x its
  IDF among the candidates); ``+KEY wW``: a feedback list fused as a third list of weight ``W``;
- ``rrf-mnz``: CombMNZ on RRF (the fused score times the number of lists holding the chunk);
  ``rrf depthD``: each list fused from its first ``D`` candidates only.

The objective is the mean over sets of (R@5 + nDCG@10) / 2 on the dev half. A method is kept only
when it raises one set's dev objective by more than one question's share and lowers no set's dev
R@5 or nDCG@10; the test halves are scored only for the report.
"""

from __future__ import annotations

import argparse
import json
import math
import pickle
import re
import sys
from collections import Counter
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from evals.dataset import resolve_gold
from evals.metrics import Item, case_metrics, count_relevant, mean
from evals.splits import HALVES, half_of
from evals.tune import floor, open_set

PRF_DENSE = [(m, b) for m in (3, 5) for b in (0.25, 0.5, 1.0)] + [(m, b) for m in (5, 8, 10) for b in (0.1, 0.15)]
PRF_DENSE += [(8, 0.25), (10, 0.25)]
PRF_TEXT = [(m, t) for m in (3, 5) for t in (5, 10)]
_WORD = re.compile(r"[a-z][a-z0-9_-]{2,}")


def expansion_terms(query: str, hits: list[Any], m: int, t: int, stop: set[str]) -> list[str]:
    """The ``t`` best terms of the top ``m`` hits: summed in-hit share x IDF over all the hits given
    (the candidates of the same filtered query), none of the query's."""
    seen = set(_WORD.findall(query.lower()))
    bags = [Counter(w for w in _WORD.findall(h.chunk.index_text.lower()) if w not in stop) for h in hits]
    df: Counter[str] = Counter(w for bag in bags for w in bag)
    weight: dict[str, float] = {}
    for bag in bags[:m]:
        size = sum(bag.values())
        for w, n in bag.items():
            if w not in seen and size:
                weight[w] = weight.get(w, 0.0) + n / size * math.log(1 + len(bags) / df[w])
    return sorted(weight, key=lambda w: -weight[w])[:t]


def fetch(ts: Any, cases: list, n: int, vectors: dict[str, np.ndarray], stop: set[str],
          have: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """Per case: the dense and full-text lists and the feedback lists, all under the case's filter
    (``have``: rows fetched before; only their missing lists are searched)."""
    from retrievers.access import access_filter
    from retrievers.embeddings import model_lexicon
    from retrievers.query import MentionScoper, QueryPlan, ranking_text
    from retrievers.retriever import rrf_fuse

    services = ts.services
    scoper = MentionScoper(services.store, ttl=float("inf"), min_scope_score=services.settings.query_scope_min_score,
                           lexicon=model_lexicon(services.embedder))
    weights = services.retriever.weights
    out = []
    for i, c in enumerate(cases):
        old = have[i] if have else {}
        plan = (QueryPlan(query=c.question, text=c.question, doc_ids=c.doc_scope) if c.doc_scope is not None
                else scoper.plan(c.question, c.principal))
        flt = access_filter(c.principal, None, plan.doc_ids)
        text = ranking_text(plan.text)
        vec = services.embedder.encode([text])[0]
        lists = old.get("lists") or {"dense": services.store.dense_search(vec, flt, n),
                                     "fulltext": services.store.text_search(text, flt, n)}
        fused = rrf_fuse(lists, k=services.settings.rrf_k, weights=weights)
        row: dict[str, Any] = {**old, "lists": lists}
        for m, b in PRF_DENSE:
            if f"prf-dense m{m} b{b:g}" in row:
                continue
            top = [vectors[h.chunk.chunk_id] for h in fused[:m] if h.chunk.chunk_id in vectors]
            q = np.asarray(vec, dtype=np.float32)
            if top:
                q = q + b * np.mean(top, axis=0)
                q = q / (np.linalg.norm(q) or 1.0)
            row[f"prf-dense m{m} b{b:g}"] = services.store.dense_search(q, flt, n)
        for m, t in PRF_TEXT:
            if f"prf-text m{m} t{t}" in row:
                continue
            terms = expansion_terms(text, lists["fulltext"], m, t, stop)
            row[f"prf-text m{m} t{t}"] = services.store.text_search(" ".join([text, *terms]), flt, n)
        out.append(row)
    return out


def _norm(hits: list[Any], how: str) -> dict[str, float]:
    if not hits:
        return {}
    s = np.array([h.score for h in hits], dtype=np.float64)
    if how == "minmax":
        lo, hi = float(s.min()), float(s.max())
        z = (s - lo) / (hi - lo) if hi > lo else np.ones_like(s)
    else:
        sd = float(s.std())
        z = (s - s.mean()) / sd if sd > 0 else np.zeros_like(s)
        z = z - z.min()  # absent from a list = its worst candidate's score
    return {h.chunk.chunk_id: float(v) for h, v in zip(hits, z, strict=True)}


def score_fuse(lists: dict[str, list[Any]], weights: dict[str, float], how: str) -> list[Any]:
    from retrievers.schema import ScoredChunk

    chunks: dict[str, Any] = {}
    total: dict[str, float] = {}
    for name, hits in lists.items():
        for cid, v in _norm(hits, how).items():
            total[cid] = total.get(cid, 0.0) + weights.get(name, 1.0) * v
        for h in hits:
            chunks.setdefault(h.chunk.chunk_id, h.chunk)
    return sorted((ScoredChunk(chunk=chunks[c], score=s, source="hybrid") for c, s in total.items()),
                  key=lambda h: h.score, reverse=True)


def context_rerank(fused: list[Any], alpha: float, by: str) -> list[Any]:
    from retrievers.schema import ScoredChunk

    score = {h.chunk.chunk_id: h.score for h in fused}
    if by == "neighbour":
        at = {(h.chunk.tenant_id, h.chunk.doc_id, h.chunk.position): h.score for h in fused}

        def bonus(h: Any) -> float:
            c = h.chunk
            return max(at.get((c.tenant_id, c.doc_id, c.position + d), 0.0) for d in (-1, 1))
    else:
        groups: dict[tuple, list[float]] = {}
        for h in fused:
            groups.setdefault((h.chunk.tenant_id, h.chunk.doc_id, tuple(h.chunk.section_path)), []).append(h.score)

        def bonus(h: Any) -> float:
            others = sorted(groups[(h.chunk.tenant_id, h.chunk.doc_id, tuple(h.chunk.section_path))], reverse=True)
            # the best other member of the section (the chunk itself excluded once)
            rest = list(others)
            rest.remove(score[h.chunk.chunk_id])
            return rest[0] if rest else 0.0
    out = [ScoredChunk(chunk=h.chunk, score=h.score + alpha * bonus(h), source=h.source) for h in fused]
    return sorted(out, key=lambda h: h.score, reverse=True)


Rank = Callable[[dict[str, Any]], list[Any]]


def methods(k_rrf: int, weights: dict[str, float]) -> dict[str, Rank]:
    from retrievers.retriever import rrf_fuse

    def rrf(row: dict[str, Any], dense: str = "dense", text: str = "fulltext", third: str = "",
            w3: float = 0.0) -> list[Any]:
        ls = {"dense": row[dense] if dense in row else row["lists"][dense],
              "fulltext": row[text] if text in row else row["lists"][text]}
        if third:
            ls["third"] = row[third]
        return rrf_fuse(ls, k=k_rrf, weights={**weights, "third": w3})

    def summed(row: dict[str, Any], how: str, w: dict[str, float]) -> list[Any]:
        return score_fuse(row["lists"], w, how)

    def context(row: dict[str, Any], alpha: float, by: str) -> list[Any]:
        return context_rerank(rrf(row), alpha, by)

    def mnz(row: dict[str, Any]) -> list[Any]:
        return sorted(rrf(row), key=lambda h: h.score * len(h.ranks), reverse=True)

    def depth(row: dict[str, Any], d: int) -> list[Any]:
        return rrf_fuse({n: hs[:d] for n, hs in row["lists"].items()}, k=k_rrf, weights=weights)

    out: dict[str, Rank] = {"rrf": rrf}
    for how in ("minmax", "z"):
        for wf in (1.0, 1.5, 2.0, 3.0):
            out[f"sum-{how} 1:{wf:g}"] = partial(summed, how=how, w={"dense": 1.0, "fulltext": wf})
    for by in ("neighbour", "section"):
        for a in (0.1, 0.25, 0.5):
            out[f"{by} a{a:g}"] = partial(context, alpha=a, by=by)
    for m, b in PRF_DENSE:
        out[f"prf-dense m{m} b{b:g}"] = partial(rrf, dense=f"prf-dense m{m} b{b:g}")
    for m, t in PRF_TEXT:
        out[f"prf-text m{m} t{t}"] = partial(rrf, text=f"prf-text m{m} t{t}")
    # the feedback list as a third fused list beside both originals
    for key in ("prf-dense m5 b0.25", "prf-dense m5 b0.5", "prf-text m3 t5", "prf-text m3 t10"):
        for w3 in (0.5, 1.0):
            out[f"+{key} w{w3:g}"] = partial(rrf, third=key, w3=w3)
    for a in (0.03, 0.05):
        out[f"neighbour a{a:g}"] = partial(context, alpha=a, by="neighbour")
    # CombMNZ on RRF: a chunk found by both lists counts its fused score twice.
    out["rrf-mnz"] = mnz
    # Each list fused from its first ``d`` candidates only (a deep rank adds noise, not evidence).
    for d in (10, 20, 30):
        out[f"rrf depth{d}"] = partial(depth, d=d)
    return out


def evaluate(rows: list[dict[str, Any]], golds: list, ranges: dict,
             rank: Callable[[dict[str, Any]], list[Any]]) -> dict:
    per = []
    for row, gold in zip(rows, golds, strict=True):
        items = [Item(h.chunk.doc_id, h.chunk.char_start, h.chunk.char_end) for h in rank(row)[:10]]
        per.append(case_metrics(items, gold, count_relevant(ranges, gold)))
    return {"recall@5": mean(r["recall@5"] for r in per), "ndcg@10": mean(r["ndcg@10"] for r in per), "n": len(per)}


def _obj(m: dict) -> float:
    return (m["recall@5"] + m["ndcg@10"]) / 2


def verdict(per_set: dict[str, dict[str, Any]], key: str) -> tuple[bool, str]:
    """Kept when some set's dev objective rises by more than one question's share and no set's dev
    R@5 or nDCG@10 falls (nor below plain BM25)."""
    rises, drops = [], []
    for s, halves in per_set.items():
        dev, ref, bm = halves["dev"][key], halves["dev"]["rrf"], halves["dev"]["bm25-plain"]
        for metric in ("recall@5", "ndcg@10"):
            if dev[metric] < ref[metric] - 1e-9 or dev[metric] < bm[metric] - 1e-9:
                drops.append(f"{s} {metric}")
        if _obj(dev) - _obj(ref) > 1.0 / max(1, dev["n"]) / 2:
            rises.append(s)
    why = ("drops: " + ", ".join(drops)) if drops else ("rises: " + ", ".join(rises)) if rises else "no rise"
    return bool(rises) and not drops, why


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m evals.tune_ret", description=__doc__.splitlines()[0])
    ap.add_argument("sets", nargs="+", help="NAME=CASES_JSONL:CORPUS_DIR[:INDEX_DIR]")
    ap.add_argument("--out", type=Path, default=Path("reports/tuning"))
    ap.add_argument("--cache", type=Path, default=Path(".data/tune-ret"))
    args = ap.parse_args(argv)
    from evals.run import table

    per_set: dict[str, dict[str, Any]] = {}
    for spec in args.sets:
        ts = open_set(spec)
        services = ts.services
        weights = services.retriever.weights
        grid = methods(services.settings.rrf_k, weights)
        per_set[ts.name] = {}
        vectors: dict[str, np.ndarray] | None = None
        for h in HALVES:
            hc = [c for c in ts.cases if half_of(c.doc_key) == h]
            golds = [resolve_gold(c, ts.texts) for c in hc]
            cache = args.cache / f"{ts.name}-{h}-{ts.index.name}.pkl"
            rows = []
            if cache.exists():
                rows, bm25 = pickle.loads(cache.read_bytes())
            wanted = {f"prf-dense m{m} b{b:g}" for m, b in PRF_DENSE} | {f"prf-text m{m} t{t}" for m, t in PRF_TEXT}
            if rows and any(wanted - set(r) for r in rows):
                if vectors is None:
                    vectors = {c.chunk_id: v for chunks, vecs in services.store.iter_all() for c, v in
                               zip(chunks, vecs, strict=True)}
                rows = fetch(ts, hc, services.settings.candidates, vectors, _stop_words(), have=rows)
                cache.write_bytes(pickle.dumps((rows, bm25)))
            elif not rows:
                if vectors is None:
                    vectors = {c.chunk_id: v for chunks, vecs in services.store.iter_all() for c, v in
                               zip(chunks, vecs, strict=True)}
                stop = _stop_words()
                rows = fetch(ts, hc, services.settings.candidates, vectors, stop)
                bm25 = floor(services, hc, golds, ts.texts)
                cache.parent.mkdir(parents=True, exist_ok=True)
                cache.write_bytes(pickle.dumps((rows, bm25)))
            per_set[ts.name][h] = {key: evaluate(rows, golds, ts.ranges, rank) for key, rank in grid.items()}
            per_set[ts.name][h]["bm25-plain"] = bm25
            print(ts.name, h, json.dumps(per_set[ts.name][h]["rrf"]), file=sys.stderr)

    keys = list(next(iter(per_set.values()))["dev"])
    keys.remove("bm25-plain")
    args.out.mkdir(parents=True, exist_ok=True)
    verdicts = {k: verdict(per_set, k) for k in keys if k != "rrf"}
    (args.out / "methods.json").write_text(json.dumps({"sets": per_set, "verdicts": verdicts}, indent=1))
    rows_md = []
    for key in [*keys, "bm25-plain"]:
        dev_obj = mean(_obj(per_set[s]["dev"][key]) for s in per_set)
        kept, why = verdicts.get(key, (False, "reference"))
        row = [key, f"{dev_obj:.4f}", ("**kept** " if kept else "") + (why if key != "bm25-plain" else "–")]
        for s in per_set:
            for h in HALVES:
                m = per_set[s][h][key]
                row.append(f"{m['recall@5']:.3f} / {m['ndcg@10']:.3f}")
        rows_md.append(row)
    hdr = ["method", "dev objective", "verdict"] + [f"{s} {h} R@5 / nDCG@10" for s in per_set for h in HALVES]
    md = ["# General retrieval methods over hybrid RRF, chosen on the dev halves", "",
          "Generated by `python -m evals.tune_ret` (method definitions in its docstring). Same candidates for every "
          "method (50 a side, the product's query handling); objective: mean over sets of (R@5 + nDCG@10) / 2 on "
          "the dev half. Kept only if some set's dev objective rises by more than one question's share and no set's "
          "dev R@5 or nDCG@10 falls; test halves only reported.", "", table(hdr, rows_md), ""]
    (args.out / "methods.md").write_text("\n".join(md))
    print("kept:", [k for k, (ok, _) in verdicts.items() if ok])
    return 0


def _stop_words() -> set[str]:
    from retrievers.query import _AUXILIARY, _FUNCTION

    return set(_FUNCTION) | set(_AUXILIARY)


if __name__ == "__main__":
    sys.exit(main())
