"""Choose the extractive refusal rule on the dev halves only, then report both halves.

One command writes the rows and the rule: ``python -m evals.calibrate_refusal --run --out
reports/answers/refusal-calibration.json`` runs ``python -m evals.answer_eval --no-refusal`` over
CUAD, docs_qa_dev and the demo set (every case answered when it could be, with the answerer's
refusal signals; rows under ``.data/refusal-rows``), then searches the rule of
``copilot.answering.answerer.should_refuse``; ``--rows DIR [DIR ...]`` re-uses written rows:

    refuse when score < min_confidence, or coverage < min_coverage,
    or idf_coverage < min_idf_coverage (coverage weighted by how distinctive each question word is
    in the asker's own index), or
    score + sum of weight * signal < min_confidence + margin_floor, over the signals of ``LINEAR``
    (retrieval margin, the best unit's lead over the unit ranked ``PEAK_RANK``, its z-score among
    the read units, the question's rarest words in it, dense/full-text agreement on its passage,
    the best unit elsewhere; weight 0 leaves a signal out)

Objective on the dev halves of every set together: the mean of refused-unanswerable and
answered-answerable (balanced accuracy) over sets with both kinds, subject to answering at least
``--min-answered`` of the answerable questions of each set. Test halves are only reported, as are
the figures of the product's current rule (``current_*``) for comparison.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from evals.splits import HALVES

# Signals added with a calibrated weight to the best unit's score (``signals[name]``, see
# ``copilot.answering.answerer.should_refuse``): parameter -> signal.
LINEAR = {"margin_weight": "margin", "peak_weight": "peak", "z_weight": "z", "rare_weight": "rare",
          "agree_weight": "agree", "second_weight": "second"}


def refuse(row: dict[str, Any], p: dict[str, float]) -> bool:
    sig = row.get("signals")
    if row["refused"] and not sig:
        return True  # refused before scoring (nothing to read, or a named identifier is missing)
    if not sig:
        return True
    combined = sig["score"] + sum(p.get(k, 0.0) * sig.get(name, 0.0) for k, name in LINEAR.items())
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
    "margin_floor": [0.0, 0.02, 0.04, 0.08, 0.12, 0.16],
    "min_coverage": [0.0, 0.1, 0.2, 0.3],
    "min_idf_coverage": [0.0, 0.1, 0.2, 0.3, 0.4],
    "margin_weight": [0.0, 0.2, 0.4],
    "peak_weight": [0.0, 0.5, 1.0],
    "z_weight": [0.0, 0.02, 0.04],
    "rare_weight": [0.0, 0.05, 0.1],
    "agree_weight": [0.0, 0.05, 0.1],
    "second_weight": [0.0, 0.2, 0.4],
}
# The two thresholds are searched at once for every setting of the others (broadcast).
_INNER = ("min_confidence", "margin_floor")


def _arrays(rows: list[dict[str, Any]]) -> dict[str, np.ndarray]:
    """The rows' signals as columns (rows refused before scoring, with no signals, get a score no
    rule accepts)."""
    names = ("score", "coverage", "idf_coverage", *LINEAR.values())
    cols: dict[str, list[float]] = {k: [] for k in names}
    for r in rows:
        sig = r.get("signals") or {}
        for k in cols:
            default = 1.0 if k == "idf_coverage" else 0.0
            cols[k].append(float(sig.get(k, default)) if sig else (-1e9 if k == "score" else 0.0))
    out = {k: np.asarray(v) for k, v in cols.items()}
    out["answerable"] = np.asarray([bool(r["answerable"]) for r in rows])
    return out


def _refused(a: dict[str, np.ndarray], p: dict[str, float]) -> np.ndarray:
    """:func:`refuse` over all rows at once; thresholds given as arrays broadcast over the rows'
    axis (last)."""
    combined = a["score"] + sum(p.get(k, 0.0) * a[name] for k, name in LINEAR.items())
    mc = np.asarray(p["min_confidence"])[..., None] if np.ndim(p["min_confidence"]) else p["min_confidence"]
    floor = np.asarray(p["margin_floor"])[..., None] if np.ndim(p["margin_floor"]) else p["margin_floor"]
    return ((a["score"] < mc) | (a["coverage"] < p["min_coverage"])
            | (a["idf_coverage"] < p["min_idf_coverage"]) | (combined < mc + floor))


def calibrate(sets: dict[str, list[dict[str, Any]]], min_answered: float,
              min_answered_set: dict[str, float] | None = None,
              grid: dict[str, list[float]] | None = None) -> tuple[dict[str, float], float]:
    """The rule with the best dev objective; ``min_answered_set`` raises the answered floor of
    named sets (e.g. keep a set that has no unanswerable questions at its current answered share).
    Ties go to the rule found first: grid values are listed simplest (weight 0) first."""
    grid = grid or GRID
    floors = min_answered_set or {}
    dev = {name: _arrays([r for r in rows if r["half"] == "dev"]) for name, rows in sets.items()}
    outer = [k for k in grid if k not in _INNER]
    mc_grid, floor_grid = np.meshgrid(grid["min_confidence"], grid["margin_floor"], indexing="ij")
    mcs, fls = mc_grid.ravel(), floor_grid.ravel()
    best: tuple[float, dict[str, float]] | None = None
    for values in itertools.product(*(grid[k] for k in outer)):
        p: dict[str, Any] = dict(zip(outer, values, strict=True))
        # Without a weighted signal the floor only repeats min_confidence: keep floor 0 only.
        ok = fls == 0.0 if all(p.get(k, 0.0) == 0.0 for k in LINEAR) else np.ones_like(fls, dtype=bool)
        p["min_confidence"], p["margin_floor"] = mcs, fls
        objs = np.zeros(len(mcs))
        n_objs = 0
        for name, a in dev.items():
            refused = _refused(a, p)  # (combinations, rows)
            ans, unans = a["answerable"], ~a["answerable"]
            if ans.any():
                answered = (~refused[:, ans]).mean(axis=1)
                ok &= answered >= max(min_answered, floors.get(name, 0.0)) - 1e-12
                if unans.any():
                    objs += (refused[:, unans].mean(axis=1) + answered) / 2
                    n_objs += 1
        if not ok.any():
            continue
        score = np.where(ok, objs / max(n_objs, 1), -1.0)
        i = int(np.argmax(score))
        if best is None or score[i] > best[0] + 1e-9:
            best = (float(score[i]), {**{k: float(v) for k, v in zip(outer, values, strict=True)},
                                      "min_confidence": float(mcs[i]), "margin_floor": float(fls[i])})
    if best is None:
        raise SystemExit("no rule answers enough on every dev half; lower --min-answered")
    return {k: best[1][k] for k in grid}, best[0]


def fit_logistic(sets: dict[str, list[dict[str, Any]]], l2: float = 1.0, iters: int = 200) -> dict[str, float]:
    """The weights of :data:`LINEAR` from a logistic regression "answerable?" over the best unit's
    score and every linear signal, fitted on the dev halves only, with each set weighing the same
    and, within a set, its answerable and unanswerable questions weighing half each (the objective
    is balanced accuracy per set; a set with only answerable questions teaches what not to
    refuse). Each weight is the signal's coefficient over the score's, so the product's rule
    ``score + sum(weight * signal) >= min_confidence + margin_floor`` is the fitted boundary once
    the floor is chosen (:func:`calibrate`). Newton steps with an L2 penalty on standardised
    signals (no intercept penalty)."""
    names = ["score", *LINEAR.values()]
    xs, ys, ws = [], [], []
    for rows in sets.values():
        dev = [r for r in rows if r["half"] == "dev" and r.get("signals")]
        if not dev:
            continue
        pos = [r for r in dev if r["answerable"]]
        neg = [r for r in dev if not r["answerable"]]
        for group in (pos, neg):
            share = (0.5 if pos and neg else 1.0) / max(len(group), 1)
            for r in group:
                xs.append([float(r["signals"].get(n, 0.0)) for n in names])
                ys.append(1.0 if r["answerable"] else 0.0)
                ws.append(share)
    x, y, w = np.asarray(xs), np.asarray(ys), np.asarray(ws)
    mu, sd = x.mean(axis=0), x.std(axis=0)
    sd[sd < 1e-9] = 1.0
    z = np.hstack([np.ones((len(x), 1)), (x - mu) / sd])
    beta = np.zeros(z.shape[1])
    pen = np.full(z.shape[1], l2 / len(sets))
    pen[0] = 0.0
    for _ in range(iters):
        prob = 1.0 / (1.0 + np.exp(-(z @ beta)))
        grad = z.T @ (w * (prob - y)) + pen * beta
        hess = (z * (w * prob * (1 - prob))[:, None]).T @ z + np.diag(pen + 1e-9)
        step = np.linalg.solve(hess, grad)
        beta -= step
        if np.abs(step).max() < 1e-8:
            break
    coef = beta[1:] / sd
    if coef[0] <= 0:
        raise SystemExit("the fitted score coefficient is not positive: no rule of the product's form")
    return {k: round(float(coef[i + 1] / coef[0]), 4) for i, k in enumerate(LINEAR)}


def current_rule() -> dict[str, float]:
    """The product's refusal rule (``Settings`` defaults, ``COPILOT_ANSWER_*`` overrides)."""
    from copilot.core.settings import Settings

    st = Settings()
    return {k: float(getattr(st, f"answer_{k}")) for k in GRID}


