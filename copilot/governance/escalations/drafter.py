"""Drafting: retrieve the evidence one principal may see and compose a cited note.

Document-type targeting never widens access: the principal's visible documents are listed with
the principal's own access filter, and each section searches with ``doc_ids`` narrowed to the
visible documents of that type. Every evidence sentence is copied from a cited (redacted) chunk;
the caller's own words appear only as "Reported by ..." sentences.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from copilot.governance.escalations.model import (
    GAP_TEXT,
    SECTION_TITLES,
    DraftRequest,
    EvidenceItem,
    Note,
    NoteSection,
    NoteSentence,
)
from copilot.governance.escalations.plans import SectionPlan, load_plans
from copilot.governance.escalations.rewrite import CompleteFn, rewrite_with_llm
from guardrails.citations import content_terms, is_factual, split_sentences
from guardrails.redaction import PlaceholderMap, redact
from retrievers.access import Principal, access_filter
from retrievers.schema import Chunk, ScoredChunk


class ResponseRedactorLike(Protocol):
    """What drafting needs from :class:`copilot.core.redact.ResponseRedactor` (one per response)."""

    reveal: frozenset[str]
    placeholders: PlaceholderMap

    def free_text(self, text: str) -> str: ...


def default_redactor(principal: Principal) -> ResponseRedactorLike:
    """The default policy (reveals nothing), with stored spans only (no detector for free text)."""
    from copilot.core.redact import ResponseRedactor, load_policy

    return ResponseRedactor(principal, load_policy(None), None)


_TERMINAL_RE = re.compile(r"[.!?)]\s*$")
_WRAPPED_RE = re.compile(r"(?<=[\w,])\s*\n\s*\n\s*(?=[a-z(])")


def unwrap(text: str) -> str:
    """Join a sentence that PDF extraction broke across paragraphs ("... batch-managed and\n\nserial-managed")."""
    return _WRAPPED_RE.sub(" ", text)


def _candidate_sentences(text: str) -> list[str]:
    """Complete sentences of a (redacted) chunk, without headings and lead-ins."""
    out = []
    for s in split_sentences(unwrap(text), strip_markers=True):
        s = s.strip()
        if len(s) < 20 or not _TERMINAL_RE.search(s) or not is_factual(s):
            continue
        out.append(s)
    return out


@dataclass
class _Picked:
    text: str
    chunk: Chunk
    redacted_chunk: str
    score: float
    order: tuple[int, int]


def _scope_label(chunk: Chunk) -> str:
    """Whether a SOW sentence states scope, an exclusion or something else (so a list item reads right)."""
    heading = (chunk.section_path[-1] if chunk.section_path else "").lower()
    if re.search(r"exclu|not part|out of scope|not included", heading):
        return "Excluded"
    if "scope" in heading:
        return "In scope"
    if not chunk.section_path:
        return "Statement of work"
    return re.sub(r"^\d+(\.\d+)*\.?\s*", "", chunk.section_path[-1]).strip()


def _section_label(chunk: Chunk) -> str:
    """The section path without a leading document title (the title is shown separately)."""
    path = list(chunk.section_path)
    if path and path[0].strip() == chunk.title.strip():
        path = path[1:]
    return " > ".join(path)


def _snippet(text: str, limit: int = 320) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def _choose(plan: SectionPlan, cands: list[_Picked], already: list[_Picked]) -> list[_Picked]:
    """The plan's best distinct sentences (document order for whole-chunk plans)."""
    cands.sort(key=(lambda c: c.order) if plan.whole_chunk else (lambda c: -c.score))
    chosen: list[_Picked] = []
    seen: set[str] = {p.text for p in already}
    for c in cands:
        if c.text in seen:
            continue
        seen.add(c.text)
        chosen.append(c)
        if len(chosen) >= plan.max_sentences:
            break
    if plan.keep_order:
        # A ladder reads top to bottom: keep the document order of the best chunk's sentences.
        chosen.sort(key=lambda c: c.order)
    return chosen


class _Composer:
    """Numbers cited chunks and builds the note's sections for one request."""

    def __init__(self, req: DraftRequest, principal: Principal, rr: ResponseRedactorLike):
        self.req, self.principal, self.rr = req, principal, rr
        self.evidence: list[EvidenceItem] = []
        self.n_by_chunk: dict[str, int] = {}
        self.chunk_text_by_n: dict[int, str] = {}

    def cite(self, p: _Picked) -> int:
        n = self.n_by_chunk.get(p.chunk.chunk_id)
        if n is None:
            n = len(self.evidence) + 1
            self.n_by_chunk[p.chunk.chunk_id] = n
            self.chunk_text_by_n[n] = p.redacted_chunk
            c = p.chunk
            self.evidence.append(EvidenceItem(
                n=n, chunk_id=c.chunk_id, doc_id=c.doc_id, tenant_id=c.tenant_id, doc_type=c.doc_type,
                title=c.title, section=_section_label(c), page=c.page, snippet=_snippet(p.redacted_chunk),
                access_level=int(c.access_level),
            ))
        return n

    def reported(self, text: str) -> NoteSentence:
        clean = self.rr.free_text(text).strip()
        if clean and clean[-1] not in ".!?":
            clean += "."
        return NoteSentence(f"Reported by {self.principal.subject}: {clean}", "reported")

    def section(self, key: str, title: str, picked: list[_Picked]) -> NoteSection:
        req = self.req
        sec = NoteSection(key, title)
        if key == "summary":
            # Customer and severity are in the note's header; the sentence carries the user's words only.
            sec.sentences.append(self.reported(req.summary))
        if key == "impact":
            sec.sentences.extend(self.reported(f) for f in req.observed_facts)
        for p in picked:
            label = _scope_label(p.chunk) if key == "scope_check" else None
            sec.sentences.append(NoteSentence(p.text, "evidence", [self.cite(p)], label))
        if key in GAP_TEXT and not any(s.kind == "evidence" for s in sec.sentences):
            project = req.project_ref or req.customer
            sec.sentences.append(NoteSentence(GAP_TEXT[key].format(severity=req.severity, project=project), "gap"))
        return sec


