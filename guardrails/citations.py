"""Citation verification: is a sentence supported by the chunk it cites?

Two signals, combined:
- lexical: recall of the sentence's content words (light stemming) and numbers in the chunk;
- semantic: cosine similarity of sentence embeddings against the chunk and its sentences, when the
  caller passes an `embed` function (the module stays free of model code).
Two hard checks override both: every number in the sentence must occur in the chunk ("4 hours" is
not supported by "8 hours"), and the sentence must not flip the negation of the chunk clause it
matches best ("may escalate by e-mail" vs "never by e-mail").

Thresholds are calibrated on guardrails/data/citation_support.jsonl by `python -m
evals.calibrate_citations`; the numbers and the cross-validated scores are in
reports/citations/calibration.json.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from guardrails import text as _text

__all__ = [
    "COMBINED_THRESHOLD",
    "COMBINED_WEIGHT",
    "LEXICAL_THRESHOLD",
    "SEMANTIC_THRESHOLD",
    "CitationReport",
    "Embed",
    "SentenceCheck",
    "SupportScore",
    "citation_precision",
    "content_terms",
    "decide",
    "is_factual",
    "split_sentences",
    "strip_citations",
    "support",
]

Embed = Callable[[list[str]], np.ndarray]

# Chosen by `python -m evals.calibrate_citations` on guardrails/data/citation_support.jsonl (128 pairs);
# grid, grouped cross-validation and per-kind scores are in reports/citations/calibration.json.
# Accuracy in-sample / 5-fold CV by chunk (Snowball stems, spaCy stopwords): lexical 0.805 / 0.789,
# combined 0.828 / 0.789, semantic only 0.664 / 0.656. The hard checks do most of the work: the hard negatives (wrong
# number, flipped negation, swapped party) sit as close to the chunk in embedding space as true
# paraphrases do, so the semantic score mainly rescues paraphrases with few shared words.
LEXICAL_THRESHOLD = 0.75  # lexical-only mode (no embedder)
SEMANTIC_THRESHOLD = 0.85  # semantic-only rule, for comparison; not used by `decide`
COMBINED_WEIGHT = 0.5  # combined = w * lexical + (1 - w) * semantic
COMBINED_THRESHOLD = 0.72


# --------------------------------------------------------------------------------------------------
# Sentences and citation markers
# --------------------------------------------------------------------------------------------------

_MARKER_RE = re.compile(r"\s*\[\s*(\d+(?:\s*[-–,;]\s*\d+)*)\s*\]")
_LEADING_MARKERS_RE = re.compile(r"\s*(?:\s*\[\s*\d+(?:\s*[-–,;]\s*\d+)*\s*\])+")


def strip_citations(sentence: str) -> tuple[str, list[int]]:
    """Remove `[n]`, `[n, m]`, `[n-m]` and `[n][m]` markers; return the clean text and the numbers in order."""
    numbers: list[int] = []
    for m in _MARKER_RE.finditer(sentence):
        for part in re.split(r"\s*[,;]\s*", m.group(1)):
            if re.search(r"[-–]", part):
                lo, hi = (int(x) for x in re.split(r"\s*[-–]\s*", part))
                rng = range(lo, hi + 1) if 0 <= hi - lo <= 50 else (lo, hi)
                numbers.extend(rng)
            else:
                numbers.append(int(part))
    text = _MARKER_RE.sub("", sentence)
    text = re.sub(r"\s+([.,;:!?])", r"\1", text)
    text = re.sub(r"\s{2,}", " ", text).strip()
    return text, list(dict.fromkeys(numbers))


def split_sentences(text: str, *, strip_markers: bool = False) -> list[str]:
    """Split text into sentences (``guardrails.text``); `[n]` markers stay with the sentence they end.

    With `strip_markers=True` the citation markers are removed from each sentence.
    """
    spans: list[list[int]] = []
    for s, e in _text.sentence_spans(text):
        lead = _LEADING_MARKERS_RE.match(text, s, e)
        if lead and spans:  # "Done.[1] Next." splits before the marker: it belongs to "Done."
            spans[-1][1] = lead.end()
            s = lead.end()
        if text[s:e].strip():
            spans.append([s, e])
    out = [" ".join(text[s:e].split()) for s, e in spans]
    if strip_markers:
        out = [s for s in (strip_citations(x)[0] for x in out) if s]
    return out


# --------------------------------------------------------------------------------------------------
# Lexical features
# --------------------------------------------------------------------------------------------------

_STOPWORDS = _text.stopwords()
_NEGATIONS = _text.NEGATIONS
_NEG_PHRASES_RE = re.compile(r"\b(?:out of scope|not in scope|is excluded|are excluded|prohibited|forbidden)\b")
_NUMBER_WORDS = _text.NUMBER_WORDS
_NUM_RE = re.compile(r"(?<![\w.])\d+(?:[.,:/]\d+)*")
_WORD_RE = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")


def _canon_number(tok: str) -> str:
    # "184,000" -> "184000"; "02:00" -> "2:00"; "8.5" stays; "24/7" stays.
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+", tok):
        tok = tok.replace(",", "")
    parts = re.split(r"([.:/,])", tok)
    return "".join(p if not p.isdigit() else str(int(p)) for p in parts)


def _stem(word: str) -> str:
    return _text.stem(word)


# Identifiers mixing letters and digits (P1, M3, CR-03, ISO27001) must match exactly, like numbers.
_CODE_RE = re.compile(r"\b[A-Za-z]{1,6}-?\d+[A-Za-z0-9]*\b")


def _numbers(text: str) -> set[str]:
    nums = {_canon_number(t) for t in _NUM_RE.findall(text)}
    nums |= {m.group().lower().replace("-", "") for m in _CODE_RE.finditer(text)}
    for w in _WORD_RE.findall(text.lower()):
        if w in _NUMBER_WORDS:
            nums.add(_canon_number(_NUMBER_WORDS[w]))
    return nums


def content_terms(text: str) -> set[str]:
    """Stemmed content words plus canonical numbers of `text` (public for the calibration script)."""
    lower = text.lower()
    words = {
        _stem(w)
        for w in _WORD_RE.findall(lower)
        if w not in _STOPWORDS and w not in _NUMBER_WORDS and len(w) > 1 and w not in _NEGATIONS
    }
    return words | _numbers(text)


def _neg_text(text: str) -> str:
    # "no-go", "non-production" are names, not negations.
    return re.sub(r"\bno(?:n)?-\w+", " ", text.lower().replace("’", "'"))


def _negated(text: str) -> bool:
    lower = _neg_text(text)
    toks = set(re.findall(r"[a-z]+", lower))
    return bool(toks & _NEGATIONS) or "n't" in lower or bool(_NEG_PHRASES_RE.search(lower))


_NEG_SCOPE_RE = re.compile(r"\b(?:not|never|no|cannot|without|n't)\b\s*((?:[^\s.,;:]+\s*){1,6})")


def _negated_terms(text: str) -> set[str]:
    """Content terms that follow a negation cue within the same clause ("never by e-mail" -> mail)."""
    terms: set[str] = set()
    for m in _NEG_SCOPE_RE.finditer(_neg_text(text).replace("n't", " n't")):
        terms |= content_terms(m.group(1))
    return terms


_POSSESSIVE_RE = re.compile(
    r"\b(vendor|partner|customer|supplier|provider|client|consultant|sponsor)['’]s\s+([a-z]+)", re.I
)


def _possessive_pairs(text: str) -> set[tuple[str, str]]:
    return {(m.group(1).lower(), _stem(m.group(2))) for m in _POSSESSIVE_RE.finditer(text)}


def _clauses(chunk_text: str) -> list[str]:
    parts: list[str] = []
    for s in split_sentences(chunk_text, strip_markers=True):
        parts.extend(p.strip() for p in re.split(r"[;,] ", s) if p.strip())
    return parts or [chunk_text]


# --------------------------------------------------------------------------------------------------
# Support
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SupportScore:
    """How well a sentence is supported by a chunk.

    `lexical` is the share of the sentence's content terms found in the chunk; `semantic` the best
    cosine similarity against the chunk and its sentences (None without an embedder); `supported`
    the decision with the module thresholds. `missing_numbers`, `negation_mismatch` and
    `party_mismatch` explain a hard rejection.
    """

    lexical: float
    semantic: float | None
    supported: bool
    missing_numbers: tuple[str, ...] = ()
    negation_mismatch: bool = False
    party_mismatch: bool = False

    @property
    def checks_ok(self) -> bool:
        """True when no hard check (numbers, negation, party) rejected the sentence."""
        return not (self.missing_numbers or self.negation_mismatch or self.party_mismatch)


def decide(
    lexical: float,
    semantic: float | None,
    checks_ok: bool,
    *,
    lexical_threshold: float = LEXICAL_THRESHOLD,
    combined_weight: float = COMBINED_WEIGHT,
    combined_threshold: float = COMBINED_THRESHOLD,
) -> bool:
    """The support decision from the two scores and the hard checks (parameters for calibration)."""
    if not checks_ok:
        return False
    if semantic is None:
        return lexical >= lexical_threshold
    return combined_weight * lexical + (1.0 - combined_weight) * semantic >= combined_threshold


def _unit_rows(vectors: np.ndarray) -> np.ndarray:
    v = np.asarray(vectors, dtype=np.float64)
    norms = np.linalg.norm(v, axis=1, keepdims=True)
    return v / np.where(norms == 0, 1.0, norms)


def semantic_similarity(sentence: str, chunk_text: str, embed: Embed) -> float:
    """Best cosine of the sentence against the whole chunk, each chunk sentence and each adjacent pair."""
    chunk_sents = split_sentences(chunk_text, strip_markers=True)
    pairs = [f"{a} {b}" for a, b in zip(chunk_sents, chunk_sents[1:], strict=False)]
    targets = list(dict.fromkeys([chunk_text, *chunk_sents, *pairs]))
    vecs = _unit_rows(embed([sentence, *targets]))
    return float(np.clip(vecs[1:] @ vecs[0], -1.0, 1.0).max())


def _windows(chunk_text: str) -> list[str]:
    sents = split_sentences(chunk_text, strip_markers=True) or [chunk_text]
    return sents + [f"{a} {b}" for a, b in zip(sents, sents[1:], strict=False)]


def support(sentence: str, chunk_text: str, *, embed: Embed | None = None) -> SupportScore:
    """Score whether `sentence` (citation markers are ignored) is supported by `chunk_text`.

    Lexical recall and the number check use the chunk passage (one sentence or two adjacent ones)
    that shares most words with the sentence, so a number or a party taken from a neighbouring
    statement of the same chunk does not count as support.
    """
    clean, _ = strip_citations(sentence)
    s_terms = content_terms(clean)
    if not s_terms or not chunk_text.strip():
        return SupportScore(lexical=0.0, semantic=None, supported=False)
    s_nums = _numbers(clean)
    s_words = s_terms - s_nums
    windows = [(w, content_terms(w)) for w in _windows(chunk_text)]
    # Align on words (not numbers), prefer the shorter passage on ties.
    aligned, _ = max(windows, key=lambda w: (len(s_words & w[1]), -len(w[0])))
    lexical = max(len(s_terms & t) / len(s_terms) for _, t in windows)
    missing = tuple(sorted(s_nums - _numbers(aligned)))

    # Negation: the sentence must agree with the clause it matches best, and a positive sentence
    # must not assert something the chunk negates ("may escalate by e-mail" vs "never by e-mail").
    # Compared clause by clause, so "blocked for all users, with no workaround" matches itself.
    chunk_clauses = _clauses(aligned)
    negation_mismatch = False
    for s_clause in _clauses(clean):
        c_words = content_terms(s_clause) - s_nums
        if not c_words:
            continue
        clause = max(chunk_clauses, key=lambda c, w=c_words: (len(w & content_terms(c)), -len(c)))  # type: ignore[misc]
        s_neg = _negated(s_clause)
        if s_neg != _negated(clause) or (not s_neg and bool(c_words & _negated_terms(aligned))):
            negation_mismatch = True
            break
    # Who owns what: "the vendor's solution architect" needs that exact pairing in the chunk.
    c_pairs = _possessive_pairs(chunk_text)
    party_mismatch = any(pair not in c_pairs for pair in _possessive_pairs(clean))

    semantic = semantic_similarity(clean, chunk_text, embed) if embed is not None else None
    ok = not missing and not negation_mismatch and not party_mismatch
    return SupportScore(
        lexical=round(lexical, 4),
        semantic=None if semantic is None else round(semantic, 4),
        supported=decide(lexical, semantic, ok),
        missing_numbers=missing,
        negation_mismatch=negation_mismatch,
        party_mismatch=party_mismatch,
    )


# --------------------------------------------------------------------------------------------------
# Answers
# --------------------------------------------------------------------------------------------------

_META_RE = re.compile(
    r"^(?:i (?:could not|couldn't|cannot|can't|did not|didn't|do not|don't)|sorry|here (?:is|are)|"
    r"sources?:|references?:|let me know|i hope|please (?:note|contact|ask)|based on the (?:documents?|"
    r"sources?|context)[,:]?$)",
    re.I,
)


def is_factual(sentence: str) -> bool:
    """A sentence that states something checkable: not a question, not a meta remark, has content."""
    clean, _ = strip_citations(sentence)
    if not clean or clean.endswith("?") or _META_RE.match(clean):
        return False
    terms = content_terms(clean)
    return len(terms) >= 3 or bool(_numbers(clean) and len(terms) >= 2)


@dataclass(frozen=True)
class SentenceCheck:
    """One answer sentence: its citations, whether it is factual, and (if cited) whether it is supported."""

    text: str
    citations: tuple[int, ...]
    factual: bool
    supported: bool | None
    score: SupportScore | None
    best_citation: int | None
    unknown_citations: tuple[int, ...] = ()


@dataclass(frozen=True)
class CitationReport:
    """Per-sentence checks; precision = supported cited / cited; coverage = cited / factual (None if 0/0)."""

    sentences: tuple[SentenceCheck, ...]
    cited: int
    supported: int
    factual: int
    precision: float | None
    coverage: float | None


def _rank(score: SupportScore) -> tuple[bool, float, float]:
    return (score.supported, score.lexical, score.semantic if score.semantic is not None else 0.0)


_PART_SPLIT_RE = re.compile(r";\s+|,?\s+(?:and|while|whereas|but)\s+(?=(?:the|a|an|its|their|each|all)\b)", re.I)


def _support_by_parts(sentence: str, chunks: Sequence[str], embed: Embed | None) -> SupportScore | None:
    """A sentence citing several sources may join one fact from each: "X [1] and the Y [2]".

    Supported when every clause is supported by at least one of the cited chunks; the score reported
    is that of the weakest clause.
    """
    parts = [p.strip(" ,.") for p in _PART_SPLIT_RE.split(sentence)]
    parts = [p for p in parts if len(content_terms(p)) >= 2]
    if len(parts) < 2:
        return None
    weakest: SupportScore | None = None
    for part in parts:
        best = max((support(part, c, embed=embed) for c in chunks), key=_rank)
        if not best.supported:
            return best
        if weakest is None or _rank(best) < _rank(weakest):
            weakest = best
    return weakest


def _check_sentence(sentence: str, chunks_by_n: Mapping[int, str], embed: Embed | None) -> SentenceCheck:
    clean, cites = strip_citations(sentence)
    factual = is_factual(sentence) or bool(cites)
    if not cites:
        return SentenceCheck(clean, (), factual, None, None, None)
    known = [n for n in cites if n in chunks_by_n]
    unknown = tuple(n for n in cites if n not in chunks_by_n)
    candidates: list[tuple[int | None, SupportScore]] = [
        (n, support(clean, chunks_by_n[n], embed=embed)) for n in known
    ]
    if len(known) > 1 and not any(s.supported for _, s in candidates):
        combined = _support_by_parts(clean, [chunks_by_n[n] for n in known], embed)
        if combined is not None:
            candidates.append((None, combined))
    if not candidates:
        return SentenceCheck(clean, tuple(cites), factual, False, None, None, unknown)
    best_n, best = max(candidates, key=lambda c: _rank(c[1]))
    return SentenceCheck(clean, tuple(cites), factual, best.supported, best, best_n, unknown)


def citation_precision(answer: str, chunks_by_n: Mapping[int, str], embed: Embed | None = None) -> CitationReport:
    """Check every sentence of `answer` against the chunks its `[n]` markers cite.

    A citation to a number missing from `chunks_by_n` counts as unsupported.
    """
    checks = tuple(_check_sentence(s, chunks_by_n, embed) for s in split_sentences(answer))
    cited = [c for c in checks if c.citations]
    supported = sum(1 for c in cited if c.supported)
    factual = sum(1 for c in checks if c.factual)
    return CitationReport(
        sentences=checks,
        cited=len(cited),
        supported=supported,
        factual=factual,
        precision=supported / len(cited) if cited else None,
        coverage=len(cited) / factual if factual else None,
    )


def batch_support(pairs: Iterable[tuple[str, str]], *, embed: Embed | None = None) -> Sequence[SupportScore]:
    """`support` over many (sentence, chunk) pairs."""
    return [support(s, c, embed=embed) for s, c in pairs]
