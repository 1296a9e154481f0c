"""Ingest vs the same model work, before and after a pipeline change, in one process.

Each round ingests the corpus into a fresh index with the current pipeline and with an older
``ingestion/pipeline.py`` (``--before DIR``, e.g. ``git archive <commit> | tar -x -C DIR``; only
that module is taken from there, everything else is this checkout's), in alternating order, and
right after each ingest encodes the very texts it embedded with the bare model. The ratio
(encode seconds ÷ ingest seconds) compares two timings made seconds apart under the same load,
so it survives a busy machine where absolute seconds do not; CPU seconds of the process are
recorded too.

``python -m evals.bench_ingest_rounds --before /tmp/before --rounds 3 [--pii]``
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from evals.bench_common import load_module, machine, raw_encode
from evals.bench_ingest import DEMO, _services


def before_ingestor(services: Any, before: Path) -> Any:
    """The services' ingestor as the older pipeline module's class (same settings, store, models)."""
    mod = load_module(before / "ingestion" / "pipeline.py", "_pipeline_before")
    old = mod.Ingestor.__new__(mod.Ingestor)
    old.__dict__.update(services.ingestor.__dict__)
    return old


def one(services: Any, ingestor: Any, corpus: Path) -> dict[str, Any]:
    """Ingest ``corpus``, then encode the same windows with the bare model (wall and CPU of each)."""
    t, c = time.perf_counter(), time.process_time()
    rep = ingestor.ingest_corpus(corpus, None, progress=False)
    ingest_s, ingest_cpu = time.perf_counter() - t, time.process_time() - c
    chunks, windows, enc_s, enc_cpu = raw_encode(services)
    return {"documents": rep.documents_written, "chunks": chunks, "windows": windows,
            "ingest_s": round(ingest_s, 2), "ingest_cpu_s": round(ingest_cpu, 2),
            "encode_s": round(enc_s, 2), "encode_cpu_s": round(enc_cpu, 2),
            "ratio": round(enc_s / ingest_s, 3), "cpu_ratio": round(enc_cpu / ingest_cpu, 3),
            "load_avg_1m": round(os.getloadavg()[0], 2)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--before", type=Path, required=True)
    ap.add_argument("--corpus", type=Path, default=DEMO)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--pii", action="store_true")
    ap.add_argument("--out", type=Path, default=None, help="write the JSON here")
    args = ap.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="bench-ingest-rounds-"))
    runs: list[dict[str, Any]] = []
    try:
        warm = _services(tmp / "warm", args.pii)
        warm.embedder.encode(["warm up"] * 8)
        if args.pii:
            from guardrails.pii.engine import shared_analyzer

            shared_analyzer()
        # A first ingest pays one-off warm-up in the process; neither side should carry it.
        warm.ingestor.ingest_corpus(args.corpus, None, progress=False)
        for rnd in range(args.rounds):
            order = ("before", "after") if rnd % 2 == 0 else ("after", "before")
            for way in order:
                svc = _services(tmp / f"r{rnd}-{way}", args.pii)
                ing = before_ingestor(svc, args.before) if way == "before" else svc.ingestor
                res = {"round": rnd, "pipeline": way, **one(svc, ing, args.corpus)}
                print(json.dumps(res), flush=True)
                runs.append(res)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    summary = {way: {k: statistics.median(r[k] for r in runs if r["pipeline"] == way)
                     for k in ("ingest_s", "ingest_cpu_s", "encode_s", "encode_cpu_s", "ratio", "cpu_ratio")}
               for way in ("before", "after")}
    result = {"machine": machine(), "corpus": str(args.corpus), "pii": args.pii, "rounds": args.rounds,
              "runs": runs, "median": summary}
    print(json.dumps(summary))
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
