"""Ingest throughput with PII detection on vs off, side by side in one process.

    nice -n 10 python -m evals.bench_pii_ingest --corpus docs --rounds 3 [--before DIR] [--out reports/pii/ingest]

Each round ingests the corpus into fresh indexes once per setting: PII off, PII on, and with
``--before DIR`` (an older checkout, e.g. ``git archive <commit> | tar -x -C DIR``) PII on with that
checkout's detector and pipeline (``guardrails/pii/engine.py``, ``ingestion/pipeline.py``; every
other module is this checkout's). The order rotates from round to round, so drift in machine load
hits every setting alike. Right after each ingest the bare model encodes the very texts that ingest
embedded: ingest ÷ raw encode is the same model work with and without the pipeline around it.
Models (embedder, PII engines) are loaded before any timing, as a serving process does at start-up.

Corpora: ``demo`` (corpora/demo), ``docs`` (the product guides of the docs-QA set) and ``cuad``
(the CUAD contracts), the last two built at run time from the shared data folder into a temporary
folder (nothing is copied into the repository), or any folder with a ``manifest.yaml``.
Results: median over rounds of on ÷ off chunks per CPU second (target ≥ 0.8) and per wall second.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from evals.bench_common import load_module, machine, raw_encode, write

DEMO = Path("corpora/demo")
SETTINGS = ("off", "on", "on-before")


def build_corpus(name: str, tmp: Path) -> Path:
    """The corpus folder for ``name``: the demo, one built from the shared data, or a path."""
    if name == "demo":
        return DEMO
    if name == "docs":
        from evals import docs_qa

        docs_qa.build(docs_qa.DEFAULT_SOURCE, tmp / "docs-corpus")
        return tmp / "docs-corpus"
    if name == "cuad":
        from evals import cuad

        cuad.build(cuad.DEFAULT_SOURCE, tmp / "cuad-corpus")
        return tmp / "cuad-corpus"
    return Path(name)


_BEFORE: dict[Path, tuple[Any, Any]] = {}


def before_modules(before: Path) -> tuple[Any, Any]:
    """The older checkout's PII engine and pipeline modules, loaded once (the engine loads its own
    spaCy pipeline on first use)."""
    if before not in _BEFORE:
        _BEFORE[before] = (load_module(before / "guardrails" / "pii" / "engine.py", "_pii_engine_before"),
                           load_module(before / "ingestion" / "pipeline.py", "_pipeline_before"))  # fmt: skip
    return _BEFORE[before]


def before_ingestor(ingestor: Any, before: Path) -> Any:
    """``ingestor`` (same settings, store, embedder) as the older checkout's pipeline class, with
    that checkout's PII detector."""
    engine, pipeline = before_modules(before)
    old = pipeline.Ingestor.__new__(pipeline.Ingestor)
    old.__dict__.update(ingestor.__dict__)
    old.detector = engine.get_detector()
    return old


def _ingest_once(root: Path, setting: str, corpus: Path, before: Path | None) -> dict[str, Any]:
    from copilot.core.services import build_services
    from copilot.core.settings import load_settings

    services = build_services(load_settings(data_dir=root, pii_detection=setting != "off"))
    ingestor = services.ingestor
    if setting == "on-before":
        assert before is not None
        ingestor = before_ingestor(ingestor, before)
    services.embedder.encode(["warm up"] * 8)
    t, c = time.perf_counter(), time.process_time()
    rep = ingestor.ingest_corpus(corpus, None, progress=False)
    secs, cpu = time.perf_counter() - t, time.process_time() - c
    # The same model work without the pipeline: the windows ingest embedded, encoded by the bare model.
    _, _, enc_s, enc_cpu = raw_encode(services)
    # CPU seconds of the whole process (all threads): on a machine shared with other jobs the wall
    # clock measures their load as much as ours, the CPU spent on the ingest much less so.
    return {"setting": setting, "chunks": rep.chunks_written, "rejected": len(rep.rejected),
            "seconds": round(secs, 2), "cpu_seconds": round(cpu, 2),
            "chunks_per_s": round(rep.chunks_written / secs, 3),
            "chunks_per_cpu_s": round(rep.chunks_written / cpu, 3),
            "encode_seconds": round(enc_s, 2), "encode_cpu_seconds": round(enc_cpu, 2),
            "ingest_over_encode": round(enc_s / secs, 3), "cpu_ingest_over_encode": round(enc_cpu / cpu, 3),
            "load_avg_1m": round(os.getloadavg()[0], 2)}  # fmt: skip


def _median(xs: list[float]) -> float | None:
    return round(statistics.median(xs), 3) if xs else None


def summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Per-round ratios (each setting against PII off of the same round) and their medians."""
    by_round: dict[int, dict[str, dict[str, Any]]] = {}
    for r in runs:
        by_round.setdefault(r["round"], {})[r["setting"]] = r
    out: dict[str, Any] = {}
    for s in ("on", "on-before"):
        pairs = [(v[s], v["off"]) for v in by_round.values() if s in v and "off" in v]
        if not pairs:
            continue
        cpu = [round(a["chunks_per_cpu_s"] / b["chunks_per_cpu_s"], 3) for a, b in pairs]
        wall = [round(a["chunks_per_s"] / b["chunks_per_s"], 3) for a, b in pairs]
        out[s] = {"cpu_ratios": cpu, "median_cpu_ratio": _median(cpu),
                  "wall_ratios": wall, "median_wall_ratio": _median(wall)}  # fmt: skip
    out["ingest_over_encode"] = {
        s: {"cpu": _median([r["cpu_ingest_over_encode"] for r in runs if r["setting"] == s]),
            "wall": _median([r["ingest_over_encode"] for r in runs if r["setting"] == s])}
        for s in SETTINGS if any(r["setting"] == s for r in runs)
    }  # fmt: skip
    return out


def run(rounds: int, corpus: str = "demo", before: Path | None = None,
        on_round: Callable[[dict[str, Any]], None] | None = None) -> dict[str, Any]:  # fmt: skip
    from guardrails.pii.engine import shared_analyzer

    shared_analyzer()  # engine load (once per process) is outside every timing
    tmp = Path(tempfile.mkdtemp(prefix="bench-pii-ingest-"))
    settings = [s for s in SETTINGS if s != "on-before" or before is not None]
    runs: list[dict[str, Any]] = []

    def result() -> dict[str, Any]:
        return {"machine": machine(), "corpus": corpus, "before": str(before) if before else None,
                "rounds": len({r["round"] for r in runs}), "runs": runs, "summary": summarise(runs)}  # fmt: skip

    try:
        folder = build_corpus(corpus, tmp)
        if before is not None:
            before_modules(before)[0].shared_analyzer()
        for k in range(rounds):
            order = settings[k % len(settings) :] + settings[: k % len(settings)]
            for s in order:
                r = _ingest_once(tmp / f"r{k}-{s}", s, folder, before)
                runs.append({"round": k, **r})
            if on_round is not None:
                on_round(result())  # partial results survive an interrupted run
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return result()


def report(res: dict[str, Any], name: str) -> str:
    sm = res["summary"]
    md = ["# Ingest with PII detection on vs off (same process, rotating order)", "",
          f"Machine: {res['machine']}. Corpus: `{res['corpus']}`; fresh index per run; models loaded before "
          f"timing.{' Before: ' + repr(res['before']) + '.' if res['before'] else ''}", "",
          "| round | setting | chunks | wall s | CPU s | chunks/s | chunks per CPU s | raw encode CPU s | "
          "ingest ÷ encode (CPU) | load 1m |", "|---|---|---|---|---|---|---|---|---|---|"]  # fmt: skip
    for r in res["runs"]:
        md.append(f"| {r['round']} | {r['setting']} | {r['chunks']} | {r['seconds']} | {r['cpu_seconds']} | "
                  f"{r['chunks_per_s']} | {r['chunks_per_cpu_s']} | {r['encode_cpu_seconds']} | "
                  f"{r['cpu_ingest_over_encode']} | {r['load_avg_1m']} |")  # fmt: skip
    md += [
        "",
        "| PII on ÷ off | CPU per round | **median CPU** (target ≥ 0.8) | wall per round | median wall |",
        "|---|---|---|---|---|",
    ]
    for s in ("on", "on-before"):
        if s in sm:
            md.append(f"| {s} | {sm[s]['cpu_ratios']} | **{sm[s]['median_cpu_ratio']}** | {sm[s]['wall_ratios']} | "
                      f"{sm[s]['median_wall_ratio']} |")  # fmt: skip
    md += ["", "Ingest ÷ raw encode of the same windows (medians; target ≥ 0.8): "
           + "; ".join(f"{s}: CPU {v['cpu']}, wall {v['wall']}" for s, v in sm["ingest_over_encode"].items()),
           "", "On a shared machine the CPU ratios are the ones to read: the wall clock also counts other jobs' "
           "load.", "", f"![chunks per CPU second]({name}.png)", ""]  # fmt: skip
    return "\n".join(md)


def chart(res: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    settings = [s for s in SETTINGS if any(r["setting"] == s for r in res["runs"])]
    rounds = sorted({r["round"] for r in res["runs"]})
    fig, ax = plt.subplots(figsize=(6, 3.5))
    width = 0.8 / max(1, len(settings))
    for i, s in enumerate(settings):
        by = {r["round"]: r["chunks_per_cpu_s"] for r in res["runs"] if r["setting"] == s}
        ax.bar([k + i * width for k in rounds], [by.get(k, 0) for k in rounds], width, label=f"PII {s}")
    ax.set_xticks([k + width * (len(settings) - 1) / 2 for k in rounds], [f"round {k}" for k in rounds])
    ax.set_ylabel("chunks per CPU second")
    ax.set_title(f"ingest, corpus {res['corpus']}", fontsize=9)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path("reports/pii/ingest"))
    ap.add_argument("--corpus", default="demo", help="demo | docs | cuad | a folder with a manifest.yaml")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--before", type=Path, default=None, help="an older checkout (its engine and pipeline)")
    ap.add_argument("--name", default=None, help="output file name (default bench_pii_ingest_<corpus>)")
    args = ap.parse_args(argv)
    name = args.name or f"bench_pii_ingest_{Path(args.corpus).name}"

    def save(res: dict[str, Any]) -> None:
        write(args.out, name, res, report(res, name))
        chart(res, args.out / f"{name}.png")

    save(run(args.rounds, args.corpus, args.before, on_round=save))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
