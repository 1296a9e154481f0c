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
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from copilot.answering.copies import exact_copies, prefer_fitting_copies
from copilot.answering.copies import normalize_words as _norm_unit
from copilot.core.redact import ResponseRedactor, shift_spans
from copilot.core.settings import Settings
from guardrails import text as _text
from guardrails.citations import citation_precision, content_terms, is_factual, strip_citations
from guardrails.injection import DATA_INSTRUCTION, screen, wrap_untrusted
from guardrails.redaction import mask_for_index
from guardrails.text import Block, split_sentences
from retrievers.access import SHARED_TENANT, Principal, index_view
from retrievers.embeddings import Embedder, SentenceVectors
from retrievers.query import MentionScoper, QueryPlan
from retrievers.retriever import Retriever
from retrievers.schema import Chunk, ScoredChunk
from retrievers.stores.base import data_version, iter_chunks

log = logging.getLogger("copilot.answering.answerer")

# Score = W_SEM * cosine(question, unit) + W_LEX * coverage of the question's content words
# + a small prior for the retriever's rank. Coverage counts words of the unit fully and words of
# its document title and section path at CONTEXT_CREDIT (a unit answers within its heading), each
# word weighted by how distinctive it is in the asker's own index.
W_SEM = 0.65
W_LEX = 0.35
RANK_PRIOR = 0.04
# Units of passages the retriever ranked lower lose this much per rank step (share of the read
# passages), on top of RANK_PRIOR: a sentence of a lower-ranked passage that reads like the question
# wins often enough on similarity alone to cite the wrong passage. It orders units only: the refusal
# rule reads the scores without it.
PASSAGE_RANK_PENALTY = 0.04
CONTEXT_CREDIT = 0.5
NUMBER_CREDIT = 0.5  # a question's number counts half-covered by a unit that states some number
RELATIVE_MARGIN = 0.12  # further units must score within this of the best one
NEAR_DUPLICATE = 0.92  # cosine between two picked units above which the second is dropped
MAX_CANDIDATES = 40  # units scored per request (prefiltered by overlap and rank)
# Units come from every passage retrieved: the answer_top_k pool passages plus the EXPAND_K
# of the top document. A cap of 5 let the expansion (read after EXPAND_AFTER pool passages)
# push the pool's 4th and 5th passages out of the answer (reports/answers/report.md).
MIN_SENTENCE_CHARS = 25
MAX_SENTENCE_CHARS = 900
CLAUSE_SPLIT_CHARS = 350  # longer sentences also offer their clauses as units
MAX_LIST_CHARS = 1500
MAX_ITEM_WORDS = 30  # a short one-sentence paragraph after a lead-in reads as a list item
MAX_ANSWER_CHARS = 1600
# A one-sentence answer takes the next sentence of its paragraph when the two together stay this
# short: a first sentence often names the subject and the one after it holds the detail.
FOLLOW_CHARS = 400

_CLAUSE_RE = re.compile(r";\s+|\s(?=\((?:[a-z]|[ivx]{1,4}|\d{1,2})\)\s)")
_PLACEHOLDER_RE = re.compile(
    r"\[(?:[^\]\d]{0,40}\b(?:insert|name|date|tbd|tbc|xx+|placeholder)\b[^\]]{0,40})\]|_{4,}|\{\{[^}]*\}\}"
    r"|<<[^>]*>>|\bX{3,}\b|\bTB[DC]\b",
    re.I,
)

UnitKind = Literal["sentence", "clause", "list"]


@dataclass(frozen=True)
class Sentence:
    """A candidate answering unit (a sentence, a clause, or a list with its lead-in): [start, end) into
    ``chunk.text``."""

    hit_rank: int
    chunk: Chunk
    start: int
    end: int
    text: str  # whitespace-collapsed raw unit (may contain personal data; never leaves unredacted)
    embed_text: str  # the same with personal data masked: what the model sees
    kind: UnitKind = "sentence"
    # lists: where the lead-in ends and the items begin; a sentence opened by a run-in heading: where
    # the heading ends
    lead_end: int = 0


def _flat(chunk: Chunk, s: int, e: int) -> tuple[str, str]:
    raw = chunk.text[s:e]
    flat = " ".join(raw.split())
    spans = shift_spans(chunk.pii_spans, s, e)
    masked = " ".join(mask_for_index(raw, spans).split()) if spans else flat
    return flat, masked


def _is_item(chunk_text: str, b: Block) -> bool:
    if b.kind == "item":
        return True
    body = chunk_text[b.start : b.end]
    return (b.kind == "para" and len(body.split()) <= MAX_ITEM_WORDS and not _is_title_line(chunk_text, b)
            and len(_text.sentence_spans(body)) == 1)


def _is_title_line(chunk_text: str, b: Block) -> bool:
    """A paragraph that is one line ending in a word, with no sentence punctuation anywhere: a
    section title the parser kept as text ("Installing the Operator on a private cluster"), however
    long. It names a topic without saying anything about it, so it is never an answer on its own."""
    body = chunk_text[b.start : b.end].strip()
    return (b.kind == "para" and bool(body) and "\n" not in body and body[-1].isalpha()
            and not re.search(r"[.!?;:]\s", body))


RUN_IN_HEADING_WORDS = 12


def _is_run_in_heading(sentence: str) -> bool:
    """A heading run into its paragraph ("7.3 Limitation of Liability.", "ARTICLE V INTELLECTUAL
    PROPERTY"): a few words, each capitalised but the stop words. It names a topic and says nothing
    of it, so it is never an answer on its own; it opens the sentence after it."""
    found = re.findall(r"[^\W\d_][\w'’&-]*", sentence)
    if not found or len(found) > RUN_IN_HEADING_WORDS or sentence.rstrip().endswith("?"):
        return False
    content = [w for w in found if w.lower() not in _text.stopwords()]
    return bool(content) and all(w[0].isupper() for w in content)


def _is_short_line(text: str, b: Block) -> bool:
    """A short unpunctuated line read as a heading ("The Helm CLI") that is not a marked heading
    ("# Limits"): right after a lead-in ending in ':' it is one of the items the lead-in announces."""
    line_start = text.rfind("\n", 0, b.start) + 1
    return b.kind == "heading" and not text[line_start : b.start].lstrip().startswith("#")


