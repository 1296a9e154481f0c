"""Upload ingest, stage by stage, before vs after, side by side in one process (PII on).

``python -m evals.bench_upload_stages --out reports/bench``: a 200 KB text goes through the
upload ingestor twice, alternating:

- *before*: the previous upload path: unstructured's ``partition_text`` (spaCy classification
  of every paragraph), Presidio's own Indian PAN patterns (look-ahead to the end of the line),
  PII detection of the whole text, then embedding;
- *after*: the current ``Ingestor.ingest_bytes`` (fast text classification, bounded PAN pattern,
  settled chunks embedded while detection goes on).

Wall and CPU seconds per stage are reported: on a shared machine the wall clock follows the
load, CPU seconds do not. A big text (default 5 MB) then goes through the current path once.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from evals.bench_common import machine, peak_rss_mb, write
from evals.bench_upload import text_of


class Clock:
    """Wall and process-CPU seconds per named stage."""

    def __init__(self) -> None:
        self.wall: dict[str, float] = {}
        self.cpu: dict[str, float] = {}

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        t, c = time.perf_counter(), time.process_time()
        try:
            yield
        finally:
            self.wall[name] = round(self.wall.get(name, 0.0) + time.perf_counter() - t, 2)
            self.cpu[name] = round(self.cpu.get(name, 0.0) + time.process_time() - c, 2)


@contextmanager
def presidio_pan_patterns(detector: Any) -> Iterator[None]:
    """Presidio's original PAN patterns in the shared engine, for the duration of the block."""
    from presidio_analyzer.predefined_recognizers import InPanRecognizer

    [rec] = [r for r in detector.analyzer.registry.recognizers if r.name == "InPanRecognizer"]
    ours = rec.patterns
    rec.patterns = InPanRecognizer.PATTERNS
    try:
        yield
    finally:
        rec.patterns = ours


def before(ing: Any, data: bytes, doc_id: str, tags: Any) -> Clock:
    """The previous upload path, stage by stage (same store, model and detector)."""
    from ingestion import parsing
    from ingestion.pipeline import IngestReport

    clock = Clock()
    with clock.stage("total"):
        with clock.stage("parse"):
            parsing._prepare_unstructured()
            from unstructured.partition.text import partition_text

            parsed = parsing._from_elements(partition_text(text=data.decode(), languages=["eng"]))
        with clock.stage("pii"), presidio_pan_patterns(ing.detector):
            pii = ing._detect([parsed])[0]
        with clock.stage("chunk"):
            prepared = ing._prepare(doc_id, data, tags, superseded=False, doc_hash="before", parsed=parsed, pii=pii)
        with clock.stage("embed+write"):
            report = IngestReport()
            ing._write([prepared], report)
    assert report.documents_written == 1, report.outcomes
    return clock


