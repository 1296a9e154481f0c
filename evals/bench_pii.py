"""PII detection benchmark: before (a git revision's detector) vs after (this tree) vs Presidio's
default, in one run, on two data sets.

    nice -n 10 python -m evals.bench_pii --out reports/pii [--before-rev e7bb12e] [--passes 3]
    python -m evals.bench_pii --same-spans-as main   # a cost-only change must find the same spans

Data:
- ``business``: the Faker-built business texts of ``evals.pii_synth`` (generated at run time from
  the fixed seed, or read from ``evals/data/pii_business.jsonl``), split dev/test by template
  family: the test half is written from genres and sentences the dev half never uses. Only the dev
  half was looked at while tuning.
- ``docs_qa_dev`` guides (``../shared/data/docs_qa_dev``, read at run time): spans put on product
  documentation, counted by type (no text), split by guide.
- ``presidio_synth``: Presidio's synthetic set v2 (microsoft/presidio-research, MIT), loaded at run
  time from ``../shared/data/presidio_synth`` (never copied); rows 0-499 dev, 500-1499 test.

Metrics (span = any character overlap): any-type recall (a gold span is covered by any prediction),
any-type precision (a prediction overlaps some gold span), typed P/R/F1 per entity; hard negatives
flagged (planted dates, versions, ids, amounts, product/org names and titles overlapped by a
prediction that overlaps no gold span); detection cost in CPU ms per 1,000 characters, batched:
median and minimum of several timed passes after a warm-up, with the machine's load average.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from evals.pii_synth import DEFAULT_OUT as BUSINESS_DATA
from evals.pii_synth import load_or_generate
from guardrails.pii import REDACTED_ENTITY_TYPES, PiiDetector, default_presidio_detector
from guardrails.spans import PiiSpan

ROOT = Path(__file__).resolve().parents[1]
SYNTH_DATA = ROOT.parent / "shared" / "data" / "presidio_synth" / "synth_dataset_v2.jsonl"
SYNTH_DEV_ROWS = 500
DOCS_DATA = ROOT.parent / "shared" / "data" / "docs_qa_dev" / "docs"
DEFAULT_BEFORE_REV = "e7bb12e"

# presidio_synth label -> our type (None: not personal data here; detections on it are ignored).
SYNTH_LABELS: dict[str, str | None] = {
    "PERSON": "PERSON", "STREET_ADDRESS": "LOCATION", "GPE": "LOCATION", "ZIP_CODE": "LOCATION",
    "CREDIT_CARD": "CREDIT_CARD", "PHONE_NUMBER": "PHONE_NUMBER", "EMAIL_ADDRESS": "EMAIL_ADDRESS",
    "IBAN_CODE": "IBAN_CODE", "US_SSN": "US_SSN", "IP_ADDRESS": "IP_ADDRESS", "US_DRIVER_LICENSE": "DRIVER_LICENSE",
    "ORGANIZATION": None, "DATE_TIME": None, "TITLE": None, "AGE": None, "NRP": None, "DOMAIN_NAME": None,
}  # fmt: skip
# Old detector's type names -> ours.
_OLD_TYPES = {"US_DRIVER_LICENSE": "DRIVER_LICENSE"}

Detect = Callable[[Sequence[dict[str, Any]]], list[list[PiiSpan]]]


def _ov(a0: int, a1: int, b0: int, b1: int) -> bool:
    return a0 < b1 and b0 < a1


def _prf(tp_p: int, n_p: int, tp_g: int, n_g: int) -> dict[str, float]:
    p = tp_p / n_p if n_p else 1.0
    r = tp_g / n_g if n_g else 1.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(2 * p * r / (p + r) if p + r else 0.0, 4)}


def score(rows: Sequence[dict[str, Any]], preds: Sequence[Sequence[PiiSpan]]) -> dict[str, Any]:
    """Any-type and typed metrics plus hard-negative false positives."""
    g_n = g_hit = p_tp = p_fp = 0
    tg: Counter[str] = Counter()
    th: Counter[str] = Counter()
    tp_: Counter[str] = Counter()
    tpo: Counter[str] = Counter()
    neg_fp: Counter[str] = Counter()
    n_neg = 0
    for row, spans in zip(rows, preds, strict=True):
        gold = [(s["entity_type"], s["start"], s["end"]) for s in row["spans"] if s["entity_type"]]
        ignored = [(s["start"], s["end"]) for s in row.get("ignored", [])]
        for t, a, b in gold:
            g_n += 1
            tg[t] += 1
            g_hit += any(_ov(a, b, p.start, p.end) for p in spans)
            th[t] += any(p.entity_type == t and _ov(a, b, p.start, p.end) for p in spans)
        for p in spans:
            hits = any(_ov(a, b, p.start, p.end) for _, a, b in gold)
            if not hits and any(_ov(a, b, p.start, p.end) for a, b in ignored):
                continue
            tp_[p.entity_type] += 1
            tpo[p.entity_type] += any(t == p.entity_type and _ov(a, b, p.start, p.end) for t, a, b in gold)
            p_tp += hits
            p_fp += not hits
        for neg in row.get("negatives", []):
            n_neg += 1
            if any(_ov(neg["start"], neg["end"], p.start, p.end) and
                   not any(_ov(a, b, p.start, p.end) for _, a, b in gold) for p in spans):  # fmt: skip
                neg_fp[neg["kind"]] += 1
    typed_tp = sum(tpo.values())
    return {
        "any_type": {"gold": g_n, "predicted": p_tp + p_fp, **_prf(p_tp, p_tp + p_fp, g_hit, g_n)},
        "typed_micro": _prf(typed_tp, sum(tp_.values()), sum(th.values()), g_n),
        "per_type": {t: {"gold": tg[t], "predicted": tp_[t], **_prf(tpo[t], tp_[t], th[t], tg[t])}
                     for t in sorted(set(tg) | set(tp_))},  # fmt: skip
        "hard_negatives": {"total": n_neg, "flagged": sum(neg_fp.values()), "by_kind": dict(neg_fp)},
    }


def halves(rows: Sequence[dict[str, Any]]) -> dict[str, list[int]]:
    """Row indices of the dev and test halves; where dev rows come from several template families
    (``family``, absent on the first), also of each family's dev rows (``dev1``, ``dev2`` ...)."""
    out = {split: [i for i, r in enumerate(rows) if r["split"] == split] for split in ("dev", "test")}
    families = sorted({r["family"] for r in rows if r["split"] == "dev" and r.get("family")})
    if families:
        out["dev1"] = [i for i in out["dev"] if not rows[i].get("family")]
        for fam in families:
            out[fam] = [i for i in out["dev"] if rows[i].get("family") == fam]
    return out


