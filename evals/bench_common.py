"""Shared pieces of the benchmark scripts: synthetic text, timing, output files."""

from __future__ import annotations

import importlib.util
import json
import platform
import random
import resource
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

from evals.metrics import percentile

WORDS = [
    "partner",
    "implementation",
    "cutover",
    "migration",
    "ledger",
    "invoice",
    "approval",
    "workflow",
    "tenant",
    "release",
    "upgrade",
    "hypercare",
    "escalation",
    "milestone",
    "acceptance",
    "testing",
    "configuration",
    "integration",
    "payroll",
    "inventory",
    "warehouse",
    "procurement",
    "contract",
    "renewal",
    "notice",
    "liability",
    "warranty",
    "audit",
    "insurance",
    "licence",
    "support",
    "incident",
    "priority",
    "response",
    "resolution",
    "consultant",
    "certification",
    "training",
    "project",
    "scope",
    "budget",
    "change",
    "request",
    "sign-off",
    "data",
    "conversion",
    "master",
    "record",
    "validation",
    "report",
    "dashboard",
    "interface",
    "customer",
    "vendor",
    "schedule",
    "service",
    "level",
    "credit",
    "penalty",
    "termination",
    "assignment",
    "confidentiality",
]


def synthetic_sentence(rng: random.Random, n: int | None = None) -> str:
    words = [rng.choice(WORDS) for _ in range(n or rng.randint(8, 20))]
    return " ".join(words).capitalize() + "."


def synthetic_paragraph(rng: random.Random, sentences: int = 6) -> str:
    return " ".join(synthetic_sentence(rng) for _ in range(sentences))


def timed(fn: Callable[[], Any], repeat: int) -> list[float]:
    """Milliseconds of ``repeat`` calls."""
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def lat(ms: list[float]) -> dict[str, float]:
    return {"p50_ms": round(percentile(ms, 50), 3), "p95_ms": round(percentile(ms, 95), 3), "n": len(ms)}


def peak_rss_mb() -> float:
    """Peak resident set size of this process (Linux reports KiB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def machine() -> dict[str, Any]:
    import os

    return {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "load_avg_1m": round(os.getloadavg()[0], 2),
    }


def write(out: Path, name: str, payload: dict[str, Any], markdown: str) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{name}.json").write_text(json.dumps(payload, indent=1, default=str))
    (out / f"{name}.md").write_text(markdown)
    print(markdown)


def bomb_docx(expanded_mb: int) -> bytes:
    """A real DOCX whose document.xml is padded with whitespace to ``expanded_mb`` (streamed, low memory)."""
    import io
    import zipfile

    import docx

    d = docx.Document()
    d.add_heading("Scope", level=1)
    d.add_paragraph("A normal paragraph.")
    raw = io.BytesIO()
    d.save(raw)
    good = zipfile.ZipFile(io.BytesIO(raw.getvalue()))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as out:
        for info in good.infolist():
            data = good.read(info)
            if info.filename != "word/document.xml":
                out.writestr(info.filename, data)
                continue
            head, tail = data.split(b"</w:body>", 1)
            with out.open("word/document.xml", "w", force_zip64=True) as fh:
                fh.write(head)
                pad = b" " * (1 << 20)
                for _ in range(expanded_mb):
                    fh.write(pad)
                fh.write(b"</w:body>" + tail)
    return buf.getvalue()


def load_module(path: Path, name: str) -> ModuleType:
    """A module of an older checkout loaded under its own name, beside this checkout's (a benchmark
    runs old and new code in one process)."""
    import sys

    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


def raw_encode(services: Any) -> tuple[int, int, float, float]:
    """Encode the windows an ingest embedded with the bare model: (chunks, windows, wall s, CPU s).

    The baseline of "ingest ÷ raw encode": the same model work without the pipeline around it."""
    from ingestion.pipeline import embed_windows

    emb = services.embedder
    chunks = [ch for batch, _ in services.store.iter_all() for ch in batch]
    windows = list(dict.fromkeys(w for ch in chunks for w in embed_windows(ch, emb)))
    t, c = time.perf_counter(), time.process_time()
    emb.encode(windows, batch_size=services.settings.embed_batch_size)
    return len(chunks), len(windows), time.perf_counter() - t, time.process_time() - c
