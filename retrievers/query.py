"""Query handling: ranking text without self-references, and document mentions.

:func:`ranking_text` drops what a question says about the document it is asked
about rather than about its subject: "in this agreement", "under the contract", "of the
document". Every chunk of a contract is part of
"this agreement", so those words only pull boilerplate ("This Agreement may be amended
...") up the dense ranking; the retriever ranks with the rest.

Document mentions: notice when a question names one of the documents the asker can see.

"What notice period does the Reseller Agreement between Acme and Globex require?" names
its document. Searching the whole pool for it lets the party names pull in the opening
pages of every similar agreement, and ranks the named contract's signature block above
the clause asked about. :class:`DocumentMentions` finds the mention by matching the
question against document titles (weighted by how distinctive each title word is), and
:meth:`DocumentMentions.plan` turns it into a document scope plus the question with the
mention removed, so both rankers look for the clause inside that document.

Only titles of documents the principal may see are matched (the caller passes them from
``store.list_documents(access_filter(principal))``), and the scope is applied as
``doc_ids``, which can only narrow the access filter.
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from retrievers.access import Principal, access_filter
from retrievers.stores.base import Store, data_version, iter_chunks

_TOKEN = re.compile(r"[A-Za-z0-9]+(?:['’][A-Za-z]+)?")
# Redaction placeholders (``<PERSON>``, ``<EMAIL_ADDRESS>``): what was masked, never a word of a title.
_PLACEHOLDER = re.compile(r"<[A-Z][A-Z_]*>")
_FUNCTION = frozenset(
    {"a", "an", "and", "the", "of", "for", "to", "in", "on", "by", "with", "between", "among", "this", "that",
     "these", "those", "is", "are", "be", "its", "it", "as", "at", "or", "from"}
)
# Legal-form suffixes: part of a name, but say nothing about which document is meant.
_STOP = _FUNCTION | frozenset(
    {"inc", "ltd", "llc", "co", "corp", "corporation", "company", "limited", "plc", "gmbh", "sa", "ag"}
)


# "in this agreement", "under the contract", "of this document": the document the question is
# asked about, not its subject.
_SELF_REFERENCE = re.compile(
    r"\b(?:(?:in|under|of|by|to|for|from|within)\s+)?(?:this|the|that)\s+(?:agreement|contract|document)\b", re.I
)
_AUXILIARY = frozenset({"does", "do", "did", "was", "were", "can", "could", "will", "would", "shall", "should", "has",
                        "have", "had", "what", "which", "who", "when", "where", "how", "there", "any"})


def ranking_text(query: str) -> str:
    """The query without references to the document it is asked about; the query itself
    when too little would be left."""
    # The leading question word stays: the model was trained on questions, and without it
    # "When ..." / "Who ..." questions lost ranking quality on the demo set.
    text = _SELF_REFERENCE.sub(" ", query)
    text = re.sub(r"\s+([,.?;:!])", r"\1", text)
    text = re.sub(r"\s{2,}", " ", text).strip(" ,;:")
    kept = [t for t, _, _ in _tokens(text) if t not in _FUNCTION and t not in _AUXILIARY]
    return text if len(kept) >= 2 else query


def _tokens(text: str) -> list[tuple[str, int, int]]:
    return [(m.group(0).lower().replace("’", "'"), m.start(), m.end()) for m in _TOKEN.finditer(text)]


@dataclass
class QueryPlan:
    """What to search for: ``text`` (ranking text), optional ``doc_ids`` scope and why."""

    query: str
    text: str
    doc_ids: list[str] | None = None
    matched_titles: list[str] = field(default_factory=list)
    coverage: float = 0.0
    # What an answer must address (see copilot.answering.answerer.evidence_question): the question
    # with the mention turned into "this <kind of document>" when a mention chose the scope, and
    # with its misspelt words corrected; None when the question as asked is that.
    evidence_text: str | None = None
    # A document was named but scored weakly for the question: searched in the whole pool.
    fallback: bool = False
    # Misspelt words of the question and the document words ``text`` uses instead.
    corrections: dict[str, str] = field(default_factory=dict)


class DocumentMentions:
    """Detects which document a question names, only when the mention is unambiguous.

    A document is named when the question contains its exact title or its id (file name), or
    when it covers the title's *distinctive* words: words of at most a few titles, weighted by
    inverse document frequency over all titles, covered at least ``min_coverage`` with at
    least ``min_words`` of them present. Words that occur in half of the titles or more
    (a product name every guide carries, "agreement") are generic and never name a document;
    redaction placeholders such as ``<PERSON>`` are not words of a title at all. When the matched
    words fit several different titles the mention is ambiguous and nothing is narrowed;
    titles with the same words (versions of one document) are kept together.
    """

    def __init__(
        self, documents: Iterable[tuple[str, str]], *, min_coverage: float = 0.8, min_words: int = 2,
        body_df: dict[str, int] | None = None, n_bodies: int = 0,
    ):
        self.min_coverage = min_coverage
        self.min_words = min_words
        self._titles: list[tuple[str, str, set[str], set[str]]] = []  # doc_id, title, content words, all words
        self._phrases: list[tuple[str, list[str], list[str]]] = []  # doc_id, title tokens, id tokens
        df: Counter[str] = Counter()
        for doc_id, title in documents:
            clean = _PLACEHOLDER.sub(" ", title or "")
            toks = [t for t, _, _ in _tokens(clean)]
            words = set(toks)
            content = {w for w in words if w not in _STOP}
            self._titles.append((doc_id, title, content, words))
            stem = doc_id.rsplit("/", 1)[-1].rsplit(".", 1)[0]
            self._phrases.append((doc_id, toks, [t for t, _, _ in _tokens(stem)]))
        # Word frequencies over distinct titles: versions of one document count once.
        distinct = {frozenset(c) for _, _, c, _ in self._titles}
        for words_of_title in distinct:
            df.update(words_of_title)
        n = max(1, len(distinct))
        # Generic: in two or more titles and in at least half of them, or (when the documents'
        # text is known) in two or more documents' text and at least half of them: a product name
        # every guide repeats stays generic even where redaction masked it in some titles.
        self._generic = {w for w, c in df.items() if c >= 2 and c >= n / 2}
        if body_df and n_bodies:
            self._generic |= {w for w in df if body_df.get(w, 0) >= 2 and body_df.get(w, 0) >= n_bodies / 2}
        self._idf = {w: math.log(1 + n / c) for w, c in df.items()}
        self._df = df
        # Inverted indexes, so a question is matched against the titles sharing its words
        # instead of every title (planning cost stays flat as documents are added).
        generic_or_stop = self._generic | _STOP
        self._by_first: dict[str, list[tuple[int, list[str]]]] = {}  # phrase's first token -> (title, phrase)
        self._by_word: dict[str, list[int]] = {}  # distinctive word -> titles
        self._distinctive: list[set[str]] = []
        self._words_of: dict[str, set[str]] = {}  # doc_id -> all words of its title
        self._distinct_of: dict[str, set[str]] = {}  # doc_id -> content words that are not generic
        for i, ((doc_id, _t, content, words), (_, ttoks, itoks)) in enumerate(
                zip(self._titles, self._phrases, strict=True)):
            for phrase, min_len in ((ttoks, 3), (itoks, 2)):
                if len(phrase) >= min_len and not set(phrase) <= generic_or_stop:
                    self._by_first.setdefault(phrase[0], []).append((i, phrase))
            distinctive = content - self._generic
            self._distinctive.append(distinctive)
            if len(distinctive) >= self.min_words:
                for w in distinctive:
                    self._by_word.setdefault(w, []).append(i)
            self._words_of.setdefault(doc_id, words)
            self._distinct_of[doc_id] = distinctive  # the last title of an id wins, as before

    def __len__(self) -> int:
        return len(self._titles)

    def _exact(self, qtoks: list[str]) -> list[tuple[str, str, float]]:
        """Documents whose whole title (3+ words, not all generic) or id (2+ words) the question contains."""
        hits: set[int] = set()
        for pos, tok in enumerate(qtoks):
            for i, phrase in self._by_first.get(tok, ()):
                if i not in hits and qtoks[pos : pos + len(phrase)] == phrase:
                    hits.add(i)
        return [(self._titles[i][0], self._titles[i][1], 1.0) for i in sorted(hits)]

    def mentioned(self, query: str) -> list[tuple[str, str, float]]:
        """(doc_id, title, coverage) of the document(s) the query names unambiguously, best first."""
        qtoks = [t for t, _, _ in _tokens(_PLACEHOLDER.sub(" ", query))]
        exact = self._exact(qtoks)
        if exact:
            return self._unambiguous(exact)
        qwords = set(qtoks)
        shared: Counter[int] = Counter()
        for w in qwords:
            shared.update(self._by_word.get(w, ()))
        found = []
        for i in sorted(i for i, c in shared.items() if c >= self.min_words):
            doc_id, title, _, _ = self._titles[i]
            distinctive = self._distinctive[i]
            hit = distinctive & qwords
            total = sum(self._idf[w] for w in distinctive)
            cov = sum(self._idf[w] for w in hit) / total if total else 0.0
            if cov >= self.min_coverage:
                found.append((doc_id, title, cov))
        if not found:
            return []
        best = max(c for _, _, c in found)
        return self._unambiguous([f for f in found if f[2] >= best - 1e-9])

    def _unambiguous(self, found: list[tuple[str, str, float]]) -> list[tuple[str, str, float]]:
        """All candidates when they are one document (same title words, e.g. versions); else none."""
        first = self._distinct_of[found[0][0]]
        if any(self._distinct_of[d] != first for d, _, _ in found[1:]):
            return []
        return sorted(found, key=lambda f: f[0])

    def plan(self, query: str) -> QueryPlan:
        """The search plan: scope to the mentioned document(s) and drop the mention from the text."""
        hits = self.mentioned(query)
        if not hits:
            return QueryPlan(query=query, text=query)
        words: set[str] = set()
        for doc_id, _, _ in hits:
            words |= self._words_of[doc_id]
        text = _strip_mention(query, words)
        return QueryPlan(
            query=query,
            text=text if len(_tokens(text)) >= 2 else query,
            doc_ids=[d for d, _, _ in hits],
            matched_titles=[t for _, t, _ in hits],
            coverage=hits[0][2],
            evidence_text=_strip_mention(query, words, f"this {_head_noun(hits[0][1])}"),
        )


# Words the speller looks at: letters only, not part of an identifier, path or hyphenated term.
_WORD = re.compile(r"(?<![\w./@-])[A-Za-z]+(?![\w/@-]|\.\w)")


class Speller:
    """Corrects misspelt question words against the words of the documents the asker can see.

    A misspelt word ("instalation", "plugn") matches nothing in the full-text index and weakens
    the dense query too. A word of five letters or more that occurs in none of the visible
    documents and is not a word of the language (``lexicon``: the whole words of the embedding
    model's vocabulary) is replaced by the visible word one edit away (transpositions count one)
    with the same first letter; the more frequent word wins a tie. Words the documents contain,
    known words, short words and parts of identifiers are never changed.
    The vocabulary comes only from passages the principal may read, so a correction can never
    reveal a word of a hidden document.
    """

    def __init__(self, counts: dict[str, int], *, lexicon: frozenset[str] = frozenset(), min_len: int = 5):
        self._counts = counts
        self._words = list(counts)
        self.lexicon = lexicon
        self.min_len = min_len

    def __len__(self) -> int:
        return len(self._words)

    def suggest(self, word: str) -> str | None:
        """The visible word that ``word`` misspells, or None when it is known or has no close match."""
        from rapidfuzz import process
        from rapidfuzz.distance import OSA

        low = word.lower()
        if len(low) < self.min_len or low in self._counts or low in self.lexicon or not self._words:
            return None
        found = process.extract(low, self._words, scorer=OSA.distance, score_cutoff=1, limit=None)
        # Misspellings seldom change the first letter; a word that does is more likely a name.
        found = [f for f in found if f[0][0] == low[0]]
        if not found:
            return None
        best = min(found, key=lambda f: (f[1], -self._counts[f[0]], f[0]))[0]
        return best.capitalize() if word[0].isupper() and not word.isupper() else best

    def correct(self, text: str) -> tuple[str, dict[str, str]]:
        """``text`` with its misspelt words replaced, and the replacements made."""
        fixed: dict[str, str] = {}
        out, pos = [], 0
        for m in _WORD.finditer(text):
            sug = self.suggest(m.group(0))
            if sug is None:
                continue
            fixed[m.group(0)] = sug
            out += [text[pos : m.start()], sug]
            pos = m.end()
        return ("".join(out) + text[pos:], fixed) if fixed else (text, fixed)


def _vocabulary_words(text: str) -> list[str]:
    return [m.group(0).lower() for m in _WORD.finditer(_PLACEHOLDER.sub(" ", text))]


class MentionScoper:
    """Plans queries against the titles each principal may see (listed through the access rule).

    The title lists are cached per (tenant, level, acting-for) for ``ttl`` seconds, so documents
    ingested meanwhile become mentionable within that delay. When the store reports a data
    version, an expired list whose version is unchanged is kept without rescanning the table.
    """

    def __init__(self, store: Store, *, ttl: float = 30.0, min_scope_score: float = 0.25,
                 lexicon: frozenset[str] = frozenset()):
        self.store = store
        self.lexicon = lexicon  # words of the language the speller never corrects (see Speller)
        self.ttl = ttl
        # A narrowed search whose best full-text score is below this share of the whole pool's
        # best falls back to the pool: the question named a document but asks about something
        # that document hardly contains.
        self.min_scope_score = min_scope_score
        self._cache: dict[tuple, tuple[float, int | None, DocumentMentions]] = {}
        # principal key -> (data version, document hashes, df, documents, speller)
        self._df_cache: dict[tuple, tuple[int | None, frozenset, dict[str, int], int, Speller]] = {}
        self._lock = threading.Lock()

    def mentions(self, principal: Principal) -> DocumentMentions:
        key = (principal.tenant_id, int(principal.access_level), principal.acting_for)
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(key)
        if hit is not None and now - hit[0] < self.ttl:
            return hit[2]
        version = data_version(self.store)
        if hit is not None and version is not None and hit[1] == version:
            with self._lock:
                self._cache[key] = (now, version, hit[2])
            return hit[2]
        flt = access_filter(principal)
        docs = self.store.list_documents(flt)
        titles = [(d.doc_id, d.title) for d in docs]
        body_df, n_bodies = self._body_df(principal, titles, version)
        dm = DocumentMentions(titles, body_df=body_df, n_bodies=n_bodies)
        with self._lock:
            self._cache[key] = (now, version, dm)
        return dm

    def speller(self, principal: Principal) -> Speller:
        """The spelling corrector over the words of the passages the principal may see."""
        self.mentions(principal)  # builds (or revalidates) the per-principal statistics
        key = (principal.tenant_id, int(principal.access_level), principal.acting_for)
        with self._lock:
            cached = self._df_cache.get(key)
        return cached[4] if cached is not None else Speller({})

    def _body_df(self, principal: Principal, titles: list[tuple[str, str]], version: int | None = None
                 ) -> tuple[dict[str, int], int]:
        """In how many visible documents' text each title word occurs (recomputed only when the
        stored documents change: same data version, or else the same document hashes). The same
        pass counts every word of the visible passages for the :class:`Speller`."""
        flt = access_filter(principal)
        key = (principal.tenant_id, int(principal.access_level), principal.acting_for)
        with self._lock:
            cached = self._df_cache.get(key)
        if cached is not None and version is not None and cached[0] == version:
            return cached[2], cached[3]
        stamp = frozenset(self.store.document_hashes().items())
        if cached is not None and cached[1] == stamp:
            with self._lock:
                self._df_cache[key] = (version, stamp, cached[2], cached[3], cached[4])
            return cached[2], cached[3]
        vocab = {t for _, title in titles for t, _, _ in _tokens(_PLACEHOLDER.sub(" ", title or ""))} - _STOP
        per_doc: dict[str, set[str]] = {}
        words: Counter[str] = Counter()
        for chunks in iter_chunks(self.store):
            for c in chunks:
                if flt.allows(c):
                    per_doc.setdefault(c.doc_id, set()).update(
                        t for t, _, _ in _tokens(c.text) if t in vocab)
                    # The redacted text: a masked name never becomes a correction.
                    words.update(_vocabulary_words(" ".join([c.title, *c.section_path, c.index_text])))
        df: Counter[str] = Counter()
        for doc_words in per_doc.values():
            df.update(doc_words)
        with self._lock:
            self._df_cache[key] = (version, stamp, dict(df), len(per_doc),
                                   Speller(dict(words), lexicon=self.lexicon))
        return dict(df), len(per_doc)

    def plan(self, query: str, principal: Principal) -> QueryPlan:
        """Scope to the document(s) the question names, if any, unless the named document scores
        weakly for the question (then the whole pool); never wider than the principal's view."""
        mentions = self.mentions(principal)
        text, fixed = self.speller(principal).correct(query)
        plan = mentions.plan(text)
        plan.query, plan.corrections = query, fixed
        if plan.doc_ids and self.min_scope_score > 0 and self._weak(plan, principal):
            return QueryPlan(query=query, text=text, fallback=True, corrections=fixed,
                             evidence_text=text if fixed else None)
        if fixed and plan.evidence_text is None:
            plan.evidence_text = text
        return plan

    def _weak(self, plan: QueryPlan, principal: Principal) -> bool:
        """The scoped best BM25 score is under ``min_scope_score`` of the pool's best (same index
        statistics, so the scores compare)."""
        from retrievers.stores.base import StoreError

        try:
            pool = self.store.text_search(plan.text, access_filter(principal), 1)
            scoped = self.store.text_search(plan.text, access_filter(principal, None, plan.doc_ids), 1)
        except StoreError:
            return False  # the search itself will report the odd input; keep the plan
        if not pool:
            return False
        if not scoped:
            return True
        return scoped[0].score < self.min_scope_score * pool[0].score


