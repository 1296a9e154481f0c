"""Eval set loading and gold resolution.

Eval set JSONL (one case a line, e.g. corpora/demo/evalset.jsonl) with optional extensions:
``reference_spans`` (``[{"doc_id","start","end"}]``, character offsets into the source
file as stored in the corpus), ``doc_scope`` (the documents the question is asked about:
passed as ``doc_ids``) and ``category``.

Gold spans are resolved into the parsed-text coordinates that chunk offsets use: file
offsets through :class:`~evals.align.OffsetMap`, and cases with only
``reference_contexts`` by locating each context in its reference document (exact after
whitespace normalisation, else a fuzzy alignment). A case whose contexts cannot all be
located is scored at document level and counted as such in the report.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from evals.align import OffsetMap
from evals.metrics import Gold, Span, token_starts
from retrievers.access import AccessLevel, Principal

RELEVANCE_RULES = {"overlap": 0.0, "half_shorter": 0.5}


class EvalSetError(ValueError):
    """The eval set file is unusable; the message names the line."""


@dataclass
class EvalCase:
    id: str
    question: str
    principal: Principal
    reference_doc_ids: list[str]
    reference_contexts: list[str] = field(default_factory=list)
    reference_answer: str = ""
    forbidden_doc_ids: list[str] = field(default_factory=list)
    answerable: bool = True
    reference_spans: list[dict] = field(default_factory=list)
    doc_scope: list[str] | None = None
    category: str = ""
    # "overlap" (any shared character) or "half_shorter" (shared normalised tokens >= half of
    # the shorter of passage and gold span, the docs_qa_dev rule).
    relevance: str = "overlap"

    @property
    def doc_key(self) -> str:
        """The document that decides the case's half of the by-document split."""
        if self.reference_spans:
            return str(self.reference_spans[0]["doc_id"])
        if self.reference_doc_ids:
            return self.reference_doc_ids[0]
        if self.doc_scope:
            return self.doc_scope[0]
        return self.id  # no document at all (e.g. an unanswerable pool question): split by the case


def load_cases(path: Path, limit: int | None = None) -> list[EvalCase]:
    """Read an eval set; raises EvalSetError with the line number on bad input."""
    if not path.is_file():
        raise EvalSetError(f"eval set not found: {path}")
    cases: list[EvalCase] = []
    seen: set[str] = set()
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            p = row["principal"]
            case = EvalCase(
                id=str(row["id"]),
                question=str(row["question"]),
                principal=Principal(
                    subject=p.get("subject", f"eval:{row['id']}"),
                    tenant_id=str(p["tenant_id"]),
                    access_level=AccessLevel.parse(p["access_level"]),
                    roles=frozenset(p.get("roles", [])),
                ),
                reference_doc_ids=list(row.get("reference_doc_ids") or []),
                reference_contexts=list(row.get("reference_contexts") or []),
                reference_answer=str(row.get("reference_answer") or ""),
                forbidden_doc_ids=list(row.get("forbidden_doc_ids") or []),
                answerable=bool(row.get("answerable", True)),
                reference_spans=list(row.get("reference_spans") or []),
                doc_scope=list(row["doc_scope"]) if row.get("doc_scope") else None,
                category=str(row.get("category") or ""),
                relevance=str(row.get("relevance") or "overlap"),
            )
            if case.relevance not in RELEVANCE_RULES:
                raise ValueError(f"relevance must be one of {', '.join(RELEVANCE_RULES)}")
        except (KeyError, TypeError, ValueError) as exc:
            raise EvalSetError(f"{path}:{n}: bad eval case ({type(exc).__name__}: {exc})") from None
        if case.id in seen:
            raise EvalSetError(f"{path}:{n}: duplicate case id {case.id!r}")
        seen.add(case.id)
        cases.append(case)
        if limit and len(cases) >= limit:
            break
    if not cases:
        raise EvalSetError(f"{path}: no eval cases")
    return cases


def _norm_ws(text: str) -> tuple[str, list[int]]:
    """Text with whitespace runs collapsed to one space, and each output char's source offset."""
    out, idx = [], []
    prev_space = False
    for i, ch in enumerate(text):
        if ch.isspace():
            if prev_space:
                continue
            out.append(" ")
            prev_space = True
        else:
            out.append(ch.lower())
            prev_space = False
        idx.append(i)
    return "".join(out), idx