def _list_units(text: str, blocks: list[Block]) -> list[tuple[int, int, int]]:
    """Lists with their lead-in: a paragraph ending in ':' followed by items, or a paragraph or
    heading followed by at least two bullet items or three short one-sentence paragraphs."""
    out: list[tuple[int, int, int]] = []
    i = 0
    while i < len(blocks) - 1:
        lead, first = blocks[i], i + 1
        under_heading = False
        if (lead.kind == "heading" or _is_title_line(text, lead)) and blocks[first].kind == "para":
            # The paragraph right under a heading introduces what follows it.
            lead, first, under_heading = blocks[first], first + 1, True
        j = first
        if lead.lead_in and j < len(blocks) and blocks[j].kind == "code":
            j += 1  # the code block a lead-in announces ("... as follows:") is what it introduces
        while j < len(blocks) and blocks[first].kind != "code" and not blocks[j].lead_in and (
                _is_item(text, blocks[j]) or (lead.lead_in and _is_short_line(text, blocks[j]))):
            j += 1
        items = blocks[first:j]
        bullets = sum(b.kind == "item" for b in items)
        enough = (lead.lead_in and len(items) >= 1) or bullets >= 2 or len(items) >= 3
        can_lead = lead.lead_in or under_heading or (lead.kind in ("para", "heading") and not _is_item(text, lead))
        if enough and can_lead:
            start = lead.start
            lead_sents = _text.sentence_spans(text[lead.start : lead.end])
            if len(lead_sents) > 2:  # a long paragraph: its last sentence is the lead-in
                start = lead.start + lead_sents[-1][0]
            end = items[-1].end
            if end - start <= MAX_LIST_CHARS:
                out.append((start, lead.end, end))
            i = j
        else:
            i += 1
    return out


def chunk_units(chunk: Chunk) -> list[tuple[int, int, str, str, UnitKind, int]]:
    """(start, end, flat text, masked flat text, kind, lead-in end) of a chunk's answering units."""
    # A chunk without a content hash (written by an older pipeline, or built in memory) is keyed
    # by its text, so two such chunks with one id never share units.
    version = chunk.content_hash or chunk.text
    cached = _UNIT_CACHE.get(chunk.chunk_id)
    if cached is not None and cached[0] == version:
        return cached[1]
    text = chunk.text
    blocks = _text.blocks(text)
    out: list[tuple[int, int, str, str, UnitKind, int]] = []
    for s, lead_end, e in _list_units(text, blocks):
        flat, masked = _flat(chunk, s, e)
        if not _PLACEHOLDER_RE.search(flat):
            out.append((s, e, flat, masked, "list", lead_end))
    for b in blocks:
        if b.kind in ("heading", "table", "code") or _is_title_line(text, b):
            continue
        head: int | None = None
        for s, e in _text.sentence_spans(text[b.start : b.end]):
            s, e = b.start + s, b.start + e
            if _is_run_in_heading(text[s:e]):
                head = s if head is None else head
                continue
            # A run-in heading ("7.3 Limitation of Liability.") opens the sentence after it, as its lead.
            body, s, head = s, (head if head is not None else s), None
            pieces: list[tuple[int, int, UnitKind]] = []
            if e - s <= MAX_SENTENCE_CHARS:
                pieces.append((s, e, "sentence"))
            if e - s > CLAUSE_SPLIT_CHARS:
                cs = s
                for m in _CLAUSE_RE.finditer(text, s, e):
                    pieces.append((cs, m.start(), "clause"))
                    cs = m.end()
                if cs > s:
                    pieces.append((cs, e, "clause"))
            for ps, pe, kind in pieces:
                if pe - ps < MIN_SENTENCE_CHARS or pe - ps > MAX_SENTENCE_CHARS or "|" in text[ps:pe]:
                    continue
                flat, masked = _flat(chunk, ps, pe)
                if flat[-1] not in ".!?;:)" and len(flat.split()) < 8:
                    continue  # a heading-like fragment is not an answer
                if not is_factual(flat) or _PLACEHOLDER_RE.search(flat):
                    continue
                out.append((ps, pe, flat, masked, kind, body if ps < body else 0))
    if len(_UNIT_CACHE) > 50_000:
        _UNIT_CACHE.clear()
    _UNIT_CACHE[chunk.chunk_id] = (version, out)
    return out


_UNIT_CACHE: dict[str, tuple[str, list[tuple[int, int, str, str, UnitKind, int]]]] = {}