_HEAD_CUT = frozenset({"between", "among", "amongst", "by", "of", "for", "with", "to", "dated", "and", "in", "on"})


def _head_noun(title: str) -> str:
    """What a title is a kind of: "Agency Agreement between A and B" -> "agreement",
    "Data Migration Guide" -> "guide" (the last word before the first preposition)."""
    words: list[str] = []
    for tok, _, _ in _tokens(title):
        if tok in _HEAD_CUT and words:
            break
        if tok.isalpha():
            words.append(tok)
    return words[-1] if words else "document"


def _strip_mention(query: str, title_words: set[str], replacement: str = "") -> str:
    """Replace the longest run of title words (the mention itself) in the query; remove it by default."""
    toks = _tokens(query)
    best = (0, 0, 0)  # content words in run, start index, end index (exclusive)
    i = 0
    while i < len(toks):
        if toks[i][0] not in title_words or toks[i][0] in _STOP:
            i += 1
            continue
        j, content = i, 0
        while j < len(toks) and toks[j][0] in title_words:
            content += toks[j][0] not in _STOP
            j += 1
        # a run must not end on a stop word ("... and", "... the")
        while j > i and toks[j - 1][0] in _FUNCTION:
            j -= 1
        if content > best[0]:
            best = (content, i, j)
        i = max(j, i + 1)
    if best[0] == 0:
        return query
    _, i, j = best
    # Keep a leading article out of the result too ("the Agency Agreement between ..." -> "").
    start = toks[i][1]
    if i > 0 and toks[i - 1][0] in ("the", "a", "an", "this", "that"):
        start = toks[i - 1][1]
    end = toks[j - 1][2]
    while end < len(query) and query[end] in ".,":  # "Inc." / "Ltd.," belong to the name
        end += 1
    text = query[:start] + (f" {replacement} " if replacement else "") + query[end:]
    text = re.sub(r"\s+([,.?;:!])", r"\1", text)
    return re.sub(r"\s{2,}", " ", text).strip()
