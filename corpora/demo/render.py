"""Render the DOCX and PDF documents of the demo corpus from their text sources.

Sources live under ``src/docs/`` and mirror ``docs/``; a source is named after its
target plus ``.md`` (``src/docs/shared/playbooks/cutover-checklist.docx.md`` renders
to ``docs/shared/playbooks/cutover-checklist.docx``). The source markup is a small
Markdown subset: ``#``/``##``/``###`` headings, ``- `` bullets and blank-line
separated paragraphs. Keeping text sources in the repository lets the eval set quote
the exact wording of binary documents, and lets the corpus be re-rendered after edits.

Usage (from the repository root)::

    .venv/bin/python corpora/demo/render.py          # render every source
    .venv/bin/python corpora/demo/render.py --check  # fail if a rendered file is missing

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

ROOT = Path(__file__).resolve().parent
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


def render_pdf(blocks: list[Block], target: Path) -> None:
    from reportlab import rl_config
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import cm
    from reportlab.platypus import ListFlowable, ListItem, Paragraph, SimpleDocTemplate, Spacer

    rl_config.invariant = 1  # no timestamps or random ids: stable bytes across renders
    styles = getSampleStyleSheet()
    title = title_of(blocks, target.stem)

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
            story.append(
                ListFlowable(
                    [ListItem(Paragraph(escape(i), styles["BodyText"])) for i in b.items or []],
                    bulletType="bullet",
                    start="-",
                    leftIndent=14,
                )
            )
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
    for m in missing:
        print(f"missing {m.relative_to(ROOT)}", file=sys.stderr)
    return 1 if missing else 0


if __name__ == "__main__":
    raise SystemExit(main())