def chunk_sentences(chunk: Chunk) -> list[tuple[int, int, str, str]]:
    """(start, end, flat text, masked flat text) of every answering unit (the prewarm's texts)."""
    return [(s, e, flat, masked) for s, e, flat, masked, *_ in chunk_units(chunk)]


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Sentence [start, end) offsets in ``text`` (``guardrails.text``)."""
    return _text.sentence_spans(text)


_LOWER_WORD_RE = re.compile(r"(?<![\w'’-])[a-z]{2,}(?![\w'’-])")
_VOCAB_WORD_RE = re.compile(r"[^\W\d_]{2,}")
SPELL_MIN_CHARS = 4  # shorter words are too often another real word one letter away
SPELL_TWO_EDITS_CHARS = 8  # words this long may be two edits from what was meant


def correct_spelling(text: str, vocab: Counter[str] | dict[str, int]) -> str:
    """``text`` with each lower-case word the index never uses replaced by the index's most frequent
    word one edit away (two for long words; a swap of neighbours is one edit): "how do I cancle an
    invoise" -> "how do I cancel an invoice". Only the customer's own documents are the dictionary;
    words they use, stopwords, short words and capitalised words are left as typed."""
    if not vocab:
        return text
    stop = _text.stopwords()
    words = list(vocab)

    def fix(m: re.Match[str]) -> str:
        w = m.group()
        low = w.lower()
        # Capitalised words may be names the index does not hold (the names check judges those);
        # words joined to digits or symbols are parts of identifiers, paths or file names.
        joined = text[m.start() - 1 : m.start()] + text[m.end() : m.end() + 1]
        if (w != low or len(low) < SPELL_MIN_CHARS or low in vocab or low in stop
                or any(ch.isdigit() or ch in "-_/.@:$" for ch in joined)):
            return w
        limit = 2 if len(low) >= SPELL_TWO_EDITS_CHARS else 1
        found = process.extract(low, words, scorer=OSA.distance, score_cutoff=limit, limit=None)
        if not found:
            return w
        best = min(found, key=lambda f: (f[1], -vocab[f[0]], f[0]))[0]
        return best

    return _VOCAB_WORD_RE.sub(fix, text)


class Boilerplate:
    """Sentences repeated verbatim (after normalisation) in several documents of one tenant's view:
    template text, not an answer; and, from the same scan, the words each tenant's documents write
    in lower case. Counted per tenant and access level, so a principal's answers depend only on
    documents it may read (:func:`retrievers.access.index_view`); rebuilt when the stored documents
    change."""

    def __init__(self, store: Any, min_docs: int = 3):
        self.store = store
        self.min_docs = min_docs
        self._key: Any = None
        self._version: int | None = None
        # Keys: (tenant, access level) of the documents counted.
        self._docs: dict[tuple[str, int, str], set[str]] = {}
        self._lower: dict[tuple[str, int], frozenset[str]] = {}
        self._vocab: dict[tuple[str, int], Counter[str]] = {}
        self._vocab_views: dict[Any, Counter[str]] = {}
        self._weight_views: dict[Any, tuple[Counter[str], dict[str, float], int]] = {}
        self._lock = threading.Lock()

    def _refresh(self) -> None:
        # A store with a data version answers "changed?" without a scan; only then are the
        # document hashes (one column over every row) compared.
        version = data_version(self.store)
        if version is not None and version == self._version:
            return
        try:
            key = frozenset(self.store.document_hashes().items())
        except Exception:  # a store without the listing: no boilerplate filter
            return
        self._version = version
        if key == self._key:
            return
        docs: dict[tuple[str, int, str], set[str]] = {}
        lower: dict[tuple[str, int], set[str]] = {}
        vocab: dict[tuple[str, int], Counter[str]] = {}
        for chunks in iter_chunks(self.store, batch_size=500):
            for c in chunks:
                part = (c.tenant_id, int(c.access_level))
                for s, e in _text.sentence_spans(c.text):
                    norm = _norm_unit(c.text[s:e])
                    if len(norm) >= MIN_SENTENCE_CHARS:
                        docs.setdefault((*part, norm), set()).add(c.doc_id)
                lower.setdefault(part, set()).update(_LOWER_WORD_RE.findall(c.text))
                vocab.setdefault(part, Counter()).update(_VOCAB_WORD_RE.findall(c.text.lower()))
        # Keep a sentence's per-level entries when the tenant repeats it in two or more documents
        # over all levels (a caller at a higher level sums them); single occurrences are dropped.
        total: Counter[tuple[str, str]] = Counter()
        for (tenant, _level, norm), ids in docs.items():
            total[(tenant, norm)] += len(ids)
        self._docs = {k: v for k, v in docs.items() if total[(k[0], k[2])] >= 2}
        self._lower = {t: frozenset(_text.stem(w) for w in ws) for t, ws in lower.items()}
        self._vocab = vocab
        self._key = key

    def _parts(self, keys: Any, tenants: Sequence[str], max_level: int) -> list[tuple[str, int]]:
        return [k for k in keys if k[0] in tenants and k[1] <= max_level]

    def vocabulary(self, tenants: Sequence[str], max_level: int) -> Counter[str]:
        """How often the documents of the given tenants, up to ``max_level``, use each word (lower-cased)."""
        with self._lock:
            self._refresh()
            key = (self._key, tuple(tenants), max_level)
            cached = self._vocab_views.get(key)
            if cached is None:
                cached = Counter()
                for part in self._parts(self._vocab, tenants, max_level):
                    cached.update(self._vocab[part])
                if len(self._vocab_views) > 64:
                    self._vocab_views.clear()
                self._vocab_views[key] = cached
            return cached

    def term_weights(self, tenants: Sequence[str], max_level: int) -> tuple[dict[str, float], float]:
        """Inverse frequency (log) of each word stem in the given tenants' documents up to
        ``max_level`` (how distinctive a question word is in the asker's own index), and the
        weight of a stem they never use."""
        vocab = self.vocabulary(tenants, max_level)
        with self._lock:
            key = ("weights", id(vocab))
            cached = self._weight_views.get(key)
            if cached is None or cached[0] is not vocab:
                stems: Counter[str] = Counter()
                for w, n in vocab.items():
                    stems[_text.stem(w)] += n
                total = sum(stems.values()) + 1
                if len(self._weight_views) > 64:
                    self._weight_views.clear()
                cached = (vocab, {t: float(np.log(total / (1 + n))) for t, n in stems.items()}, total)
                self._weight_views[key] = cached
            # An index with no counted words (nothing visible, or a store that cannot list its
            # documents) knows nothing of rarity: every word weighs 1, so weighted coverage is
            # plain coverage instead of 0, which would refuse every question.
            return cached[1], max(1.0, float(np.log(cached[2])))

    def lower_case_stems(self, tenants: Sequence[str], max_level: int) -> frozenset[str]:
        """Stems of the words the given tenants' documents (up to ``max_level``) write in lower case."""
        with self._lock:
            self._refresh()
            lower = self._lower
        out: frozenset[str] = frozenset()
        for part in self._parts(lower, tenants, max_level):
            out |= lower[part]
        return out

    def is_boilerplate(self, text: str, tenants: Sequence[str], max_level: int) -> bool:
        return self.checker(tenants, max_level)(text)

    def checker(self, tenants: Sequence[str], max_level: int) -> Callable[[str], bool]:
        """``is_boilerplate`` for many texts of one answer: the store's version is read once, not
        per text (per text it was ~90 version reads per answer, about a sixth of its CPU)."""
        with self._lock:
            self._refresh()
            docs = self._docs
        levels = range(int(max_level) + 1)
        min_docs = self.min_docs

        def check(text: str) -> bool:
            if not docs:
                return False
            norm = _norm_unit(text)
            seen: set[str] = set()
            for tenant in tenants:
                for level in levels:
                    seen |= docs.get((tenant, level, norm), set())
            return len(seen) >= min_docs

        return check


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
# ("Acme Corp", "Australia") name what the question is about. When none of the
# passages read mentions one of them, the best-scoring sentence is about something
# else (another partner's contract, another release): refusing beats a confident
# answer about the wrong thing. The check only reads what the principal may see.
_SPECIFIC_CODE_RE = re.compile(r"\b(?:[A-Za-z]{1,6}-?\d+(?:\.\d+)?[A-Za-z]*|\d{4}\.\d+)\b")
_PROPER_RE = re.compile(r"(?<=[a-z,;:'’]\s)([A-Z][\w’'&-]*(?:\s+[A-Z][\w’'&-]*)*)")
_GENERIC_PROPER = frozenset({"I", "ERP", "API", "SLA", "SOW", "UAT", "PDF", "EUR", "GBP", "USD", "OK"})


CODE_MISS_PENALTY = 0.2
TYPO_MIN_CHARS = 5
TYPO_MIN_RATIO = 90.0  # "develper"/"developer" 94, "australia"/"austria" 87.5
TYPO_EDIT_CHARS = 6  # one edit (or swap) away also counts for words this long ("austria"/"australia" is 2)
# English possessive and contraction endings: "Acme's", "I'm", "We've" name "Acme", "I", "We".
_CONTRACTION_RE = re.compile(r"[’'](?:s|m|ve|d|ll|re|t)?$", re.I)


def _name_word(word: str) -> str:
    """A capitalised word without its possessive or contraction ("Acme's" -> "Acme", "I'm" -> "I")."""
    return _CONTRACTION_RE.sub("", word)


def _is_typo_of(term: str, vocab: set[str]) -> bool:
    """``term`` is a misspelling of a word of ``vocab``: close by ratio, or one edit away (a letter
    added, dropped, changed, or two neighbours swapped: "Warehosue") for words of TYPO_EDIT_CHARS+."""
    if process.extractOne(term, vocab, scorer=fuzz.ratio, score_cutoff=TYPO_MIN_RATIO) is not None:
        return True
    return len(term) >= TYPO_EDIT_CHARS and process.extractOne(
        term, vocab, scorer=OSA.distance, score_cutoff=1) is not None


def uncovered_specifics(question: str, hits: Sequence[ScoredChunk],
                        common_stems: frozenset[str] | set[str] = frozenset()) -> list[str]:
    """Codes and proper names of the question that no read passage (text, title, section) mentions.

    ``common_stems``: stems of the words the asker's own index writes in lower case. A capitalised
    question word among them is a common word written with a capital ("As a Finance Manager"),
    not a name; identifiers are never exempt."""
    haystack = " ".join(
        f"{h.chunk.title} {' '.join(h.chunk.section_path)} {h.chunk.text}" for h in hits
    ).lower()
    haystack_flat = re.sub(r"[\s-]+", " ", haystack)
    codes: list[str] = [m.group() for m in _SPECIFIC_CODE_RE.finditer(question)]
    names: list[str] = []
    for m in _PROPER_RE.finditer(question):
        words = [_name_word(w) for w in m.group(1).split()]
        names.extend(w for w in words if w and w not in _GENERIC_PROPER
                     and not (common_stems and _text.stem(w) in common_stems))
    vocab: set[str] | None = None
    missing: list[str] = []
    for term in dict.fromkeys(codes + names):
        t = re.sub(r"[\s-]+", " ", term.lower())
        if not t or t in haystack_flat:
            continue
        if term not in codes and len(t) >= TYPO_MIN_CHARS:
            # A misspelt name ("Develper") still names what the passages call "Developer";
            # identifiers must match exactly.
            vocab = vocab if vocab is not None else set(re.findall(r"\w+", haystack_flat))
            if _is_typo_of(t, vocab):
                continue
        missing.append(term)
    return missing


QUANTITY_BONUS = 0.05
_QUANTITY_RE = re.compile(r"\bhow (?:many|much|long|often|soon|quickly|early|late)\b|\d", re.I)
_HAS_NUMBER_RE = re.compile(r"\d")


# "These notes describe ...", "This guide explains ...": a sentence about the document itself
# mentions what the question asks about without answering it.
SELF_REFERENCE_PENALTY = 0.25
_SELF_REFERENCE_RE = re.compile(
    r"^(?:this|these)\s+(?:[\w-]+\s+){0,3}(?:describes?|explains?|defines?|summari[sz]es?|covers?|outlines?"
    r"|lists?|introduces?|sets? out|gives? an overview|provides? an overview)\b",
    re.I,
)


# "For more information, see Configuring storage.", "Refer to the install guide for details.": a
# cross-reference names where the answer is, shares the question's topic words, and answers nothing.
POINTER_PENALTY = 0.25
_POINTER_RE = re.compile(
    r"^(?:(?:for|to (?:learn|find out|read)|if you (?:want|need))\b[^.;:]{0,100}?,\s*)?"
    r"(?:see|refer to)\b(?![^.;:]{0,100}?\b(?:that|whether|if|how)\b)",
    re.I,
)


def _lead_text(u: Sentence) -> str:
    """A list's lead-in, masked; a heading lead-in is read with the document title."""
    lead = " ".join(u.embed_text.split()[: max(1, len(u.chunk.text[u.start : u.lead_end].split()))])
    if not lead.rstrip().endswith((".", ":")) and u.chunk.title:
        return f"{lead} ({u.chunk.title})"
    return lead


def _unit_context(u: Sentence) -> str:
    return f"{u.text} {u.chunk.title} {' '.join(u.chunk.section_path)}".lower()


def coverage(q_terms: set[str], q_nums: set[str], unit_terms: set[str], ctx_terms: set[str],
             weight: dict[str, float] | None = None, unseen: float = 1.0) -> float:
    """Share of the question's content words a unit covers: in its text fully, in its document
    title or section path at CONTEXT_CREDIT; a number the question asks about ("still 5,000?")
    at NUMBER_CREDIT when the unit states some number (the value may have changed).

    With ``weight`` (inverse frequency of each word stem in the asker's own index, ``unseen`` for a
    stem it never uses) each word counts by how distinctive it is: a unit holding the one rare word
    the question turns on ("assign") covers more than one holding the words every passage of the
    library shares ("party", "agreement", "notice")."""
    if not q_terms:
        return 0.0
    unit_has_number = any(any(ch.isdigit() for ch in t) for t in unit_terms)
    got = total = 0.0
    for t in q_terms:
        w = 1.0 if weight is None else weight.get(t, unseen)
        total += w
        if t in unit_terms:
            got += w
        elif t in ctx_terms:
            got += CONTEXT_CREDIT * w
        elif t in q_nums and unit_has_number:
            got += NUMBER_CREDIT * w
    return got / total if total > 0 else 0.0


LLM_CONTEXT_UNITS = 8  # answering units the LLM reads
EXPAND_K = 2  # passages of the top document searched on its own
EXPAND_AFTER = 3  # they are read after this many pool hits
EXPAND_POOL = 20  # passages of the top document looked at for a matching heading
PEAK_RANK = 5  # the best unit is compared with the unit at this rank
HEADING_BONUS = 0.08
HEADING_MATCH = 0.6


def heading_matches(chunk: Chunk, q_terms: set[str]) -> bool:
    """The unit's own section heading (not the document title) is what the question asks about:
    most of the heading's content words occur in the question ("known issues" for "Which known
    issues does ... have?")."""
    if not chunk.section_path or chunk.section_path[-1] == chunk.title:
        return False
    h_terms = content_terms(chunk.section_path[-1])
    return bool(h_terms) and len(h_terms & q_terms) / len(h_terms) >= HEADING_MATCH


def weighted_coverage(q_terms: set[str], unit_terms: set[str], ctx_terms: set[str],
                      weight: dict[str, float], unseen: float = 1.0) -> float:
    """Coverage of the question's words weighted by how distinctive each is in the asker's own
    index (a word the documents rarely use weighs more than "agreement" in a contract library)."""
    total = sum(weight.get(t, unseen) for t in q_terms)
    if total <= 0:
        return 0.0
    got = sum(weight.get(t, unseen) * (1.0 if t in unit_terms else CONTEXT_CREDIT if t in ctx_terms else 0.0)
              for t in q_terms)
    return got / total


def trim_list(u: Sentence, q_terms: set[str]) -> Sentence:
    """A list cut after its last item that holds a word of the question, when some item does and
    later ones do not: the items after it are about something else (often the next section's
    title, which the parser reads as one more short item). A list none of whose items holds a
    question word answers as a whole (its lead-in said what it is) and stays as it is."""
    if u.kind != "list" or not q_terms:
        return u
    text = u.chunk.text
    items = [(u.lead_end + b.start, u.lead_end + b.end) for b in _text.blocks(text[u.lead_end : u.end])]
    holding = [e for s, e in items if content_terms(text[s:e]) & q_terms]
    if len(items) < 2 or not holding or holding[-1] >= u.end:
        return u
    flat, masked = _flat(u.chunk, u.start, holding[-1])
    return replace(u, end=holding[-1], text=flat, embed_text=masked)


def passage_rank_share(cands: Sequence[tuple[Sentence, float]], hits: Sequence[ScoredChunk]) -> np.ndarray:
    """Each unit's passage rank as a share of the passages read (0 for the best passage)."""
    n_hits = max(len(hits), 1)
    return np.array([u.hit_rank / n_hits for u, _ in cands], dtype=float)


def retrieval_margin(hits: Sequence[ScoredChunk]) -> float:
    """How far the best chunk stands above the runner-up, relative to the best (0 with one hit)."""
    if len(hits) < 2 or hits[0].score <= 0:
        return 0.0
    return float((hits[0].score - hits[1].score) / hits[0].score)


def rarest_covered(q_terms: set[str], unit_terms: set[str], ctx_terms: set[str],
                   weight: dict[str, float], n: int = 2) -> float:
    """How much of the question's ``n`` rarest words (by the asker's own index, among words the
    index uses) the unit holds: a unit about the asked topic holds the word the question turns on
    ("compete", "renewal"), a neighbouring clause holds only the words all passages share. 1 when
    the index knows none of the question's words (nothing to tell by)."""
    known = sorted((t for t in q_terms if t in weight), key=lambda t: (-weight[t], t))[:n]
    if not known:
        return 1.0
    return sum(1.0 if t in unit_terms else CONTEXT_CREDIT if t in ctx_terms else 0.0 for t in known) / len(known)


def stand_out_signals(scores: np.ndarray, order: np.ndarray, cands: Sequence[tuple[Sentence, float]],
                      hits: Sequence[ScoredChunk], q_terms: set[str], top_terms: set[str], top_ctx: set[str],
                      weight: dict[str, float]) -> dict[str, float]:
    """Cheap signals of whether the read passages hold an answer or only its neighbours:

    - ``z``: how far the best unit stands out from the other scored units of the passages read (in
      standard deviations; a scoped question reads its one document);
    - ``rare``: :func:`rarest_covered` for the best unit;
    - ``agree``: whether the dense and the full-text side both rank the best unit's passage high
      (1 / the worse of its two first-stage ranks; 0 when one side did not find it);
    - ``second``: the score of the best unit outside the best one's stretch of text (an answer is
      often said twice; an unrelated question meets one lucky sentence)."""
    best = float(scores[order[0]])
    z = 0.0
    if len(scores) >= 3:
        sd = float(np.std(scores))
        z = (best - float(np.mean(scores))) / sd if sd > 1e-9 else 0.0
    top = cands[int(order[0])][0]
    ranks = next((h.ranks for h in hits if h.chunk.chunk_id == top.chunk.chunk_id), {})
    sides = [ranks[k] for k in ("dense", "fulltext") if k in ranks]
    agree = 1.0 / max(sides) if len(sides) == 2 else 0.0
    second = 0.0
    for i in order[1:]:
        u = cands[int(i)][0]
        if u.chunk.chunk_id != top.chunk.chunk_id or u.end <= top.start or top.end <= u.start:
            second = float(scores[int(i)])
            break
    return {"z": round(z, 4), "rare": round(rarest_covered(q_terms, top_terms, top_ctx, weight), 4),
            "agree": round(agree, 4), "second": round(second, 4)}


# Signals the refusal rule adds to the best unit's score, each with its ``answer_<name>_weight``.
WEIGHTED_SIGNALS = ("margin", "peak", "z", "rare", "agree", "second")


def should_refuse(signals: dict[str, Any], settings: Settings) -> bool:
    """The refusal rule: a weak best unit, one that covers too little of the question, or a best
    unit whose score plus the weighted :data:`WEIGHTED_SIGNALS` stays under the floor."""
    combined = signals["score"] + sum(getattr(settings, f"answer_{name}_weight") * signals.get(name, 0.0)
                                      for name in WEIGHTED_SIGNALS)
    return bool(signals["score"] < settings.answer_min_confidence
                or signals["coverage"] < settings.answer_min_coverage
                or signals.get("idf_coverage", 1.0) < settings.answer_min_idf_coverage
                or combined < settings.answer_min_confidence + settings.answer_margin_floor)


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
        self.boilerplate = Boilerplate(retriever.store)

    # ---- retrieval -------------------------------------------------------------
    def retrieve(self, question: str, principal: Principal, doc_ids: Sequence[str] | None) -> list[ScoredChunk]:
        return self.retriever.search(question, principal, k=self.settings.answer_top_k, doc_ids=doc_ids,
                                     rerank=self.settings.rerank)

    def expand_within_document(
        self, question: str, principal: Principal, hits: list[ScoredChunk]
    ) -> list[ScoredChunk]:
        """Add the best passages of the top document, searched on its own, sections whose heading
        matches the question first: the pool's ranking finds the right document (its overview) more
        often than the right section of it."""
        if not hits or EXPAND_K <= 0:
            return hits
        top_doc = hits[0].chunk.doc_id
        # One document's passages: the first stage ranks them well enough, no rerank pass needed.
        pool = self.retriever.search(question, principal, k=EXPAND_POOL, doc_ids=[top_doc], rerank=False)
        # Sections whose heading is what the question asks about come first (heading -> section).
        q_terms = content_terms(question)
        extra = [h for h in pool if heading_matches(h.chunk, q_terms)][:EXPAND_K]
        extra += [h for h in pool[:EXPAND_K] if h.chunk.chunk_id not in {x.chunk.chunk_id for x in extra}]
        seen = {h.chunk.chunk_id for h in hits[:EXPAND_AFTER]}
        head = list(hits[:EXPAND_AFTER]) + [h for h in extra if h.chunk.chunk_id not in seen]
        ids = {h.chunk.chunk_id for h in head}
        return head + [h for h in hits[EXPAND_AFTER:] if h.chunk.chunk_id not in ids]

    def plan(self, question: str, principal: Principal, doc_ids: Sequence[str] | None) -> QueryPlan:
        """The caller's scope when given; else the document the question names, if any."""
        if doc_ids is not None or self.scoper is None or not self.settings.query_doc_scope:
            return QueryPlan(query=question, text=question, doc_ids=list(doc_ids) if doc_ids is not None else None)
        return self.scoper.plan(question, principal)

    # ---- extractive ------------------------------------------------------------
    @staticmethod
    def _view(principal: Principal) -> tuple[tuple[str, ...], int]:
        return index_view(principal)

    def _candidates(
        self, hits: list[ScoredChunk], question: str, principal: Principal
    ) -> list[tuple[Sentence, float]]:
        """Units worth scoring, with their coverage of the question; flagged instruction sentences
        and template boilerplate never."""
        q_terms = content_terms(question)
        q_nums = {t for t in q_terms if any(ch.isdigit() for ch in t)}
        tenants, max_level = self._view(principal)
        # Word weights from the documents this principal may read only (access is inherited).
        weights, unseen = self.boilerplate.term_weights(tenants, max_level)
        weight = weights or None  # a store without the word counts: every word counts the same
        is_boilerplate = self.boilerplate.checker(tenants, max_level)
        out: list[tuple[Sentence, float]] = []
        for rank, hit in enumerate(hits):
            c = hit.chunk
            if c.injection_flag and self.settings.exclude_injection_flagged:
                continue
            ctx_terms = content_terms(f"{c.title} {' '.join(c.section_path)}")
            for s, e, flat, masked, kind, lead_end in chunk_units(c):
                if c.injection_flag and screen(flat).flagged:
                    continue
                # Template text is recognised without the run-in heading a document put before it.
                if kind != "list" and is_boilerplate(" ".join(c.text[lead_end or s : e].split())):
                    continue
                out.append((Sentence(rank, c, s, e, flat, masked, kind, lead_end),
                            coverage(q_terms, q_nums, content_terms(flat), ctx_terms, weight, unseen)))
        # Keep the batch small: the best covering units, earlier chunks first on ties.
        n = max(len(hits), 1)
        out.sort(key=lambda x: (-(x[1] + RANK_PRIOR * (1 - x[0].hit_rank / n)), x[0].hit_rank))
        return out[:MAX_CANDIDATES]

    def score_units(
        self, question: str, principal: Principal, hits: list[ScoredChunk]
    ) -> tuple[list[tuple[Sentence, float]], np.ndarray, np.ndarray]:
        """Candidate units with coverage, their scores and their vectors (empty when none)."""
        cands = self._candidates(hits, question, principal)
        if not cands:
            return [], np.zeros(0), np.zeros((0, 1))
        sv, qv = self.vectors.get([c.embed_text for c, _ in cands], extra=[question])
        cos = sv @ qv[0]
        # A list is what its lead-in says it is: it scores at least as its lead-in does.
        lists = [i for i, (c, _) in enumerate(cands) if c.kind == "list"]
        if lists:
            lv, _ = self.vectors.get([_lead_text(cands[i][0]) for i in lists])
            for i, v in zip(lists, lv @ qv[0], strict=True):
                cos[i] = max(float(cos[i]), float(v))
        n_hits = max(len(hits), 1)
        # A unit whose text and headings omit every identifier the question names (asks about P2,
        # speaks of P1) answers a different question, however similar it reads.
        codes = [c.lower() for c in _SPECIFIC_CODE_RE.findall(question)]
        quantity = bool(_QUANTITY_RE.search(question))
        q_terms = content_terms(question)
        scores = np.array(
            [
                W_SEM * float(cos[i]) + W_LEX * cov + RANK_PRIOR * (1 - u.hit_rank / n_hits)
                - (CODE_MISS_PENALTY if codes and not any(c in _unit_context(u) for c in codes) else 0.0)
                + (QUANTITY_BONUS if quantity and _HAS_NUMBER_RE.search(u.text) else 0.0)
                + (HEADING_BONUS if heading_matches(u.chunk, q_terms) else 0.0)
                - (SELF_REFERENCE_PENALTY if _SELF_REFERENCE_RE.match(u.text) else 0.0)
                - (POINTER_PENALTY if u.kind != "list" and _POINTER_RE.match(u.text) else 0.0)
                for i, (u, cov) in enumerate(cands)
            ]
        )
        scores = scores - PASSAGE_RANK_PENALTY * passage_rank_share(cands, hits)
        # Copies of one passage in sibling documents: the copy under the fitting headings answers.
        scores = prefer_fitting_copies([u for u, _ in cands], scores, sv, q_terms, NEAR_DUPLICATE)
        return cands, scores, sv

    def extractive(
        self, question: str, principal: Principal, hits: list[ScoredChunk], redactor: ResponseRedactor,
        doc_scope: bool,
    ) -> Answer:
        retrieved = [h.chunk.chunk_id for h in hits]
        common = self.boilerplate.lower_case_stems(*self._view(principal))
        if uncovered_specifics(question, hits, common):
            return self._refuse(principal, doc_scope, retrieved, 0.0, "extractive")
        cands, scores, sv = self.score_units(question, principal, hits)
        if not cands:
            return self._refuse(principal, doc_scope, retrieved, 0.0, "extractive")
        ranked = scores
        # The refusal rule reads the scores without the passage-rank penalty (it was calibrated on
        # them): the penalty chooses between units, it does not make a question less answerable.
        scores = scores + PASSAGE_RANK_PENALTY * passage_rank_share(cands, hits)
        order = np.argsort(-scores)
        best = float(scores[order[0]])
        # How far the best unit stands above the field: an answer usually stands out, while a
        # question the document does not answer meets many similar, middling units.
        field_score = float(scores[order[min(PEAK_RANK, len(order) - 1)]])
        signals = {"score": round(best, 4), "coverage": round(cands[order[0]][1], 4),
                   "margin": round(retrieval_margin(hits), 4), "peak": round(best - field_score, 4),
                   "kind": cands[order[0]][0].kind}
        top = cands[order[0]][0]
        q_terms = content_terms(question)
        weights, unseen = self.boilerplate.term_weights(*self._view(principal))
        top_terms = content_terms(top.text)
        top_ctx = content_terms(f"{top.chunk.title} {' '.join(top.chunk.section_path)}")
        signals["idf_coverage"] = round(weighted_coverage(q_terms, top_terms, top_ctx, weights, unseen), 4)
        signals.update(stand_out_signals(scores, order, cands, hits, q_terms, top_terms, top_ctx, weights))
        if should_refuse(signals, self.settings):
            ans = self._refuse(principal, doc_scope, retrieved, best, "extractive")
            ans.details["signals"] = signals
            return ans
        scores = ranked
        order = np.argsort(-scores)
        best = float(scores[order[0]])
        # A picked sentence that is a list's lead-in promises the list: answer with the list.
        lists = [(j, c) for j, (c, _) in enumerate(cands) if c.kind == "list"]
        lead_of = {}
        for i, (u, _) in enumerate(cands):
            for j, lst in lists:
                if u.kind != "list" and u.chunk.chunk_id == lst.chunk.chunk_id and lst.start <= u.start \
                        and u.end <= lst.lead_end:
                    lead_of[i] = j
        order = np.array(list(dict.fromkeys(int(lead_of.get(int(i), int(i))) for i in order)))
        scores = scores.copy()
        for i, j in lead_of.items():
            scores[j] = max(scores[j], scores[i])
        picked = self.pick(cands, order, scores, sv, best)
        units = [trim_list(cands[i][0], q_terms) for i in picked]
        if len(units) == 1:
            units = [self.with_follower(units[0], principal)]
        copies = exact_copies(units, cands) if self.settings.answer_cite_copies else None
        ans = self._compose(units, redactor, retrieved, best, copies)
        ans.details["signals"] = signals
        return ans

    def pick(self, cands: list[tuple[Sentence, float]], order: np.ndarray, scores: np.ndarray,
             sv: np.ndarray, best: float) -> list[int]:
        """Indices of the units an answer joins, best first."""
        picked: list[int] = []
        chars = 0
        for i in order:
            u = cands[i][0]
            if len(picked) >= self.settings.answer_max_sentences:
                break
            if scores[i] < max(self.settings.answer_min_confidence, best - RELATIVE_MARGIN):
                break
            if any(float(sv[i] @ sv[j]) > NEAR_DUPLICATE for j in picked):
                continue
            # One unit per stretch of text: a list holds its sentences, a sentence its clauses.
            if any(cands[j][0].chunk.chunk_id == u.chunk.chunk_id and cands[j][0].start < u.end
                   and u.start < cands[j][0].end for j in picked):
                continue
            if picked and chars + len(u.text) > MAX_ANSWER_CHARS:
                continue
            picked.append(int(i))
            chars += len(u.text)
        return picked

    def with_follower(self, u: Sentence, principal: Principal) -> Sentence:
        """The sentence joined with the next sentence of its paragraph when that one is itself an
        answering unit (factual, not boilerplate, not a cross-reference) and both fit FOLLOW_CHARS."""
        if u.kind != "sentence":
            return u
        text = u.chunk.text
        block = next((b for b in _text.blocks(text) if b.start <= u.start and u.end <= b.end), None)
        if block is None or block.kind in ("heading", "table", "code"):
            return u
        nxt = min(((s, e, flat) for s, e, flat, _, kind, _ in chunk_units(u.chunk)
                   if kind == "sentence" and s >= u.end), default=None)
        # Only the very next sentence of the same paragraph: a skipped sentence breaks the thought.
        if nxt is None or nxt[1] > block.end or text[u.end : nxt[0]].strip() or nxt[1] - u.start > FOLLOW_CHARS:
            return u
        flat = nxt[2]
        if u.chunk.injection_flag and screen(flat).flagged:
            return u
        if self.boilerplate.is_boilerplate(flat, *self._view(principal)):
            return u
        if _POINTER_RE.match(flat) or _SELF_REFERENCE_RE.match(flat):
            return u
        joined, masked = _flat(u.chunk, u.start, nxt[1])
        return replace(u, end=nxt[1], text=joined, embed_text=masked)

    def _compose(self, units: list[Sentence], redactor: ResponseRedactor, retrieved: list[str],
                 best: float, copies: list[list[Sentence]] | None = None) -> Answer:
        """Chunks in order of their best unit; units within a chunk in document order; one citation per
        chunk. ``copies[i]``: passages of other documents holding unit i's text, cited after it
        (their chunks numbered after every quoted unit's chunk)."""
        copies = copies or [[] for _ in units]
        chunk_order: list[str] = []
        for u in units:
            if u.chunk.chunk_id not in chunk_order:
                chunk_order.append(u.chunk.chunk_id)
        for cs in copies:
            for c in cs:
                if c.chunk.chunk_id not in chunk_order:
                    chunk_order.append(c.chunk.chunk_id)
        number = {cid: n for n, cid in enumerate(chunk_order, start=1)}
        pieces: list[str] = []
        citations: list[Citation] = []
        for cid in chunk_order:
            n = number[cid]
            here = sorted((i for i, u in enumerate(units) if u.chunk.chunk_id == cid), key=lambda i: units[i].start)
            for i in here:
                u = units[i]
                also = "".join(f"[{number[c.chunk.chunk_id]}]" for c in copies[i])
                pieces.append(f"{redactor.chunk_slice(u.chunk, u.start, u.end)} [{n}]{also}")
            spans = [units[i] for i in here] + [c for cs in copies for c in cs if c.chunk.chunk_id == cid]
            chunk = spans[0].chunk
            lo, hi = min(x.start for x in spans), max(x.end for x in spans)
            citations.append(self._citation(n, chunk, lo, hi, redactor))
        return Answer(
            answer=" ".join(pieces), citations=citations, grounded=True, refused=False, mode="extractive",
            confidence=round(best, 4), retrieved_chunk_ids=retrieved, sentences=pieces,
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
    def context_units(
        self, question: str, principal: Principal, hits: list[ScoredChunk]
    ) -> list[tuple[Chunk, list[Sentence]]]:
        """The answering units the LLM reads: the best-scoring units (lists with their lead-in),
        grouped by chunk in order of each chunk's best unit, in document order within a chunk."""
        cands, scores, _ = self.score_units(question, principal, hits)
        chosen: list[Sentence] = []
        for i in np.argsort(-scores):
            u = cands[int(i)][0]
            if any(c.chunk.chunk_id == u.chunk.chunk_id and c.start < u.end and u.start < c.end for c in chosen):
                continue
            chosen.append(u)
            if len(chosen) >= LLM_CONTEXT_UNITS:
                break
        groups: dict[str, tuple[Chunk, list[Sentence]]] = {}
        for u in chosen:
            groups.setdefault(u.chunk.chunk_id, (u.chunk, []))[1].append(u)
        return [(c, sorted(us, key=lambda u: u.start)) for c, us in groups.values()]

    def build_prompt(
        self, question_redacted: str, groups: list[tuple[Chunk, list[Sentence]]], redactor: ResponseRedactor
    ) -> tuple[list[dict[str, str]], dict[int, tuple[Chunk, int, int]], dict[int, str]]:
        """Chat messages for the LLM: rules, then numbered, redacted, delimited answering units.

        Returns the messages, ``n -> (chunk, start, end)`` of each document's units and the text
        the model saw for each ``n`` (what its sentences are checked against)."""
        numbered: dict[int, tuple[Chunk, int, int]] = {}
        texts: dict[int, str] = {}
        blocks = []
        for n, (chunk, units) in enumerate(groups, start=1):
            numbered[n] = (chunk, units[0].start, max(u.end for u in units))
            texts[n] = "\n".join(redactor.chunk_slice(chunk, u.start, u.end) for u in units)
            label = f"Document {n}: {chunk.title}" + (f" / {chunk.section}" if chunk.section else "")
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
        doc_scope: bool, evidence_question: str | None = None,
    ) -> Answer:
        retrieved = [h.chunk.chunk_id for h in hits]
        if not hits:
            return self._refuse(principal, doc_scope, retrieved, 0.0, "generative")
        # The same answering units as the extractive path, chosen for the same (evidence) question.
        groups = self.context_units(evidence_question or question, principal, hits)
        if not groups:
            return self._refuse(principal, doc_scope, retrieved, 0.0, "generative")
        messages, numbered, texts = self.build_prompt(redactor.free_text(question), groups, redactor)
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
            c, lo, hi = numbered[old]
            citations.append(self._citation(new, c, lo, hi, redactor))
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
    def read_question(self, question: str, principal: Principal) -> str:
        """The question as retrieval and unit scoring read it: typos in plain words ("cancle",
        "invoise") become the nearby word of the documents the principal may read. The LLM and the
        names check see the question as typed."""
        return correct_spelling(question, self.boilerplate.vocabulary(*self._view(principal)))

    def answer(
        self, question: str, principal: Principal, redactor: ResponseRedactor, doc_ids: Sequence[str] | None = None
    ) -> Answer:
        asked = self.read_question(question, principal)
        plan = self.plan(asked, principal, doc_ids)
        hits = self.expand_within_document(plan.text, principal, self.retrieve(plan.text, principal, plan.doc_ids))
        ans = self._answer(question, principal, hits, redactor, doc_ids is not None,
                           evidence_question=evidence_question(asked, plan))
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
                return self.generative(question, principal, hits, redactor, scope, evidence_q)
            except Exception as exc:  # the LLM is an edge service: fall back, never fail the request
                log.warning("LLM call failed, answering extractively: %s", type(exc).__name__)
                ans = self.extractive(evidence_q, principal, hits, redactor, scope)
                ans.details["llm_error"] = type(exc).__name__
                return ans
        return self.extractive(evidence_q, principal, hits, redactor, scope)


__all__ = [
    "Answer", "Answerer", "Citation", "evidence_question", "refusal_message", "sentence_spans", "split_sentences",
]