def business_rows() -> list[dict[str, Any]]:
    return load_or_generate(BUSINESS_DATA)


def synth_rows(path: Path = SYNTH_DATA) -> list[dict[str, Any]]:
    rows = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
    rows.sort(key=lambda r: r["id"])
    out = []
    for i, r in enumerate(rows):
        spans = [{**s, "entity_type": SYNTH_LABELS.get(s["entity_type"])} for s in r["spans"]]
        out.append({"id": r["id"], "text": r["text"], "split": "dev" if i < SYNTH_DEV_ROWS else "test",
                    "spans": [s for s in spans if s["entity_type"]],
                    "ignored": [s for s in spans if not s["entity_type"]]})  # fmt: skip
    return out


def docs_rows(folder: Path = DOCS_DATA) -> list[dict[str, Any]]:
    """Product guides (``../shared/data/docs_qa_dev``, read at run time, never copied) parsed as at
    ingest, with their own title and headings as context; split by guide with ``evals.splits``.

    They hold no personal data worth the name, so every span the detector puts on them is counted
    (by type, never shown): a UI word or product name taken for a person breaks titles and search.
    """
    from evals.splits import half_of
    from ingestion.parsing import parse_bytes

    rows = []
    for path in sorted(folder.glob("*.md")) if folder.is_dir() else []:
        parsed = parse_bytes(path.read_bytes(), path.name)
        titles = [t for t in [parsed.title, *(parsed.text[b.start : b.end][:200] for b in parsed.blocks
                                               if b.is_title)] if t]  # fmt: skip
        rows.append({"id": path.name, "text": parsed.text, "titles": titles, "split": half_of(f"docs/{path.name}"),
                     "spans": []})  # fmt: skip
    return rows


def demo_rows(folder: Path = ROOT / "corpora" / "demo" / "docs") -> list[dict[str, Any]]:
    """The demo corpus's documents parsed as at ingest, with their title and headings as context."""
    from ingestion.parsing import parse_bytes

    rows = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        parsed = parse_bytes(path.read_bytes(), path.name)
        titles = [t for t in [parsed.title, *(parsed.text[b.start : b.end][:200] for b in parsed.blocks
                                               if b.is_title)] if t]  # fmt: skip
        rows.append({"id": str(path.relative_to(folder)), "text": parsed.text, "titles": titles})
    return rows