def locate(context: str, text: str, min_score: float = 90.0) -> tuple[int, int] | None:
    """Where ``context`` occurs in ``text`` (whitespace/case-insensitive, else fuzzy), or None."""
    ctx = re.sub(r"\s+", " ", context).strip().lower()
    if not ctx:
        return None
    norm, idx = _norm_ws(text)
    pos = norm.find(ctx)
    if pos >= 0:
        return idx[pos], idx[pos + len(ctx) - 1] + 1
    from rapidfuzz import fuzz

    al = fuzz.partial_ratio_alignment(ctx, norm, score_cutoff=min_score)
    if al is None or al.dest_end <= al.dest_start:
        return None
    return idx[al.dest_start], idx[al.dest_end - 1] + 1


class DocumentTexts:
    """Parsed text of corpus documents (parsed exactly as ingestion does), cached on disk."""

    def __init__(self, corpus: Path | None, cache_dir: Path | None = None):
        self.corpus = corpus
        self.cache_dir = cache_dir
        self._texts: dict[str, str | None] = {}
        self._maps: dict[str, OffsetMap] = {}
        self._tokens: dict[str, list[int]] = {}

    def raw(self, doc_id: str) -> bytes | None:
        if self.corpus is None:
            return None
        path = self.corpus / doc_id
        return path.read_bytes() if path.is_file() else None

    def parsed(self, doc_id: str) -> str | None:
        if doc_id in self._texts:
            return self._texts[doc_id]
        data = self.raw(doc_id)
        text = None
        if data is not None:
            from ingestion.parsing import ParseError, parse_bytes
            from ingestion.pipeline import PIPELINE_VERSION

            key = hashlib.sha256(data + PIPELINE_VERSION.encode() + doc_id.encode()).hexdigest()[:32]
            cached = self.cache_dir / f"{key}.txt" if self.cache_dir else None
            if cached is not None and cached.is_file():
                text = cached.read_text(encoding="utf-8")
            else:
                try:
                    text = parse_bytes(data, doc_id).text
                except ParseError:
                    text = None
                if cached is not None and text is not None:
                    cached.parent.mkdir(parents=True, exist_ok=True)
                    cached.write_text(text, encoding="utf-8")
        self._texts[doc_id] = text
        return text

    def token_starts(self, doc_id: str) -> list[int]:
        if doc_id not in self._tokens:
            self._tokens[doc_id] = token_starts(self.parsed(doc_id) or "")
        return self._tokens[doc_id]

    def offset_map(self, doc_id: str) -> OffsetMap | None:
        if doc_id not in self._maps:
            data, parsed = self.raw(doc_id), self.parsed(doc_id)
            if data is None or parsed is None:
                return None
            self._maps[doc_id] = OffsetMap(data.decode("utf-8-sig", errors="replace"), parsed)
        return self._maps[doc_id]


def resolve_gold(case: EvalCase, texts: DocumentTexts) -> Gold:
    """The case's gold in parsed-text coordinates (document level when spans cannot be placed)."""
    gold = _resolve_spans(case, texts)
    share = RELEVANCE_RULES[case.relevance]
    if share and gold.spans:
        gold.min_share = share
        for doc in {s.doc_id for s in gold.spans}:
            gold.token_starts[doc] = texts.token_starts(doc)
    return gold


def _resolve_spans(case: EvalCase, texts: DocumentTexts) -> Gold:
    docs = frozenset(case.reference_doc_ids)
    forbidden = frozenset(case.forbidden_doc_ids)
    spans: list[Span] = []
    if case.reference_spans:
        for s in case.reference_spans:
            m = texts.offset_map(s["doc_id"])
            if m is None:
                return Gold(docs, (), forbidden)
            a, b = m.span(int(s["start"]), int(s["end"]))
            spans.append(Span(s["doc_id"], a, b))
        return Gold(docs, tuple(spans), forbidden)
    if case.reference_contexts and case.reference_doc_ids:
        for ctx in case.reference_contexts:
            placed = None
            for doc in case.reference_doc_ids:
                text = texts.parsed(doc)
                if text is not None and (loc := locate(ctx, text)) is not None:
                    placed = Span(doc, *loc)
                    break
            if placed is None:
                return Gold(docs, (), forbidden)
            spans.append(placed)
    return Gold(docs, tuple(spans), forbidden)
