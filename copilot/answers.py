"""Cited answers from retrieved chunks: extractive by default, generative with an LLM.

Extractive: split the top chunks into sentences (keeping offsets into the chunk,
so stored PII spans still apply), score each sentence against the question by
embedding similarity (one batched encode per request) plus content-word overlap,
keep the best 1-4, print them in document order per chunk and cite the chunk of
each with ``[n]``. A best score under ``answer_min_confidence`` refuses with a
message that names the scope searched, never whether hidden documents exist.

Injection: sentences of chunks the ingest screen flagged are screened again one by
one and a flagged sentence is never a candidate, so an injected document cannot put
its instruction into the answer. In generative mode every chunk reaches the model
only inside :func:`wrap_untrusted` (flagged chunks are left out entirely when
``exclude_injection_flagged`` is set), after redaction, and each sentence of the
draft is checked against the chunk it cites; unsupported sentences are removed.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from copilot.redact import ResponseRedactor, shift_spans
from copilot.settings import Settings
from guardrails.citations import citation_precision, content_terms, is_factual, split_sentences, strip_citations
from guardrails.injection import DATA_INSTRUCTION, screen, wrap_untrusted
from guardrails.redaction import mask_for_index
from retrievers.access import SHARED_TENANT, Principal
from retrievers.embeddings import Embedder, SentenceVectors
from retrievers.query import MentionScoper, QueryPlan
from retrievers.retriever import Retriever
from retrievers.schema import Chunk, ScoredChunk

log = logging.getLogger("copilot.answers")

# Score = W_SEM * cosine(question, sentence) + W_LEX * share of question terms in the sentence
# + a small prior for the retriever's rank. Weights and the refusal threshold were chosen on the
# demo eval set: at 0.46, 96% of answerable questions are answered and 56% of unanswerable ones refused
# (many unanswerable cases ask for facts that sit in documents the principal may not see). With the
# identifier penalty and the uncovered-specifics refusal below: 95.7% answered, 69.8% refused.
W_SEM = 0.65
W_LEX = 0.35
RANK_PRIOR = 0.04
RELATIVE_MARGIN = 0.12  # further sentences must score within this of the best one
NEAR_DUPLICATE = 0.92  # cosine between two picked sentences above which the second is dropped
MAX_CANDIDATES = 32  # sentences scored per request (prefiltered by overlap and rank)
MAX_CHUNKS_READ = 5  # sentences come from the best few chunks only
MIN_SENTENCE_CHARS = 25
MAX_SENTENCE_CHARS = 600

_HEADING_RE = re.compile(r"^\s*#{1,6}\s+")
_BULLET_RE = re.compile(r"^\s*(?:[-*•·▪‣–]|\d{1,3}[.)]|[a-zA-Z][.)]|\(\w{1,3}\))\s+")
_BOUNDARY_RE = re.compile(r"[.!?]+[\"'’”)\]]*(?=\s+[\"'“‘(\[*]?[A-Z0-9])")
_ABBREV_RE = re.compile(r"(?:\b(?:e\.g|i\.e|cf|vs|approx|incl|no|nr|art|sec|fig|p|pp|para|mr|mrs|ms|dr|st|inc|ltd|co"
                        r"|corp|dept|etc)|\b[A-Z])\.$", re.I)
_TABLE_RULE_RE = re.compile(r"^\s*\|?\s*:?-{3,}")


@dataclass(frozen=True)
class Sentence:
    """A candidate sentence: [start, end) into ``chunk.text``."""

    hit_rank: int
    chunk: Chunk
    start: int
    end: int
    text: str  # whitespace-collapsed raw sentence (may contain personal data; never leaves unredacted)
    embed_text: str  # the same with personal data masked: what the model sees


def chunk_sentences(chunk: Chunk) -> list[tuple[int, int, str, str]]:
    """(start, end, flat text, masked flat text) of a chunk's candidate sentences."""
    out = []
    for s, e in sentence_spans(chunk.text):
        raw = chunk.text[s:e]
        if len(raw) < MIN_SENTENCE_CHARS or len(raw) > MAX_SENTENCE_CHARS or "|" in raw:
            continue
        flat = " ".join(raw.split())
        # A heading-like fragment (no end punctuation, few words) is not an answer.
        if flat[-1] not in ".!?;:)" and len(flat.split()) < 8:
            continue
        if not is_factual(flat):
            continue
        spans = shift_spans(chunk.pii_spans, s, e)
        masked = " ".join(mask_for_index(raw, spans).split()) if spans else flat
        out.append((s, e, flat, masked))
    return out


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Sentence [start, end) offsets in ``text``: blocks break at blank lines, headings and bullets,
    sentences at terminal punctuation followed by a capital or digit (not after abbreviations)."""
    blocks: list[tuple[int, int]] = []
    pos = 0
    cur: tuple[int, int] | None = None
    for line in text.splitlines(keepends=True):
        ls, le = pos, pos + len(line.rstrip("\r\n"))
        pos += len(line)
        body = text[ls:le]
        if not body.strip() or _TABLE_RULE_RE.match(body):
            if cur:
                blocks.append(cur)
            cur = None
            continue
        marker = _HEADING_RE.match(body) or _BULLET_RE.match(body)
        heading = bool(_HEADING_RE.match(body))
        if marker:
            if cur:
                blocks.append(cur)
            cur = None
            ls += marker.end()
        cur = (cur[0], le) if cur else (ls, le)
        if heading or body.rstrip().endswith(":"):
            blocks.append(cur)
            cur = None
    if cur:
        blocks.append(cur)
    out: list[tuple[int, int]] = []
    for bs, be in blocks:
        block = text[bs:be]
        start = 0
        for m in _BOUNDARY_RE.finditer(block):
            if _ABBREV_RE.search(block[start : m.start() + 1]):
                continue
            out.append((bs + start, bs + m.end()))
            start = m.end()
            while start < len(block) and block[start].isspace():
                start += 1
        if block[start:].strip():
            out.append((bs + start, be))
    # Trim surrounding whitespace so offsets point at the sentence itself.
    trimmed = []
    for s, e in out:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            trimmed.append((s, e))
    return trimmed


@dataclass
class Citation:
    n: int
    doc_id: str
    title: str
    section: str
    page: int | None
    chunk_id: str
    char_start: int
    char_end: int
    snippet: str

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class Answer:
    answer: str
    citations: list[Citation]
    grounded: bool
    refused: bool
    mode: str
    confidence: float
    retrieved_chunk_ids: list[str]
    sentences: list[str] = field(default_factory=list)  # answer pieces, for streaming
    removed_sentences: int = 0
    details: dict[str, Any] = field(default_factory=dict)


# Identifiers (P2, SEV-1, 2027.1, CR-03) and proper names in the middle of a question
# ("Birch Digital", "Australia") name what the question is about. When none of the
# passages read mentions one of them, the best-scoring sentence is about something
# else (another partner's contract, another release): refusing beats a confident
# answer about the wrong thing. The check only reads what the principal may see.
_SPECIFIC_CODE_RE = re.compile(r"\b(?:[A-Za-z]{1,6}-?\d+(?:\.\d+)?[A-Za-z]*|\d{4}\.\d+)\b")
_PROPER_RE = re.compile(r"(?<=[a-z,;:'’]\s)([A-Z][\w’'&-]*(?:\s+[A-Z][\w’'&-]*)*)")
_GENERIC_PROPER = frozenset({"I", "ERP", "API", "SLA", "SOW", "UAT", "PDF", "EUR", "GBP", "USD", "OK"})


CODE_MISS_PENALTY = 0.2


def uncovered_specifics(question: str, hits: Sequence[ScoredChunk]) -> list[str]:
    """Codes and proper names of the question that no read passage (text, title, section) mentions."""
    haystack = " ".join(
        f"{h.chunk.title} {' '.join(h.chunk.section_path)} {h.chunk.text}" for h in hits
    ).lower()
    haystack_flat = re.sub(r"[\s-]+", " ", haystack)
    wanted: list[str] = [m.group() for m in _SPECIFIC_CODE_RE.finditer(question)]
    for m in _PROPER_RE.finditer(question):
        words = [w.rstrip("’'s").rstrip("’'") for w in m.group(1).split()]
        words = [w for w in words if w and w not in _GENERIC_PROPER]
        wanted.extend(words)
    missing: list[str] = []
    for term in dict.fromkeys(wanted):
        t = re.sub(r"[\s-]+", " ", term.lower())
        if t and t not in haystack_flat:
            missing.append(term)
    return missing


def evidence_question(question: str, plan: QueryPlan) -> str:
    """What a passage must answer: the question with the document mention that chose the scope
    turned into a plain reference ("Which law governs this agreement?").

    "Which law governs the Agency Agreement between Mutual Insurance and Stratton?" was scoped to
    that agreement by its title words; left in, the parties' names match passages all over the
    agreement and make any passage look like an answer. Questions that name no document, or
    whose scope the caller gave, are judged as asked.
    """
    return plan.evidence_text or question  # set only when a mentioned title chose the scope


def refusal_message(principal: Principal, doc_scope: bool) -> str:
    """Says what was searched, identical whether or not hidden documents exist."""
    own = "your organisation's documents" if principal.tenant_id != SHARED_TENANT else "the vendor's internal library"
    extra = ""
    if principal.acting_for:
        extra = f", the documents of {', '.join(sorted(principal.acting_for))}"
    scope = f"{own}{extra} and the shared partner library, at the {principal.access_level.label} access level"
    if doc_scope:
        scope += ", limited to the documents you selected"
    return (
        f"I could not find a confident answer in {scope}. "
        "Try rephrasing the question with the product area, process or document name, "
        "or ask your partner manager if the information should be available to you."
    )


class Answerer:
    """Retrieval plus extractive (or, when an LLM is configured, generative) answering."""

    def __init__(
        self, retriever: Retriever, embedder: Embedder, settings: Settings, llm: Any | None = None,
        scoper: MentionScoper | None = None,
    ):
        self.retriever = retriever
        self.scoper = scoper
        self.embedder = embedder
        self.settings = settings
        self.llm = llm
        # One cache with the sentence rerank stage when there is one (same model, same sentences).
        shared = getattr(retriever.reranker, "vectors", None)
        self.vectors = shared if isinstance(shared, SentenceVectors) else SentenceVectors(embedder)

    # ---- retrieval -------------------------------------------------------------
    def retrieve(self, question: str, principal: Principal, doc_ids: Sequence[str] | None) -> list[ScoredChunk]:
        return self.retriever.search(question, principal, k=self.settings.answer_top_k, doc_ids=doc_ids,
                                     rerank=self.settings.rerank)

    def plan(self, question: str, principal: Principal, doc_ids: Sequence[str] | None) -> QueryPlan:
        """The caller's scope when given; else the document the question names, if any."""
        if doc_ids is not None or self.scoper is None or not self.settings.query_doc_scope:
            return QueryPlan(query=question, text=question, doc_ids=list(doc_ids) if doc_ids is not None else None)
        return self.scoper.plan(question, principal)

    # ---- extractive ------------------------------------------------------------
    def _candidates(self, hits: list[ScoredChunk], q_terms: set[str]) -> list[tuple[Sentence, float]]:
        """Sentences worth scoring, with their lexical overlap; flagged instruction sentences never."""
        out: list[tuple[Sentence, float]] = []
        for rank, hit in enumerate(hits[:MAX_CHUNKS_READ]):
            c = hit.chunk
            if c.injection_flag and self.settings.exclude_injection_flagged:
                continue
            for s, e, flat, masked in chunk_sentences(c):
                if c.injection_flag and screen(flat).flagged:
                    continue
                terms = content_terms(flat)
                lex = len(q_terms & terms) / len(q_terms) if q_terms else 0.0
                out.append((Sentence(rank, c, s, e, flat, masked), lex))
        # Keep the batch small: the most overlapping sentences, earlier chunks first on ties.
        n = max(min(len(hits), MAX_CHUNKS_READ), 1)
        out.sort(key=lambda x: (-(x[1] + RANK_PRIOR * (1 - x[0].hit_rank / n)), x[0].hit_rank))
        return out[:MAX_CANDIDATES]

    def extractive(
        self, question: str, principal: Principal, hits: list[ScoredChunk], redactor: ResponseRedactor,
        doc_scope: bool,
    ) -> Answer:
        retrieved = [h.chunk.chunk_id for h in hits]
        q_terms = content_terms(question)
        cands = self._candidates(hits, q_terms)
        if not cands or uncovered_specifics(question, hits[:MAX_CHUNKS_READ]):
            return self._refuse(principal, doc_scope, retrieved, 0.0, "extractive")
        sv, qv = self.vectors.get([c.embed_text for c, _ in cands], extra=[question])
        cos = sv @ qv[0]
        n_hits = max(min(len(hits), MAX_CHUNKS_READ), 1)
        # A sentence that omits every identifier the question names (asks about P2, speaks of P1)
        # answers a different question, however similar it reads.
        codes = [c.lower() for c in _SPECIFIC_CODE_RE.findall(question)]
        scores = np.array(
            [
                W_SEM * float(cos[i]) + W_LEX * lex + RANK_PRIOR * (1 - s.hit_rank / n_hits)
                - (CODE_MISS_PENALTY if codes and not any(c in s.text.lower() for c in codes) else 0.0)
                for i, (s, lex) in enumerate(cands)
            ]
        )
        order = np.argsort(-scores)
        best = float(scores[order[0]])
        if best < self.settings.answer_min_confidence:
            return self._refuse(principal, doc_scope, retrieved, best, "extractive")
        picked: list[int] = []
        for i in order:
            if len(picked) >= self.settings.answer_max_sentences:
                break
            if scores[i] < max(self.settings.answer_min_confidence, best - RELATIVE_MARGIN):
                break
            if any(float(sv[i] @ sv[j]) > NEAR_DUPLICATE for j in picked):
                continue
            picked.append(int(i))
        # Chunks in order of their best sentence; sentences within a chunk in document order.
        chunk_order: list[str] = []
        for i in picked:
            cid = cands[i][0].chunk.chunk_id
            if cid not in chunk_order:
                chunk_order.append(cid)
        by_chunk: dict[str, list[Sentence]] = {cid: [] for cid in chunk_order}
        for i in picked:
            by_chunk[cands[i][0].chunk.chunk_id].append(cands[i][0])
        pieces: list[str] = []
        citations: list[Citation] = []
        for n, cid in enumerate(chunk_order, start=1):
            sents = sorted(by_chunk[cid], key=lambda s: s.start)
            chunk = sents[0].chunk
            for s in sents:
                pieces.append(f"{redactor.chunk_slice(chunk, s.start, s.end)} [{n}]")
            lo, hi = sents[0].start, sents[-1].end
            citations.append(self._citation(n, chunk, lo, hi, redactor))
        return Answer(
            answer=" ".join(pieces),
            citations=citations,
            grounded=True,
            refused=False,
            mode="extractive",
            confidence=round(best, 4),
            retrieved_chunk_ids=retrieved,
            sentences=pieces,
        )

    @staticmethod
    def _citation(n: int, chunk: Chunk, lo: int, hi: int, redactor: ResponseRedactor) -> Citation:
        return Citation(
            n=n,
            doc_id=chunk.doc_id,
            title=chunk.title,
            section=chunk.section,
            page=chunk.page,
            chunk_id=chunk.chunk_id,
            char_start=chunk.char_start + lo,
            char_end=chunk.char_start + hi,
            snippet=redactor.chunk_slice(chunk, lo, hi),
        )

    def _refuse(
        self, principal: Principal, doc_scope: bool, retrieved: list[str], confidence: float, mode: str
    ) -> Answer:
        msg = refusal_message(principal, doc_scope)
        return Answer(
            answer=msg, citations=[], grounded=False, refused=True, mode=mode,
            confidence=round(confidence, 4), retrieved_chunk_ids=retrieved, sentences=[msg],
        )

    # ---- generative ------------------------------------------------------------
    def build_prompt(
        self, question_redacted: str, hits: list[ScoredChunk], redactor: ResponseRedactor
    ) -> tuple[list[dict[str, str]], dict[int, ScoredChunk], dict[int, str]]:
        """Chat messages for the LLM: rules, then numbered, redacted, delimited context."""
        numbered: dict[int, ScoredChunk] = {}
        texts: dict[int, str] = {}
        blocks = []
        n = 0
        for h in hits:
            if h.chunk.injection_flag and self.settings.exclude_injection_flagged:
                continue
            n += 1
            numbered[n] = h
            texts[n] = redactor.chunk_text(h.chunk)
            label = f"Document {n}: {h.chunk.title}" + (f" / {h.chunk.section}" if h.chunk.section else "")
            blocks.append(wrap_untrusted(texts[n], label))
        system = (
            "You answer questions from ERP implementation partners using only the numbered documents provided. "
            "Write 1-4 short factual sentences. End every sentence with the number of the document that "
            "supports it in square brackets, e.g. [2] for 'Document 2'. "
            "If the documents do not contain the answer, reply exactly: NOT_FOUND. "
            "Placeholders such as <PERSON_1> stand for redacted personal data: keep them as they are.\n\n"
            + DATA_INSTRUCTION
        )
        user = f"Question: {question_redacted}\n\nDocuments:\n\n" + "\n\n".join(blocks)
        return [{"role": "system", "content": system}, {"role": "user", "content": user}], numbered, texts

    def generative(
        self, question: str, principal: Principal, hits: list[ScoredChunk], redactor: ResponseRedactor,
        doc_scope: bool,
    ) -> Answer:
        retrieved = [h.chunk.chunk_id for h in hits]
        if not hits:
            return self._refuse(principal, doc_scope, retrieved, 0.0, "generative")
        messages, numbered, texts = self.build_prompt(redactor.free_text(question), hits, redactor)
        if not numbered:
            return self._refuse(principal, doc_scope, retrieved, 0.0, "generative")
        assert self.llm is not None  # generative() is only called with an LLM configured
        draft = self.llm.chat_messages(messages)
        if not draft.strip() or "NOT_FOUND" in draft:
            return self._refuse(principal, doc_scope, retrieved, 0.0, "generative")
        report = citation_precision(draft, texts, embed=lambda xs: self.embedder.encode(list(xs)))
        kept: list[tuple[str, int]] = []
        removed = 0
        for chk in report.sentences:
            if chk.supported and chk.best_citation is not None:
                kept.append((chk.text, chk.best_citation))
            elif chk.supported and chk.citations:
                kept.append((chk.text, chk.citations[0]))
            elif chk.factual or chk.citations:
                removed += 1
        if not kept:
            ans = self._refuse(principal, doc_scope, retrieved, 0.0, "generative")
            ans.removed_sentences = removed
            return ans
        renumber: dict[int, int] = {}
        pieces = []
        for text, old in kept:
            new = renumber.setdefault(old, len(renumber) + 1)
            clean, _ = strip_citations(text)
            # Generated text has no stored spans: detect again (the model may echo personal data).
            pieces.append(f"{redactor.free_text(clean)} [{new}]")
        citations = []
        for old, new in sorted(renumber.items(), key=lambda kv: kv[1]):
            c = numbered[old].chunk
            citations.append(self._citation(new, c, 0, len(c.text), redactor))
        return Answer(
            answer=" ".join(pieces),
            citations=citations,
            grounded=removed == 0,
            refused=False,
            mode="generative",
            confidence=1.0,
            retrieved_chunk_ids=retrieved,
            sentences=pieces,
            removed_sentences=removed,
        )

    # ---- entry point -----------------------------------------------------------
    def answer(
        self, question: str, principal: Principal, redactor: ResponseRedactor, doc_ids: Sequence[str] | None = None
    ) -> Answer:
        plan = self.plan(question, principal, doc_ids)
        hits = self.retrieve(plan.text, principal, plan.doc_ids)
        ans = self._answer(question, principal, hits, redactor, doc_ids is not None,
                           evidence_question=evidence_question(question, plan))
        if doc_ids is None and plan.doc_ids:
            ans.details["scoped_to"] = plan.doc_ids  # audit: the question named these documents
        return ans

    def _answer(
        self, question: str, principal: Principal, hits: list[ScoredChunk], redactor: ResponseRedactor, scope: bool,
        evidence_question: str | None = None,
    ) -> Answer:
        # The LLM reads the question as asked; extractive scoring reads it with the document
        # mention that already chose the scope turned into "this <kind>" (``evidence_question``).
        evidence_q = evidence_question or question
        if self.llm is not None:
            try:
                return self.generative(question, principal, hits, redactor, scope)
            except Exception as exc:  # the LLM is an edge service: fall back, never fail the request
                log.warning("LLM call failed, answering extractively: %s", type(exc).__name__)
                ans = self.extractive(evidence_q, principal, hits, redactor, scope)
                ans.details["llm_error"] = type(exc).__name__
                return ans
        return self.extractive(evidence_q, principal, hits, redactor, scope)


__all__ = [
    "Answer", "Answerer", "Citation", "evidence_question", "refusal_message", "sentence_spans", "split_sentences",
]