def after(ing: Any, data: bytes, doc_id: str, tags: Any) -> tuple[Clock, dict[str, float]]:
    """The current path; stage marks come from its progress callback (``pii`` includes the
    embedding done ahead, ``embedding`` is what was left)."""
    clock = Clock()
    marks: dict[str, float] = {}
    t0 = time.perf_counter()

    def progress(stage: str, done: int, total: int) -> None:
        marks.setdefault(stage, round(time.perf_counter() - t0, 2))

    with clock.stage("total"):
        out = ing.ingest_bytes(data, doc_id, tags, progress=progress)
    assert out.status == "written", out
    return clock, marks


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path("reports/bench"))
    ap.add_argument("--kb", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--big-mb", type=float, default=5.0)
    args = ap.parse_args(argv)
    from copilot.core.services import build_services
    from copilot.core.settings import load_settings
    from ingestion.manifest import DocumentTags

    tmp = Path(tempfile.mkdtemp(prefix="bench-upload-stages-"))
    result: dict[str, Any] = {"machine": machine(), "kb": args.kb, "rounds": []}
    tags = DocumentTags.model_validate({"tenant_id": "bench", "access_level": "partner", "doc_type": "playbook"})
    try:
        services = build_services(load_settings(data_dir=tmp))
        ing = services.upload_ingestor()
        ing.embedder.encode(["warm up"] * 4)
        ing.detector.detect("Warm up for Jane Doe at jane@example.com")
        from ingestion.parsing import parse_bytes

        parse_bytes(b"Warm up\n\nA short paragraph is parsed once.\n", "warm.txt")
        data = text_of(args.kb * 1024, "quokka", 1)
        runs: list[tuple[str, Callable[[], Any]]] = [
            ("before", lambda: before(ing, data, "uploads/partner/before.txt", tags)),
            ("after", lambda: after(ing, data, "uploads/partner/after.txt", tags)),
        ]
        for r in range(args.rounds):
            row: dict[str, Any] = {"load_avg_1m": machine()["load_avg_1m"]}
            for name, fn in runs if r % 2 == 0 else runs[::-1]:
                services.store.delete_document("bench", f"uploads/partner/{name}.txt")
                got = fn()
                clock, marks = got if isinstance(got, tuple) else (got, None)
                row[name] = {"wall_s": clock.wall, "cpu_s": clock.cpu} | ({"stage_marks_s": marks} if marks else {})
            result["rounds"].append(row)
            print(row, flush=True)
        if args.big_mb:
            big = text_of(int(args.big_mb * 1024 * 1024), "wombat", 2)
            t = time.perf_counter()
            try:
                clock, marks = after(ing, big, "uploads/partner/big.txt", tags)
                result["big"] = {"mb": args.big_mb, "error": None, "wall_s": clock.wall, "cpu_s": clock.cpu,
                                 "stage_marks_s": marks,
                                 "chunks": sum(1 for cs, _ in services.store.iter_all() for c in cs
                                               if c.doc_id == "uploads/partner/big.txt")}
            except Exception as exc:  # the benchmark reports the failure instead of dying
                result["big"] = {"mb": args.big_mb, "error": f"{type(exc).__name__}: {exc}",
                                 "wall_s": round(time.perf_counter() - t, 1)}
            result["big"]["load_avg_1m"] = machine()["load_avg_1m"]
        result["peak_rss_mb"] = peak_rss_mb()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    write(args.out, "bench_upload_stages", result, report_md(result))
    return 0


def report_md(result: dict[str, Any]) -> str:
    md = ["# Upload ingest by stage: before vs after (same process, PII on)", "",
          f"Machine: {result['machine']}.", "",
          f"A {result['kb']} KB text through the upload ingestor; runs alternate before/after. "
          "CPU seconds are the process's (the after path embeds on a second thread while it detects PII).", "",
          "| round | load | path | total wall s | total CPU s | stages wall s | stages CPU s |",
          "|---|---|---|---|---|---|---|"]
    for i, row in enumerate(result["rounds"]):
        for name in ("before", "after"):
            r = row[name]
            stages = {k: v for k, v in r["wall_s"].items() if k != "total"}
            cpu = {k: v for k, v in r["cpu_s"].items() if k != "total"}
            md.append(f"| {i + 1} | {row['load_avg_1m']} | {name} | {r['wall_s']['total']} | {r['cpu_s']['total']} | "
                      f"{stages or r.get('stage_marks_s')} | {cpu or '-'} |")
    if "big" in result:
        b = result["big"]
        md += ["", f"{b['mb']} MB text through the current path: error {b['error']}, wall {b['wall_s']} s, "
               f"CPU {b.get('cpu_s', '-')} s, {b.get('chunks', '-')} chunks, stage first seen at "
               f"{b.get('stage_marks_s', '-')} s (load {b['load_avg_1m']})."]
    md += ["", f"Peak RSS: {result.get('peak_rss_mb', '-')} MB", ""]
    return "\n".join(md)


if __name__ == "__main__":
    raise SystemExit(main())