def same_spans(rev: str) -> dict[str, dict[str, int]]:
    """This tree's detector against the detector package of revision ``rev`` on every set (business,
    presidio_synth, docs guides, demo corpus, with the titles as context where a set has them):
    texts, spans and texts whose spans (type, offsets, score) differ. For changes meant to cut cost
    only, every ``differ`` must be 0."""
    sets = {"business": business_rows(), "presidio_synth": synth_rows(), "docs": docs_rows(), "demo": demo_rows()}
    old, new = package_detector(rev), PiiDetector()
    out = {}
    for name, rows in sets.items():
        a = old(rows)
        b = new.detect_batch([r["text"] for r in rows], contexts=[r.get("titles") for r in rows])
        differ = sum(x != y for x, y in zip(a, b, strict=True))
        out[name] = {"texts": len(rows), "spans": sum(map(len, b)), "differ": differ}
    return out


def count_spans(rows: Sequence[dict[str, Any]], preds: Sequence[Sequence[PiiSpan]]) -> dict[str, Any]:
    """Spans put on texts that hold no personal data: total, by type, and per 100,000 characters."""
    by_type: Counter[str] = Counter(p.entity_type for spans in preds for p in spans)
    chars = sum(len(r["text"]) for r in rows)
    total = sum(by_type.values())
    return {"texts": len(rows), "chars": chars, "spans": total, "by_type": dict(sorted(by_type.items())),
            "per_100k_chars": round(total * 100_000 / chars, 2) if chars else 0.0}  # fmt: skip


def load_before(rev: str) -> Any:
    """The detector module of git revision ``rev`` (the single-file ``guardrails/pii.py``), imported
    from a temporary file so before and after run side by side in one process."""
    src = subprocess.run(["git", "-C", str(ROOT), "show", f"{rev}:guardrails/pii.py"], check=True,
                         capture_output=True, text=True).stdout  # fmt: skip
    tmp = Path(tempfile.mkdtemp()) / "pii_before.py"
    tmp.write_text(src, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("pii_before", tmp)
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules["pii_before"] = mod
    spec.loader.exec_module(mod)
    return mod


_CHILD = """
import json, sys
from guardrails.pii import PiiDetector
rows = json.load(open(sys.argv[1], encoding="utf-8"))
spans = PiiDetector().detect_batch([r["text"] for r in rows], contexts=[r.get("titles") for r in rows])
json.dump([[[s.entity_type, s.start, s.end, s.score] for s in x] for x in spans], open(sys.argv[2], "w"))
"""


def package_detector(rev: str) -> Detect:
    """The detector package (``guardrails/pii/``) of git revision ``rev``, run in a child process on
    that revision's ``guardrails`` tree (the package cannot share a process with this tree's)."""
    tmp = Path(tempfile.mkdtemp(prefix="pii-before-"))
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "guardrails"], check=True,
                             capture_output=True).stdout  # fmt: skip
    subprocess.run(["tar", "-x", "-C", str(tmp)], input=archive, check=True)

    def detect(rows: Sequence[dict[str, Any]]) -> list[list[PiiSpan]]:
        src, dst = tmp / "rows.json", tmp / "spans.json"
        src.write_text(json.dumps([{"text": r["text"], "titles": r.get("titles")} for r in rows]), encoding="utf-8")
        env = {**__import__("os").environ, "PYTHONPATH": str(tmp)}
        subprocess.run([sys.executable, "-c", _CHILD, str(src), str(dst)], check=True, env=env, cwd=tmp,
                       capture_output=True)  # fmt: skip
        return [[PiiSpan(t, a, b, sc) for t, a, b, sc in x] for x in json.loads(dst.read_text(encoding="utf-8"))]

    return detect


