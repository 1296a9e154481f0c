"""Embedding precision: float32 against bfloat16 autocast, side by side in one process.

``python -m evals.bench_encoder --out reports/bench`` encodes the same texts with both
precisions of the packaged model (alternating rounds, one torch thread, as the server runs):
chunk-sized passages of the demo corpus and short questions of the demo eval set. Reported:
process CPU seconds per text for each precision and their ratio, and how close the vectors are
(cosine between the two precisions' vectors of each text; top-10 overlap of a dense ranking of
the passages for each question). Retrieval quality per precision comes from the eval runner
(``COPILOT_EMBED_PRECISION=float32|bfloat16 python -m evals ...``); this benchmark measures cost
and agreement only.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np

DEMO = Path(__file__).resolve().parents[1] / "corpora" / "demo"


def _passages(words_per: int = 150, limit: int = 160) -> list[str]:
    words: list[str] = []
    for p in sorted(DEMO.rglob("*.md")):
        words.extend(p.read_text(encoding="utf-8").split())
    return [" ".join(words[i : i + words_per]) for i in range(0, len(words), words_per)][:limit]


def _questions() -> list[str]:
    rows = [json.loads(line) for line in (DEMO / "evalset.jsonl").read_text(encoding="utf-8").splitlines() if line]
    return [r["question"] for r in rows]


def _cpu(fn: Any) -> tuple[float, Any]:
    t = time.process_time()
    out = fn()
    return time.process_time() - t, out


def run(rounds: int = 3) -> dict[str, Any]:
    from retrievers.embeddings import SentenceTransformerEmbedder, cpu_has_native_bf16

    passages, questions = _passages(), _questions()
    models = {p: SentenceTransformerEmbedder(precision=p) for p in ("float32", "bfloat16")}
    cpu: dict[str, dict[str, list[float]]] = {p: {"passages": [], "questions": []} for p in models}
    vecs: dict[str, dict[str, np.ndarray]] = {p: {} for p in models}
    for _ in range(rounds):
        for p, m in models.items():  # alternate so load changes hit both alike
            secs, vecs[p]["passages"] = _cpu(lambda m=m: m.encode(passages, batch_size=16))
            cpu[p]["passages"].append(secs / len(passages))
            # Questions one at a time, as a search request encodes them.
            secs, qv = _cpu(lambda m=m: np.vstack([m.encode([q]) for q in questions]))
            vecs[p]["questions"] = qv
            cpu[p]["questions"].append(secs / len(questions))
    per = {p: {k: statistics.median(v) * 1000 for k, v in d.items()} for p, d in cpu.items()}
    agree: dict[str, Any] = {}
    for kind in ("passages", "questions"):
        a, b = vecs["float32"][kind], vecs["bfloat16"][kind]
        cos = (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
        agree[kind] = {"cosine_min": float(cos.min()), "cosine_mean": float(cos.mean())}
    top = []
    for i in range(len(questions)):
        r32 = np.argsort(-(vecs["float32"]["passages"] @ vecs["float32"]["questions"][i]))[:10]
        r16 = np.argsort(-(vecs["bfloat16"]["passages"] @ vecs["bfloat16"]["questions"][i]))[:10]
        top.append(len(set(r32) & set(r16)) / 10)
    agree["top10_overlap_mean"] = float(np.mean(top))
    agree["top10_identical_share"] = float(np.mean([t == 1.0 for t in top]))
    return {
        "machine": {"python": platform.python_version(), "platform": platform.platform(),
                    "native_bf16": cpu_has_native_bf16(), "load_avg_1m": _load()},
        "texts": {"passages": len(passages), "questions": len(questions), "rounds": rounds},
        "cpu_ms_per_text": per,
        "ratio_float32_over_bfloat16": {k: per["float32"][k] / per["bfloat16"][k] for k in ("passages", "questions")},
        "agreement": agree,
    }


def _load() -> float | None:
    try:
        return float(Path("/proc/loadavg").read_text().split()[0])
    except OSError:
        return None


def report(res: dict[str, Any]) -> str:
    per, ratio, agree = res["cpu_ms_per_text"], res["ratio_float32_over_bfloat16"], res["agreement"]
    lines = [
        "# Embedding precision: float32 vs bfloat16 (one process, alternating rounds)",
        "",
        f"Machine: {res['machine']}. Texts: {res['texts']}. One torch thread.",
        "",
        "| texts | float32 CPU ms/text | bfloat16 CPU ms/text | float32 ÷ bfloat16 | cosine min / mean |",
        "|---|---|---|---|---|",
    ]
    for k in ("passages", "questions"):
        lines.append(f"| {k} | {per['float32'][k]:.2f} | {per['bfloat16'][k]:.2f} | {ratio[k]:.2f}× | "
                     f"{agree[k]['cosine_min']:.5f} / {agree[k]['cosine_mean']:.5f} |")
    lines += [
        "",
        f"Dense top-10 of the passages per question: mean overlap {agree['top10_overlap_mean']:.3f}, "
        f"identical lists {agree['top10_identical_share']:.3f}.",
        "",
        "`auto` (the default) uses bfloat16 only when the CPU computes it natively (AVX512-BF16 or AMX);",
        "emulated bfloat16 is slower than float32.",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path("reports/bench"))
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args(argv)
    res = run(args.rounds)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "bench_encoder.json").write_text(json.dumps(res, indent=2), encoding="utf-8")
    (args.out / "bench_encoder.md").write_text(report(res), encoding="utf-8")
    print(report(res))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
