"""Choose the extractive refusal rule on the dev halves only, then report both halves.

``python -m evals.calibrate_refusal --rows DIR [DIR ...]`` reads per-case rows written by
``python -m evals.answer_eval --no-refusal`` (every case answered when it could be, with the
answerer's refusal signals: best unit score, coverage of the question's content words, retrieval
margin, the best unit's lead over the unit ranked ``PEAK_RANK``) and searches the rule of
``copilot.answering.answerer.should_refuse``:

    refuse when score < min_confidence, or coverage < min_coverage,
    or idf_coverage < min_idf_coverage (coverage weighted by how distinctive each question word is
    in the asker's own index), or
    score + margin_weight * margin + peak_weight * peak < min_confidence + margin_floor

Objective on the dev halves of every set together: the mean of refused-unanswerable and
answered-answerable (balanced accuracy) over sets with both kinds, subject to answering at least
``--min-answered`` of the answerable questions of each set. Test halves are only reported.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from evals.splits import HALVES


def refuse(row: dict[str, Any], p: dict[str, float]) -> bool:
    sig = row.get("signals")
    if row["refused"] and not sig:
        return True  # refused before scoring (nothing to read, or a named identifier is missing)
    if not sig:
        return True
    combined = sig["score"] + p["margin_weight"] * sig["margin"] + p["peak_weight"] * sig.get("peak", 0.0)
    return bool(sig["score"] < p["min_confidence"] or sig["coverage"] < p["min_coverage"]
                or sig.get("idf_coverage", 1.0) < p.get("min_idf_coverage", 0.0)
                or combined < p["min_confidence"] + p["margin_floor"])


def figures(rows: list[dict[str, Any]], p: dict[str, float]) -> dict[str, Any]:
    ans = [r for r in rows if r["answerable"]]
    unans = [r for r in rows if not r["answerable"]]
    answered = [r for r in ans if not refuse(r, p)]
    out: dict[str, Any] = {"answerable": len(ans), "unanswerable": len(unans)}
    out["answered_answerable"] = len(answered) / len(ans) if ans else None
    out["refused_unanswerable"] = sum(refuse(r, p) for r in unans) / len(unans) if unans else None
    out["cites_gold"] = sum(r["cites_gold"] for r in answered) / len(answered) if answered else None
    out["token_f1"] = sum(r["token_f1"] for r in answered) / len(answered) if answered else None
    shorts = [r for r in answered if r.get("contains_short") is not None]
    out["contains_short"] = sum(r["contains_short"] for r in shorts) / len(shorts) if shorts else None
    return out


GRID = {
    "min_confidence": [round(0.30 + 0.02 * i, 2) for i in range(21)],
    "min_coverage": [0.0, 0.1, 0.2, 0.3, 0.4, 0.5],
    "margin_weight": [0.0, 0.2, 0.4],
    "peak_weight": [0.0, 0.5, 1.0, 2.0],
    "margin_floor": [0.0, 0.02, 0.04, 0.08, 0.12],
    "min_idf_coverage": [0.0, 0.1, 0.2, 0.3, 0.4],
}


def _arrays(rows: list[dict[str, Any]]) -> dict[str, np.ndarray]:
    """The rows' signals as columns (rows refused before scoring, with no signals, get a score no
    rule accepts)."""
    cols: dict[str, list[float]] = {k: [] for k in ("score", "coverage", "margin", "peak", "idf_coverage")}
    for r in rows:
        sig = r.get("signals") or {}
        for k in cols:
            default = 1.0 if k == "idf_coverage" else 0.0
            cols[k].append(float(sig.get(k, default)) if sig else (-1e9 if k == "score" else 0.0))
    out = {k: np.asarray(v) for k, v in cols.items()}
    out["answerable"] = np.asarray([bool(r["answerable"]) for r in rows])
    return out


def _refused(a: dict[str, np.ndarray], p: dict[str, float]) -> np.ndarray:
    """:func:`refuse` over all rows at once."""
    combined = a["score"] + p["margin_weight"] * a["margin"] + p["peak_weight"] * a["peak"]
    return ((a["score"] < p["min_confidence"]) | (a["coverage"] < p["min_coverage"])
            | (a["idf_coverage"] < p["min_idf_coverage"]) | (combined < p["min_confidence"] + p["margin_floor"]))


def calibrate(sets: dict[str, list[dict[str, Any]]], min_answered: float,
              min_answered_set: dict[str, float] | None = None) -> tuple[dict[str, float], float]:
    """The rule with the best dev objective; ``min_answered_set`` raises the answered floor of
    named sets (e.g. keep a set that has no unanswerable questions at its current answered share)."""
    floors = min_answered_set or {}
    dev = {name: _arrays([r for r in rows if r["half"] == "dev"]) for name, rows in sets.items()}
    best: tuple[float, dict[str, float]] | None = None
    for values in itertools.product(*GRID.values()):
        p = dict(zip(GRID, values, strict=True))
        if p["margin_weight"] == 0.0 and p["peak_weight"] == 0.0 and p["margin_floor"] > 0.0:
            continue
        objs, ok = [], True
        for name, a in dev.items():
            refused = _refused(a, p)
            ans, unans = a["answerable"], ~a["answerable"]
            answered = float((~refused[ans]).mean()) if ans.any() else None
            if answered is not None and answered < max(min_answered, floors.get(name, 0.0)):
                ok = False
                break
            if answered is not None and unans.any():
                objs.append((float(refused[unans].mean()) + answered) / 2)
        if not ok:
            continue
        obj = sum(objs) / len(objs) if objs else 0.0
        if best is None or obj > best[0] + 1e-9:
            best = (obj, p)
    if best is None:
        raise SystemExit("no rule answers enough on every dev half; lower --min-answered")
    return best[1], best[0]


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m evals.calibrate_refusal", description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=Path, nargs="+", required=True, help="answer_eval output folders")
    ap.add_argument("--min-answered", type=float, default=0.88)
    ap.add_argument("--min-answered-set", action="append", default=[], metavar="SET=SHARE",
                    help="a higher answered floor for one set's dev half, e.g. docs=0.97 (repeatable)")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)
    floors: dict[str, float] = {}
    for item in args.min_answered_set:
        name, sep, value = item.partition("=")
        try:
            floors[name] = float(value)
        except ValueError:
            sep = ""
        if not sep:
            print(f"--min-answered-set expects SET=SHARE, got {item!r}", file=sys.stderr)
            return 2
    sets: dict[str, list[dict[str, Any]]] = {}
    for d in args.rows:
        for f in sorted(d.glob("*-rows.json")):
            sets[f.name.removesuffix("-rows.json")] = json.loads(f.read_text())
    p, obj = calibrate(sets, args.min_answered, floors)
    res = {"rule": p, "dev_objective": obj, "min_answered": args.min_answered, "min_answered_set": floors,
           "figures": {name: {h: figures([r for r in rows if r["half"] == h], p) for h in HALVES}
                       for name, rows in sets.items()}}
    print(json.dumps(res, indent=1))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(res, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