def systems(before_rev: str | None, base_rev: str | None = None) -> dict[str, Detect]:
    after = PiiDetector()
    default = default_presidio_detector(sorted(REDACTED_ENTITY_TYPES))
    out: dict[str, Detect] = {
        "presidio_default": lambda rows: default.detect_batch([r["text"] for r in rows]),
        "after": lambda rows: after.detect_batch([r["text"] for r in rows],
                                                 contexts=[r.get("titles") for r in rows]),  # fmt: skip
    }
    if before_rev:
        old = load_before(before_rev).PiiDetector()

        def run_before(rows: Sequence[dict[str, Any]]) -> list[list[PiiSpan]]:
            res = old.detect_batch([r["text"] for r in rows])
            return [[PiiSpan(_OLD_TYPES.get(s.entity_type, s.entity_type), s.start, s.end, s.score) for s in spans]
                    for spans in res]  # fmt: skip

        out = {"before": run_before, **out}
    if base_rev:
        # Timing of this system includes the child process's start-up and model load.
        out = {**{k: v for k, v in out.items() if k != "after"}, "base": package_detector(base_rev),
               "after": out["after"]}  # fmt: skip
    return out


def _cpu() -> float:
    """CPU seconds of this process and its finished children (a ``base`` detector runs in one)."""
    import resource

    child = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + child.ru_utime + child.ru_stime


def cost_summary(cpu_seconds: Sequence[float], chars: int) -> dict[str, Any]:
    """CPU ms per 1,000 characters of each timed pass over a set, their median and their minimum.

    The median is the figure to read; the minimum is the pass least disturbed by other load."""
    per_1k = [round(c * 1000 / (chars / 1000), 2) for c in cpu_seconds]
    return {"passes": per_1k, "median": round(statistics.median(per_1k), 2), "min": min(per_1k)}


def run(before_rev: str | None, base_rev: str | None = None, passes: int = 3) -> dict[str, Any]:
    """Quality on every set, and the cost of ``passes`` timed passes per system and set, taken after a
    warm-up in interleaved order (pass 1 of every system, then pass 2 ...) so drift in machine load
    reaches every system alike."""
    data = {"business": business_rows(), "presidio_synth": synth_rows()}
    docs = docs_rows()
    results: dict[str, Any] = {"datasets": {}, "cost_ms_per_1k_chars": {}, "cost_passes": {}, "docs_spans": {}}
    detectors = systems(before_rev, base_rev)
    preds_of: dict[tuple[str, str], list[list[PiiSpan]]] = {}
    cpu_of: dict[tuple[str, str], list[float]] = {}
    load = [round(os.getloadavg()[0], 2)]
    for name, detect in detectors.items():
        detect(data["business"][:4])  # load models outside the timing
        for ds, rows in data.items():  # a whole untimed pass: caches and allocator warm, as in service
            preds_of[name, ds] = detect(rows)
    for _ in range(passes):
        for name, detect in detectors.items():
            for ds, rows in data.items():
                t0 = _cpu()
                preds = detect(rows)
                cpu_of.setdefault((name, ds), []).append(_cpu() - t0)
                if preds != preds_of[name, ds]:
                    raise RuntimeError(f"{name} found other spans on {ds} in a later pass")
        load.append(round(os.getloadavg()[0], 2))
    for name in detectors:
        for ds, rows in data.items():
            chars = sum(len(r["text"]) for r in rows)
            cost = cost_summary(cpu_of[name, ds], chars)
            results["cost_passes"].setdefault(name, {})[ds] = cost
            results["cost_ms_per_1k_chars"].setdefault(name, {})[ds] = cost["median"]
            preds = preds_of[name, ds]
            for split, idx in halves(rows).items():
                res = score([rows[i] for i in idx], [preds[i] for i in idx])
                results["datasets"].setdefault(ds, {}).setdefault(split, {})[name] = res
        if docs:
            preds = detectors[name](docs)
            for split in ("dev", "test"):
                idx = [i for i, r in enumerate(docs) if r["split"] == split]
                results["docs_spans"].setdefault(split, {})[name] = count_spans([docs[i] for i in idx],
                                                                                [preds[i] for i in idx])
    results["cost_load_avg_1m"] = load  # before the timed passes, then after each
    b = data["business"]
    results["business_set"] = {
        "texts": len(b), "spans": sum(len(r["spans"]) for r in b),
        "hard_negatives": sum(len(r["negatives"]) for r in b),
        "texts_without_pii": sum(not r["spans"] for r in b),
        "split_texts": dict(Counter(r["split"] for r in b)),
        "per_split": {
            split: {"texts": len(rs), "spans": sum(len(r["spans"]) for r in rs),
                    "hard_negatives": sum(len(r["negatives"]) for r in rs),
                    "texts_without_pii": sum(not r["spans"] for r in rs)}
            for split, idx in halves(b).items() for rs in [[b[i] for i in idx]]
        },
        "genres": len({r["genre"] for r in b}),
    }  # fmt: skip
    results["before_rev"] = before_rev
    results["base_rev"] = base_rev
    results["machine"] = {"python": platform.python_version(), "cpu_count": os.cpu_count()}
    return results