class EscalationDrafter:
    """Builds a :class:`Note` for one principal from the permission-aware retriever."""

    def __init__(
        self,
        retriever: Any,
        *,
        redactor: Callable[[Principal], ResponseRedactorLike] | None = None,
        complete: CompleteFn | None = None,
        k: int = 6,
        plans_path: Path | str | None = None,
    ):
        self.retriever = retriever
        self.redactor = redactor or default_redactor
        self.complete = complete
        self.k = k
        self.plans_path = plans_path

    def _visible_docs(self, principal: Principal) -> list[Any]:
        return list(self.retriever.store.list_documents(access_filter(principal)))

    def _sow_doc_ids(self, req: DraftRequest, docs: Sequence[Any], principal: Principal) -> list[str]:
        """The statement(s) of work the request names, among the principal's visible SOWs."""
        sows = [d for d in docs if d.doc_type == "sow"]
        keys = [k.lower() for k in (req.project_ref, req.customer) if k and len(k) >= 3]
        exact = [d.doc_id for d in sows if any(k in f"{d.title} {d.doc_id}".lower() for k in keys)]
        if exact:
            return exact
        # The title does not name it: search the visible SOWs for the reference or customer and
        # accept the best document only when its text really contains one of them.
        query = " ".join(k for k in (req.project_ref, req.customer) if k)
        if not query or not sows:
            return []
        hits = self.retriever.search(query, principal, k=5, doc_ids=[d.doc_id for d in sows])
        for h in hits:
            if any(k in h.chunk.text.lower() for k in keys):
                return [h.chunk.doc_id]
        return []

    def _candidates(self, plan: SectionPlan, hits: list[ScoredChunk], ctx: dict[str, Any]) -> list[_Picked]:
        """Sentences of the hits that qualify for ``plan``, scored."""
        rr, req, issue_terms, cache = ctx["rr"], ctx["req"], ctx["issue_terms"], ctx["cache"]
        focus = content_terms(" ".join(plan.focus))
        if plan.whole_chunk:
            hits = [h for h in hits if plan.focus and content_terms(h.chunk.text) & focus][:1]
        cands: list[_Picked] = []
        for rank, h in enumerate(hits):
            red = cache.get(h.chunk.chunk_id)
            if red is None:
                # Keep the line structure (sentence splitting needs it); collapse only for display.
                red = redact(h.chunk.text, h.chunk.pii_spans, reveal=rr.reveal, placeholders=rr.placeholders)
                cache[h.chunk.chunk_id] = red
            for i, s in enumerate(_candidate_sentences(red)):
                if (plan.require is not None and not plan.require.search(s)) or (
                        plan.exclude is not None and plan.exclude.search(s)):
                    continue
                terms = content_terms(s)
                overlap = len(terms & issue_terms)
                if overlap < plan.min_issue_overlap:
                    continue
                score = len(terms & focus) + (1.5 * overlap if plan.use_issue_terms else 0.0) + 1.0 / (1 + rank)
                if plan.severity_bonus and re.search(rf"\b{re.escape(req.severity)}\b", s):
                    score += plan.severity_bonus
                if score < plan.min_score and not plan.whole_chunk:
                    continue
                cands.append(_Picked(s, h.chunk, red, score, (rank, i)))
        return cands

    def draft(self, req: DraftRequest, principal: Principal, *, raw: DraftRequest | None = None) -> Note:
        """The note for ``req`` from the evidence ``principal`` may see.

        ``raw`` (the request before redaction for storage) is used only to find the SOW it names;
        nothing of it enters the note.
        """
        req = req.validated()
        rr = self.redactor(principal)
        docs = self._visible_docs(principal)
        by_type: dict[str, list[str]] = {}
        for d in docs:
            by_type.setdefault(d.doc_type, []).append(d.doc_id)
        sow_ids = self._sow_doc_ids(raw.validated() if raw is not None else req, docs, principal)
        issue_terms = content_terms(rr.free_text(" ".join([req.summary, *req.observed_facts])))
        ctx: dict[str, Any] = {"rr": rr, "req": req, "issue_terms": issue_terms, "cache": {}}
        picked: dict[str, list[_Picked]] = {}
        for plan in load_plans(req, self.plans_path):
            doc_ids = sow_ids if plan.key == "scope_check" else [i for t in plan.doc_types for i in by_type.get(t, [])]
            if not doc_ids:
                continue
            hits = self.retriever.search(plan.query, principal, k=max(plan.k, self.k), doc_ids=doc_ids)
            chosen = _choose(plan, self._candidates(plan, hits, ctx), picked.get(plan.key, []))
            picked.setdefault(plan.key, []).extend(chosen)
        composer = _Composer(req, principal, rr)
        sections = [composer.section(key, title, picked.get(key, [])) for key, title in SECTION_TITLES.items()]
        note = Note(sections=sections, evidence=composer.evidence, mode="extractive")
        if self.complete is not None:
            note = rewrite_with_llm(note, req, composer.chunk_text_by_n, self.complete)
        return note
