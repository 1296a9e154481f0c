"""Encoder cost and agreement: torch float32 / bfloat16 and ONNX Runtime float32 / int8, side by side.

``python -m evals.bench_encoder --out reports/bench`` encodes the same texts with every variant of
the packaged model in one process (alternating rounds, one thread each, as the server runs):
chunk-sized passages of the demo corpus (batches of 16) and short questions of the demo eval set
(one at a time, as a search encodes them). Reported: process CPU ms per text for each variant, and
how close each is to torch float32 (cosine of each text's two vectors; top-10 overlap of a dense
ranking of the float32 passages for each question, i.e. the variant used for queries only, and of
its own passages, i.e. used for both). ``bfloat16`` runs only where the CPU computes it natively
(emulated it is slower than float32 and never chosen). Retrieval quality per variant comes from
the eval runner (``COPILOT_EMBED_QUERY_BACKEND=torch|onnx|onnx-int8 python -m evals ...``).
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

DEMO = Path(__file__).resolve().parents[1] / "corpora" / "demo"
Encode = Callable[[Sequence[str]], np.ndarray]


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


def _variants(cache_dir: Path) -> dict[str, Encode]:
    from retrievers.embeddings import SentenceTransformerEmbedder, cpu_has_native_bf16
    from retrievers.onnx_encoder import load_query_encoder

    ref = SentenceTransformerEmbedder(precision="float32")
    out: dict[str, Encode] = {"float32": ref.encode}
    if cpu_has_native_bf16():
        out["bfloat16"] = SentenceTransformerEmbedder(precision="bfloat16").encode
    for name, variant in (("onnx", "float32"), ("onnx-int8", "int8")):
        enc = load_query_encoder(ref.model_path, cache_dir, variant, transformer=ref._model[0].auto_model,
                                 max_tokens=ref.max_tokens)
        out[name] = enc.encode
    return out


def _batched(encode: Encode, texts: list[str], size: int = 16) -> np.ndarray:
    return np.vstack([encode(texts[i : i + size]) for i in range(0, len(texts), size)])


def _top10(passages: np.ndarray, questions: np.ndarray, ref_p: np.ndarray, ref_q: np.ndarray) -> list[float]:
    out = []
    for i in range(len(questions)):
        a = set(np.argsort(-(ref_p @ ref_q[i]))[:10])
        b = set(np.argsort(-(passages @ questions[i]))[:10])
        out.append(len(a & b) / 10)
    return out


def run(rounds: int = 3, cache_dir: Path | None = None) -> dict[str, Any]:
    from retrievers.embeddings import cpu_has_native_bf16

    passages, questions = _passages(), _questions()
    with tempfile.TemporaryDirectory(prefix="bench-encoder-") as tmp:
        models = _variants(cache_dir or Path(tmp))
        cpu: dict[str, dict[str, list[float]]] = {v: {"passages": [], "questions": []} for v in models}
        vecs: dict[str, dict[str, np.ndarray]] = {v: {} for v in models}
        for _ in range(rounds):
            for v, enc in models.items():  # alternate so load changes hit every variant alike
                secs, vecs[v]["passages"] = _cpu(lambda enc=enc: _batched(enc, passages))
                cpu[v]["passages"].append(secs / len(passages))
                secs, vecs[v]["questions"] = _cpu(lambda enc=enc: np.vstack([enc([q]) for q in questions]))
                cpu[v]["questions"].append(secs / len(questions))
    per = {v: {k: statistics.median(x) * 1000 for k, x in d.items()} for v, d in cpu.items()}
    ref = vecs["float32"]
    agree: dict[str, Any] = {}
    for v in models:
        row: dict[str, float] = {}
        for kind in ("passages", "questions"):
            cos = (vecs[v][kind] * ref[kind]).sum(1)
            row[f"{kind}_cosine_min"], row[f"{kind}_cosine_mean"] = float(cos.min()), float(cos.mean())
        q_only = _top10(ref["passages"], vecs[v]["questions"], ref["passages"], ref["questions"])
        both = _top10(vecs[v]["passages"], vecs[v]["questions"], ref["passages"], ref["questions"])
        row["top10_overlap_queries_only"] = float(np.mean(q_only))
        row["top10_identical_queries_only"] = float(np.mean([t == 1.0 for t in q_only]))
        row["top10_overlap_both"] = float(np.mean(both))
        agree[v] = row
    return {
        "machine": {"python": platform.python_version(), "platform": platform.platform(),
                    "native_bf16": cpu_has_native_bf16(), "load_avg_1m": _load()},
        "texts": {"passages": len(passages), "questions": len(questions), "rounds": rounds},
        "cpu_ms_per_text": per,
        "agreement_with_float32": agree,
    }


def _load() -> float | None:
    try:
        return float(Path("/proc/loadavg").read_text().split()[0])
    except OSError:
        return None


def report(res: dict[str, Any]) -> str:
    per, agree = res["cpu_ms_per_text"], res["agreement_with_float32"]
    base = per["float32"]
    lines = [
        "# Query and passage encoders: torch vs ONNX Runtime (one process, alternating rounds)",
        "",
        f"Machine: {res['machine']}. Texts: {res['texts']}. One thread per engine.",
        "",
        "| variant | questions CPU ms/text | passages CPU ms/text | questions vs torch fp32 | "
        "cosine questions min / mean | cosine passages min / mean | top-10 overlap, queries only "
        "(identical lists) | top-10 overlap, both sides |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for v, p in per.items():
        a = agree[v]
        lines.append(
            f"| {v} | {p['questions']:.2f} | {p['passages']:.2f} | {base['questions'] / p['questions']:.2f}× | "
            f"{a['questions_cosine_min']:.4f} / {a['questions_cosine_mean']:.4f} | "
            f"{a['passages_cosine_min']:.4f} / {a['passages_cosine_mean']:.4f} | "
            f"{a['top10_overlap_queries_only']:.3f} ({a['top10_identical_queries_only']:.3f}) | "
            f"{a['top10_overlap_both']:.3f} |")
    lines += [
        "",
        "`onnx` / `onnx-int8`: the packaged model exported with torch's exporter (mean pooling and L2 norm",
        "in the graph) and run on ONNX Runtime; int8 = dynamic quantisation of the weight matrices, one scale",
        "per output channel (retrievers/onnx_encoder.py).",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path("reports/bench"))
    ap.add_argument("--name", default="bench_encoder_onnx", help="file name of the report (.json, .md)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--cache-dir", type=Path, default=None, help="ONNX exports (default: a temporary folder)")
    args = ap.parse_args(argv)
    res = run(args.rounds, args.cache_dir)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"{args.name}.json").write_text(json.dumps(res, indent=2), encoding="utf-8")
    (args.out / f"{args.name}.md").write_text(report(res), encoding="utf-8")
    print(report(res))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