def objective(sets: dict[str, list[dict[str, Any]]], p: dict[str, float]) -> float:
    """The dev objective of one rule (floors not checked)."""
    objs = []
    for rows in sets.values():
        f = figures([r for r in rows if r["half"] == "dev"], p)
        if f["answered_answerable"] is not None and f["refused_unanswerable"] is not None:
            objs.append((f["answered_answerable"] + f["refused_unanswerable"]) / 2)
    return sum(objs) / len(objs) if objs else 0.0


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m evals.calibrate_refusal", description=__doc__.splitlines()[0])
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--rows", type=Path, nargs="+", help="answer_eval --no-refusal output folders")
    src.add_argument("--run", action="store_true",
                     help="write the rows first (answer_eval --no-refusal over --sets into --rows-out)")
    ap.add_argument("--sets", default="cuad,docs,demo")
    ap.add_argument("--rows-out", type=Path, default=Path(".data/refusal-rows"))
    ap.add_argument("--min-answered", type=float, default=0.85)
    ap.add_argument("--min-answered-set", action="append", default=None, metavar="SET=SHARE",
                    help="a higher answered floor for one set's dev half (repeatable; default docs=0.97)")
    ap.add_argument("--logistic", action="store_true",
                    help="weights from a logistic regression on the dev halves (fit_logistic); the grid "
                         "then searches only the thresholds and the floor")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)
    floors: dict[str, float] = {}
    for item in args.min_answered_set if args.min_answered_set is not None else ["docs=0.97"]:
        name, sep, value = item.partition("=")
        try:
            floors[name] = float(value)
        except ValueError:
            sep = ""
        if not sep:
            print(f"--min-answered-set expects SET=SHARE, got {item!r}", file=sys.stderr)
            return 2
    started = time.monotonic()
    if args.run:
        from evals.answer_eval import NO_REFUSAL, run

        run([s for s in args.sets.split(",") if s], args.rows_out, **NO_REFUSAL)
    rows_done = time.monotonic()
    sets: dict[str, list[dict[str, Any]]] = {}
    for d in [args.rows_out] if args.run else args.rows:
        for f in sorted(d.glob("*-rows.json")):
            sets[f.name.removesuffix("-rows.json")] = json.loads(f.read_text())
    grid = None
    if args.logistic:
        weights = fit_logistic(sets)
        grid = {**{k: v for k, v in GRID.items() if k not in LINEAR}, **{k: [v] for k, v in weights.items()},
                "min_confidence": [round(0.0 + 0.02 * i, 2) for i in range(36)],
                "margin_floor": [round(-1.0 + 0.01 * i, 2) for i in range(301)]}
    p, obj = calibrate(sets, args.min_answered, floors, grid)
    before = current_rule()
    res = {"rule": p, "dev_objective": obj, "min_answered": args.min_answered, "min_answered_set": floors,
           "figures": {name: {h: figures([r for r in rows if r["half"] == h], p) for h in HALVES}
                       for name, rows in sets.items()},
           "current_rule": before, "current_dev_objective": objective(sets, before),
           "current_figures": {name: {h: figures([r for r in rows if r["half"] == h], before) for h in HALVES}
                               for name, rows in sets.items()},
           "seconds": {"rows": round(rows_done - started, 1), "search": round(time.monotonic() - rows_done, 1)}}
    print(json.dumps(res, indent=1))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(res, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
