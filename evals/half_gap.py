"""Is a dev/test gap of an answer figure a shift or the luck of which documents fell in each half?

``python -m evals.half_gap --rows DIR [--set cuad] [--out FILE]`` reads the per-case rows that
``python -m evals.answer_eval`` writes (``<set>-rows.json``) and reports, per figure of
``evals.answer_eval.ANSWER_KEYS`` that both halves have:

- each half's figure and how many questions it rests on;
- the spread of the figure across the half's documents (one contract answers or refuses most of
  its questions alike, so the documents, not the questions, are the units of chance);
- a bootstrap by document of the dev - test gap (documents of each half drawn with replacement,
  every question of a drawn document kept): its 95% interval;
- a permutation test: the documents reshuffled between two halves of the same sizes; ``p`` is the
  share of reshuffles with a gap at least as large as the observed one.

A gap whose interval holds 0 and whose ``p`` is large is what reshuffling the documents gives: the
halves are too small to tell it from a shift, whatever the .03 criterion says.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from evals.answer_eval import ANSWER_KEYS, _summary


def _docs(rows: Sequence[dict[str, Any]], half: str) -> list[list[dict[str, Any]]]:
    by: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        if r["half"] == half:
            by.setdefault(r["doc"], []).append(r)
    return [by[d] for d in sorted(by)]


def _figure(docs: Sequence[Sequence[dict[str, Any]]], key: str) -> float | None:
    value = _summary([r for d in docs for r in d])[key]
    return None if value is None else float(value)


def gap_test(rows: Sequence[dict[str, Any]], key: str, n: int = 2000, seed: int = 0) -> dict[str, Any] | None:
    """Both halves' ``key`` figure, its spread over documents, and the bootstrap interval and
    permutation ``p`` of the dev - test gap (None when a half lacks the figure)."""
    dev, test = _docs(rows, "dev"), _docs(rows, "test")
    a, b = _figure(dev, key), _figure(test, key)
    if a is None or b is None:
        return None
    rng = np.random.default_rng(seed)
    gaps = []
    for _ in range(n):
        da, tb = _figure([dev[i] for i in rng.integers(0, len(dev), len(dev))], key), \
            _figure([test[i] for i in rng.integers(0, len(test), len(test))], key)
        if da is not None and tb is not None:
            gaps.append(da - tb)
    pooled, hits, done = dev + test, 0, 0
    for _ in range(n):
        order = rng.permutation(len(pooled))
        pa = _figure([pooled[i] for i in order[: len(dev)]], key)
        pb = _figure([pooled[i] for i in order[len(dev):]], key)
        if pa is not None and pb is not None:
            done += 1
            hits += abs(pa - pb) >= abs(a - b) - 1e-12
    out: dict[str, Any] = {"dev": round(a, 4), "test": round(b, 4), "gap": round(a - b, 4)}
    for half, docs in (("dev", dev), ("test", test)):
        per = [v for v in (_figure([d], key) for d in docs) if v is not None]
        s = _summary([r for d in docs for r in d])
        out[f"{half}_documents"] = len(docs)
        out[f"{half}_questions"] = {"answerable": s["answerable"], "unanswerable": s["unanswerable"]}
        out[f"{half}_document_sd"] = round(float(np.std(per)), 4) if per else None
    lo, hi = np.percentile(gaps, [2.5, 97.5]) if gaps else (float("nan"), float("nan"))
    out["gap_ci95"] = [round(float(lo), 4), round(float(hi), 4)]
    out["permutation_p"] = round(hits / done, 4) if done else None
    return out


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m evals.half_gap", description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=Path, required=True, help="an answer_eval output folder")
    ap.add_argument("--set", default="cuad")
    ap.add_argument("--samples", type=int, default=2000)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)
    rows = json.loads((args.rows / f"{args.set}-rows.json").read_text())
    res = {key: t for key in ANSWER_KEYS if (t := gap_test(rows, key, args.samples)) is not None}
    print(json.dumps(res, indent=1))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(res, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
