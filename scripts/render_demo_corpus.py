"""Render the DOCX and PDF documents of the demo corpus (``corpora/demo``) from their text sources.

Sources live under ``corpora/demo/src/docs/`` and mirror ``docs/``; a source is named after its
target plus ``.md`` (``src/docs/shared/playbooks/cutover-checklist.docx.md`` renders
to ``docs/shared/playbooks/cutover-checklist.docx``). The source markup is a small
Markdown subset: ``#``/``##``/``###`` headings, ``- `` bullets and blank-line
separated paragraphs. Keeping text sources in the repository lets the eval set quote
the exact wording of binary documents, and lets the corpus be re-rendered after edits.

It also builds ``evalset.jsonl`` from ``src/evalset.yaml``, expanding the short
document keys and ``tenant/level`` principals used there into the eval-set format of
DESIGN.md.

Usage (from the repository root)::

    .venv/bin/python scripts/render_demo_corpus.py          # render every source + the eval set
    .venv/bin/python scripts/render_demo_corpus.py --check  # fail if a rendered file is missing

Markdown, TXT and HTML documents are written directly under ``docs/`` and are not
rendered. Needs reportlab and python-docx (both in the project's dev dependencies).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from xml.sax.saxutils import escape

# The corpus this renders (corpora/ holds data only; its tooling lives here).
ROOT = Path(__file__).resolve().parents[1] / "corpora" / "demo"
SRC = ROOT / "src" / "docs"
DOCS = ROOT / "docs"
# Fixed document dates keep re-renders byte-stable where the libraries allow it.
FIXED_DATE = datetime(2026, 1, 1, 9, 0, 0)


@dataclass
class Block:
    kind: str  # "h1" | "h2" | "h3" | "p" | "ul"
    text: str = ""
    items: list[str] | None = None


def parse_source(text: str) -> list[Block]:
    """Split the Markdown subset into heading, paragraph and bullet-list blocks."""
    blocks: list[Block] = []
    para: list[str] = []
    items: list[str] = []

    def flush() -> None:
        if para:
            blocks.append(Block("p", " ".join(para)))
            para.clear()
        if items:
            blocks.append(Block("ul", items=list(items)))
            items.clear()

    for raw in text.splitlines():
        line = raw.rstrip()
        if not line.strip():
            flush()
        elif line.startswith("#"):
            flush()
            hashes = len(line) - len(line.lstrip("#"))
            blocks.append(Block(f"h{min(hashes, 3)}", line[hashes:].strip()))
        elif line.startswith("- "):
            if para:
                flush()
            items.append(line[2:].strip())
        elif items and raw.startswith("  "):
            items[-1] += " " + line.strip()  # continuation of a bullet
        else:
            if items:
                flush()
            para.append(line.strip())
    flush()
    return blocks


def title_of(blocks: list[Block], fallback: str) -> str:
    return next((b.text for b in blocks if b.kind == "h1"), fallback)


def render_docx(blocks: list[Block], target: Path) -> None:
    from docx import Document

    doc = Document()
    props = doc.core_properties
    props.title = title_of(blocks, target.stem)
    props.author = "Verdant ERP (fictional demo corpus)"
    props.created = FIXED_DATE
    props.modified = FIXED_DATE
    props.last_modified_by = "Verdant ERP"
    props.revision = 1
    for b in blocks:
        if b.kind == "h1":
            doc.add_heading(b.text, level=0)  # "Title" style
        elif b.kind == "h2":
            doc.add_heading(b.text, level=1)
        elif b.kind == "h3":
            doc.add_heading(b.text, level=2)
        elif b.kind == "p":
            doc.add_paragraph(b.text)
        else:
            for item in b.items or []:
                doc.add_paragraph(item, style="List Bullet")
    doc.save(str(target))
    _fix_zip_dates(target)


def _fix_zip_dates(path: Path) -> None:
    """Rewrite the DOCX zip with fixed member dates so unchanged sources give identical bytes."""
    import zipfile

    with zipfile.ZipFile(path) as zin:
        members = [(info, zin.read(info.filename)) for info in zin.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for info, data in members:
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_DATE.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            zout.writestr(fixed, data)


def render_pdf(blocks: list[Block], target: Path) -> None:
    from reportlab import rl_config
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
    from reportlab.lib.units import cm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

    rl_config.invariant = 1  # no timestamps or random ids: stable bytes across renders
    styles = getSampleStyleSheet()
    title = title_of(blocks, target.stem)
    bullet_style = ParagraphStyle("Bullet", parent=styles["BodyText"], leftIndent=12, spaceBefore=0, spaceAfter=2)

    class Doc(SimpleDocTemplate):
        def afterFlowable(self, flowable):  # noqa: N802 - reportlab hook name
            # Real PDF outline entries, so readers and parsers see the heading structure.
            style = getattr(flowable, "style", None)
            name = getattr(style, "name", "")
            if name in ("Title", "Heading1", "Heading2"):
                text = flowable.getPlainText()
                key = f"h{id(flowable)}"
                level = {"Title": 0, "Heading1": 1, "Heading2": 2}[name]
                self.canv.bookmarkPage(key)
                self.canv.addOutlineEntry(text, key, level=level, closed=False)

    def footer(canvas, doc):
        canvas.saveState()
        canvas.setFont("Helvetica", 8)
        canvas.drawString(2 * cm, 1.2 * cm, f"Verdant ERP - {title}")
        canvas.drawRightString(A4[0] - 2 * cm, 1.2 * cm, f"Page {doc.page}")
        canvas.restoreState()

    story = []
    for b in blocks:
        if b.kind == "h1":
            story.append(Paragraph(escape(b.text), styles["Title"]))
        elif b.kind == "h2":
            story.append(Paragraph(escape(b.text), styles["Heading1"]))
        elif b.kind == "h3":
            story.append(Paragraph(escape(b.text), styles["Heading2"]))
        elif b.kind == "p":
            story.append(Paragraph(escape(b.text), styles["BodyText"]))
        else:
            # The dash is part of the line (no separately drawn bullet glyph), so text
            # extractors keep each item in one text box and in reading order.
            for item in b.items or []:
                story.append(Paragraph("- " + escape(item), bullet_style))
            story.append(Spacer(1, 4))
    doc = Doc(
        str(target),
        pagesize=A4,
        title=title,
        author="Verdant ERP (fictional demo corpus)",
        leftMargin=2 * cm,
        rightMargin=2 * cm,
        topMargin=2 * cm,
        bottomMargin=2 * cm,
    )
    doc.build(story, onFirstPage=footer, onLaterPages=footer)


RENDERERS = {".docx": render_docx, ".pdf": render_pdf}
EVAL_SRC = ROOT / "src" / "evalset.yaml"
EVAL_OUT = ROOT / "evalset.jsonl"


def build_evalset() -> list[dict]:
    """Expand src/evalset.yaml into eval-set records (answerable iff references exist)."""
    import yaml

    spec = yaml.safe_load(EVAL_SRC.read_text(encoding="utf-8"))
    keys: dict[str, str] = spec["docs"]
    records = []
    seen: set[str] = set()
    for case in spec["cases"]:
        if case["id"] in seen:
            raise SystemExit(f"duplicate eval case id {case['id']}")
        seen.add(case["id"])
        tenant, level = case["who"].split("/")
        refs = [keys[k] for k in case.get("refs") or []]
        records.append(
            {
                "id": case["id"],
                "question": case["q"],
                "principal": {"tenant_id": tenant, "access_level": level},
                "reference_doc_ids": refs,
                "reference_contexts": list(case.get("ctx") or []),
                "reference_answer": case.get("ans") or "",
                "forbidden_doc_ids": [keys[k] for k in case.get("forbid") or []],
                "answerable": bool(refs),
            }
        )
    return records


def write_evalset() -> None:
    import json

    lines = [json.dumps(r, ensure_ascii=False) for r in build_evalset()]
    EVAL_OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {EVAL_OUT.relative_to(ROOT)} ({len(lines)} cases)")


def targets() -> list[tuple[Path, Path]]:
    """(source, target) pairs for every source under src/docs."""
    pairs = []
    for src in sorted(SRC.rglob("*.md")):
        rel = src.relative_to(SRC).with_suffix("")  # strip the trailing .md
        if rel.suffix not in RENDERERS:
            raise SystemExit(f"{src}: source name must end in .docx.md or .pdf.md")
        pairs.append((src, DOCS / rel))
    return pairs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check that every target exists")
    args = parser.parse_args(argv)
    missing = []
    for src, target in targets():
        if args.check:
            if not target.exists():
                missing.append(target)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        RENDERERS[target.suffix](parse_source(src.read_text(encoding="utf-8")), target)
        print(f"rendered {target.relative_to(ROOT)}")
    if not args.check:
        write_evalset()
    elif not EVAL_OUT.exists():
        missing.append(EVAL_OUT)
    for m in missing:
        print(f"missing {m.relative_to(ROOT)}", file=sys.stderr)
    return 1 if missing else 0


if __name__ == "__main__":
    raise SystemExit(main())