def _table(res: dict[str, Any]) -> list[str]:
    names = list(res)
    head = "| type | gold | " + " | ".join(f"{n} P / R / F1" for n in names) + " |"
    lines = [head, "|---|---|" + "---|" * len(names)]
    types = sorted({t for n in names for t in res[n]["per_type"]})
    for t in types:
        gold = max(res[n]["per_type"].get(t, {}).get("gold", 0) for n in names)
        cells = []
        for n in names:
            e = res[n]["per_type"].get(t)
            cells.append(f"{e['precision']:.3f} / {e['recall']:.3f} / {e['f1']:.3f}" if e else "-")
        lines.append(f"| {t} | {gold} | " + " | ".join(cells) + " |")
    for key, label in (("typed_micro", "**typed (micro)**"), ("any_type", "**any type**")):
        cells = [f"{res[n][key]['precision']:.3f} / {res[n][key]['recall']:.3f} / {res[n][key]['f1']:.3f}"
                 for n in names]  # fmt: skip
        lines.append(f"| {label} | | " + " | ".join(cells) + " |")
    negs = [f"{res[n]['hard_negatives']['flagged']} of {res[n]['hard_negatives']['total']}" for n in names]
    lines.append("| hard negatives flagged | | " + " | ".join(negs) + " |")
    return lines


def write_report(results: dict[str, Any], out: Path) -> None:
    bs = results["business_set"]
    lines = [
        "# PII detection: before vs after vs Presidio default (one run)",
        "",
        f"- `before`: the detector of revision `{results['before_rev']}`; "
        + (f"`base`: the detector package of revision `{results['base_rev']}` (run in a child process; its cost "
           "includes start-up and model load); " if results.get("base_rev") else "")
        + "`after`: this tree; "
        "`presidio_default`: Presidio's default recognizers on the same spaCy model, types mapped to ours.",
        f"- Business set (`evals/pii_synth.py`, Faker, 8 locales, {bs.get('genres', 12)} genres): {bs['texts']} "
        f"texts, {bs['spans']} personal-data spans, {bs['hard_negatives']} planted hard negatives, "
        f"{bs['texts_without_pii']} texts without personal data; split by template family {bs['split_texts']}: the "
        "test half comes from six genres, sentences, product suffixes and title kinds the dev half never uses "
        "(only dev was looked at while tuning). "
        + ("The dev half holds two families: `dev1` (the first six genres) and `dev2` (nine genres written after "
           "`dev1` was saturated, rows with `family: dev2`); `dev` is both. "
           if "dev2" in bs["per_split"] and "dev3" not in bs["per_split"] else "")
        + ("The dev half holds three families: `dev1` (the first six genres), `dev2` (nine genres written after "
           "`dev1` was saturated, rows with `family: dev2`) and `dev3` (eight genres written after `dev2` was "
           "tuned, rows with `family: dev3`); `dev` is all three. " if "dev3" in bs["per_split"] else "")
        + f"Per half: {bs['per_split']}.",
        "- presidio_synth: `../shared/data/presidio_synth` (MIT, microsoft/presidio-research), rows 0-499 dev, "
        "500-1499 test; ORGANIZATION/DATE_TIME/TITLE/AGE/NRP/DOMAIN_NAME are not personal data here: detections "
        "only on them are ignored.",
        "- Span match = any overlap. Any type: a gold span is covered by any prediction. Typed: same type.",
        "",
    ]
    labels = {"dev": "dev half", "test": "test half", "dev1": "dev half, first family (dev1)",
              "dev2": "dev half, second family (dev2)", "dev3": "dev half, third family (dev3)"}  # fmt: skip
    for ds, splits in results["datasets"].items():
        for split in ("dev", "dev1", "dev2", "dev3", "test"):
            if split in splits:
                lines += [f"## {ds}, {labels[split]}", "", *_table(splits[split]), ""]
    if results.get("docs_spans"):
        lines += ["## Spans put on product documentation (docs_qa_dev guides, no personal data expected)", "",
                  "Guides read at run time from `../shared/data/docs_qa_dev` (internal use only; counts, never text), "
                  "parsed as at ingest with their own title and headings as context; split by guide "
                  "(`evals.splits`).", "", "| half | system | guides | characters | spans | per 100k chars | by type |",
                  "|---|---|---|---|---|---|---|"]  # fmt: skip
        for split, by_sys in results["docs_spans"].items():
            for name, c in by_sys.items():
                types = ", ".join(f"{t} {n}" for t, n in c["by_type"].items()) or "-"
                lines.append(f"| {split} | {name} | {c['texts']} | {c['chars']:,} | {c['spans']} | "
                             f"{c['per_100k_chars']} | {types} |")  # fmt: skip
        lines.append("")
    sets = list(results["datasets"])
    passes = results.get("cost_passes", {})
    n = len(next(iter(next(iter(passes.values())).values()))["passes"]) if passes else 1
    lines += ["## Detection cost (CPU ms per 1,000 characters, batched)", "",
              f"After a warm-up pass, {n} timed passes over each set, interleaved across systems; median "
              f"(min). Load average (1 min) before the passes and after each: {results.get('cost_load_avg_1m')} "
              f"on {results['machine'].get('cpu_count')} cores.", "",
              "| system | " + " | ".join(sets) + " |", "|---|" + "---|" * len(sets)]  # fmt: skip
    for name, c in results["cost_ms_per_1k_chars"].items():
        cells = [f"{c[d]:.1f} ({passes[name][d]['min']:.1f})" if name in passes else f"{c[d]:.1f}" for d in sets]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += ["", "![per-type F1, business test half](pii_chart.png)", ""]
    (out / "report.md").write_text("\n".join(lines) + history(out / "report.md"), encoding="utf-8")


