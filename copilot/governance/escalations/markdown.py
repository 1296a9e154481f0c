"""The note as Markdown (what webhooks and the chat show)."""

from __future__ import annotations

from copilot.governance.escalations.model import DraftRequest, Note, NoteSentence


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _sentence_line(s: NoteSentence) -> str:
    if s.kind == "evidence":
        marks = "".join(f"[{n}]" for n in s.citations)
        label = f"**{s.label}:** " if s.label else ""
        return f"- {label}{s.text} {marks}"
    if s.kind == "reported":
        return f"- *{s.text}*"
    return f"- {s.text}"


def render_markdown(note: Note, request: DraftRequest, *, drafted_by: str, status: str) -> str:
    """The note as Markdown: metadata table, one heading per section, the evidence list."""
    lines = [
        f"# Escalation note: {_md_escape(request.customer)} ({request.severity})",
        "",
        "| Field | Value |",
        "|---|---|",
        f"| Customer | {_md_escape(request.customer)} |",
        f"| Project / SOW | {_md_escape(request.project_ref) or '(not given)'} |",
        f"| Severity | {request.severity} |",
        f"| Drafted by | `{drafted_by.replace('`', '')}` |",
        f"| Status | {status} |",
        "",
    ]
    for sec in note.sections:
        lines += [f"## {sec.title}", "", *(_sentence_line(s) for s in sec.sentences), ""]
    lines += ["## Evidence", ""]
    if not note.evidence:
        lines.append("No documents were cited.")
    for e in note.evidence:
        where = e.section or e.title
        page = f", page {e.page}" if e.page else ""
        lines.append(f"{e.n}. **{_md_escape(e.title)}**: {_md_escape(where)}{page} (`{e.doc_id}`)")
    if note.notices:
        lines.append("")
        lines += [f"> {msg}" for msg in note.notices]
    return "\n".join(lines).rstrip() + "\n"