HISTORY_HEADINGS = ("## Changes on top of ", "## Earlier")


def history(path: Path) -> str:
    """The hand-written sections of an existing report (from its first change-history heading on),
    kept below the tables a new run writes."""
    if not path.is_file():
        return ""
    text = path.read_text(encoding="utf-8")
    starts = [i for h in HISTORY_HEADINGS for i in [text.find("\n" + h)] if i >= 0]
    return text[min(starts):] if starts else ""


def chart(results: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    res = results["datasets"]["business"]["test"]
    names = list(res)
    types = sorted({t for n in names for t in res[n]["per_type"]}) + ["typed (micro)", "any type"]
    fig, ax = plt.subplots(figsize=(13, 4.8))
    width = 0.8 / len(names)
    for k, n in enumerate(names):
        vals = [res[n]["per_type"].get(t, {}).get("f1", 0.0) for t in types[:-2]]
        vals += [res[n]["typed_micro"]["f1"], res[n]["any_type"]["f1"]]
        ax.bar([i + (k - (len(names) - 1) / 2) * width for i in range(len(types))], vals, width, label=n)
    ax.set_xticks(range(len(types)))
    ax.set_xticklabels(types, rotation=40, ha="right", fontsize=8)
    ax.set_ylim(0, 1.05)
    ax.set_title("F1 per type, business set, test half")
    ax.axhline(0.88, color="#c53030", linestyle="--", linewidth=0.8)
    ax.legend(loc="lower left")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description="PII detection benchmark")
    ap.add_argument("--out", type=Path, default=ROOT / "reports" / "pii")
    ap.add_argument("--before-rev", default=DEFAULT_BEFORE_REV, help="revision of the 'before' detector; '' skips")
    ap.add_argument("--passes", type=int, default=3, help="timed passes over each set per system (after a warm-up)")
    ap.add_argument("--base-rev", default="", help="a revision of the detector package (guardrails/pii/) to run "
                    "as 'base' in a child process, e.g. the branch point of a change; '' skips")  # fmt: skip
    ap.add_argument("--same-spans-as", default="", metavar="REV", help="only check that this tree finds the spans "
                    "the detector of REV finds on every set (exit status 1 if not)")  # fmt: skip
    args = ap.parse_args(argv)
    if args.same_spans_as:
        check = same_spans(args.same_spans_as)
        print(json.dumps(check, indent=2))
        if any(c["differ"] for c in check.values()):
            raise SystemExit(1)
        return {"same_spans": check}
    results = run(args.before_rev or None, args.base_rev or None, args.passes)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    write_report(results, args.out)
    chart(results, args.out / "pii_chart.png")
    print((args.out / "report.md").read_text(encoding="utf-8"))
    return results


if __name__ == "__main__":
    main()
