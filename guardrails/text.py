"""Text handling in one place: structural blocks, sentences, word tokens, stems and stopwords.

Sentences come from spaCy's rule-based ``sentencizer`` over a blank English pipeline (its
tokenizer knows "e.g.", decimals such as "2026.1", URLs and e-mail addresses), with the
abbreviations of ``data/abbreviations.txt`` added as tokenizer special cases so that "No. 5" or
"approx. 12" never end a sentence, and a break before a lower-case word undone (a sentence does
not start in lower case). Structure comes first: blank lines, headings, bullet items and lines
ending with a colon (a list's lead-in) end a block, and sentences never cross blocks.
Stems are NLTK's Snowball (Porter 2) English stemmer; stopwords are spaCy's English list.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

_DATA = Path(__file__).with_name("data")

# Line structure (not sentence splitting): markdown headings and list markers.
_HEADING_RE = re.compile(r"^\s*#{1,6}\s+")
_BULLET_RE = re.compile(r"^\s*(?:[-*•·▪‣–]|\d{1,3}[.)]|[a-zA-Z][.)]|\(\w{1,3}\))\s+")
_TABLE_RULE_RE = re.compile(r"^\s*\|?\s*:?-{3,}")
# A list flattened into one paragraph by a parser: "... are true: - SIT is complete. - No more ..."
_INLINE_BULLET_RE = re.compile(r"(?<=[:.;])\s+[-•*▪–]\s+(?=\S)")
# ... and a numbered one: "... taking the following steps: 1. Enable the feature. 2. Define roles."
_INLINE_NUMBER_RE = re.compile(r"(?<=[:.;])\s+(\d{1,2})[.)]\s+(?=[^\W\d_]|[`*\[(\"'])")

# Code (config files, shell sessions, JSON), kept as lines by the parser, possibly without its fences:
# a YAML/JSON key line, a shell prompt, a line of braces, or a fence.
_FENCE_RE = re.compile(r"^\s*(?:```|~~~)")
_KEY_LINE_RE = re.compile(r"^\s*(?:-\s+)?([\"']?[A-Za-z_$<{@][\w.\-/$<>{}@]*[\"']?):(?:\s+(.*))?$")
_YAML_ENTRY_RE = re.compile(r"^\s*-\s+\S+$")
_PROMPT_RE = re.compile(r"^\s*\$\s+\S")
_BRACE_RE = re.compile(r"^\s*(?:[{}\[\]()]+[,;]?\s*$|.*[{\[]\s*$)")

BlockKind = Literal["heading", "item", "para", "table", "code"]


def _word_list(name: str) -> frozenset[str]:
    lines = (_DATA / name).read_text(encoding="utf-8").splitlines()
    return frozenset(x.strip() for x in lines if x.strip() and not x.startswith("#"))


ABBREVIATIONS = _word_list("abbreviations.txt")
NEGATIONS = _word_list("negations.txt")
NUMBER_WORDS: dict[str, str] = json.loads((_DATA / "number_words.json").read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def _nlp() -> Any:
    import spacy
    from spacy.symbols import ORTH
    from spacy.util import compile_prefix_regex, compile_suffix_regex

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    tokenizer: Any = nlp.tokenizer
    # Citation markers ("hours.[2]", "hours. [2]") are tokens of their own, so the sentence ends
    # before them and never inside one ("[" | "2]").
    marker = r"\[\d+(?:\s*[-–,;]\s*\d+)*\]"
    tokenizer.suffix_search = compile_suffix_regex([marker, *list(nlp.Defaults.suffixes or [])]).search
    tokenizer.prefix_search = compile_prefix_regex([marker, *list(nlp.Defaults.prefixes or [])]).search
    for ab in ABBREVIATIONS:
        for form in {ab, ab.capitalize(), ab.upper()}:
            tokenizer.add_special_case(f"{form}.", [{ORTH: f"{form}."}])
    return nlp


@lru_cache(maxsize=1)
def _stemmer() -> Any:
    from nltk.stem.snowball import SnowballStemmer

    return SnowballStemmer("english")


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    """spaCy's English stopwords, without negations and number words (those carry meaning here)."""
    from spacy.lang.en.stop_words import STOP_WORDS

    return frozenset(w for w in STOP_WORDS if w not in NEGATIONS and w not in NUMBER_WORDS)


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """Snowball stem of a lower-cased word ("migrations" -> "migrat", "escalation" -> "escal")."""
    w = word.lower().replace("’", "'")
    if w.endswith("'s"):
        w = w[:-2]
    return _stemmer().stem(w.strip("'"))


_WORD_RE = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")


def words(text: str) -> list[str]:
    """Alphabetic words of ``text``, lower-cased (numbers and codes are handled by the caller)."""
    return _WORD_RE.findall(text.lower())


@dataclass(frozen=True)
class Block:
    """A structural piece of text: [start, end) offsets, kind, and whether it ends with a colon."""

    start: int
    end: int
    kind: BlockKind
    lead_in: bool = False  # ends with ":" - introduces what follows


def _looks_like_heading(body: str) -> bool:
    flat = body.strip()
    return bool(flat) and flat[-1] not in ".!?;:,)" and len(flat.split()) < 8


def _is_key_line(body: str) -> bool:
    """``key: value`` as in YAML or JSON: a key without spaces and a value that is not prose. A
    capitalised plain word ("Note: ...", "Address: ...") is a label in prose, not a key."""
    m = _KEY_LINE_RE.match(body)
    if m is None:
        return False
    key, value = m.group(1), (m.group(2) or "").strip()
    if re.fullmatch(r"[A-Z][a-z]*", key):
        return False
    return not value or (value[-1] not in ".!?" and len(value.split()) <= 6)


def _strong_code(body: str) -> bool:
    return bool(_PROMPT_RE.match(body) or _BRACE_RE.match(body)) or _is_key_line(body)


def _code_lines(lines: list[str]) -> list[bool]:
    """Which lines belong to a code block. A block opens on a fence, a shell prompt, or a key or brace
    line followed by another code line; indented lines, key lines, braces and comment lines continue
    it, and a blank line ends it unless code follows. Prose lines never join one."""
    n = len(lines)
    code = [False] * n
    bodies = [ln.rstrip("\r\n") for ln in lines]

    def cont(i: int) -> bool:
        b = bodies[i]
        if not b.strip() or _FENCE_RE.match(b):
            return False
        # ... and a YAML list entry of one token ("- defaults.yaml"), however the parser indented it.
        return (_strong_code(b) or b[:1] in " \t" or bool(_YAML_ENTRY_RE.match(b))
                or bodies[i - 1].rstrip().endswith("\\"))

    def next_line(i: int) -> int:
        while i < n and not bodies[i].strip():
            i += 1
        return i

    i = 0
    while i < n:
        b = bodies[i]
        if _FENCE_RE.match(b):  # a fenced block, blank lines and all
            j = i + 1
            while j < n and not _FENCE_RE.match(bodies[j]):
                j += 1
            for k in range(i, min(j + 1, n)):
                code[k] = True
            i = j + 1
            continue
        starts = b.strip() and b[:1] not in " \t" and (
            _PROMPT_RE.match(b) or (_strong_code(b) and i + 1 < n and cont(i + 1)))
        if not starts:
            i += 1
            continue
        j = i + 1
        while j < n:
            if bodies[j].strip() and (cont(j) or (bodies[j].lstrip().startswith("#")
                                                   and j + 1 < n and cont(j + 1))):
                j += 1
                continue
            k = next_line(j)
            if j < k < n and not _FENCE_RE.match(bodies[k]) and (bodies[k][:1] in " \t" or (
                    _strong_code(bodies[k]) and k + 1 < n and cont(k + 1))):
                j = k  # a blank line inside the block
                continue
            break
        for k in range(i, j):
            code[k] = True
        i = j
    return code


def blocks(text: str) -> list[Block]:
    """Headings, list items, table rows, code blocks and paragraphs of ``text`` with their offsets."""
    out: list[Block] = []
    pos = 0
    cur: list[int] | None = None  # [start, end, kind index]
    kinds: list[BlockKind] = ["heading", "item", "para", "table", "code"]

    def flush() -> None:
        nonlocal cur
        if cur is not None:
            s, e, k = cur
            body = text[s:e]
            kind = kinds[k]
            if kind in ("para", "item") and "\n" not in body.strip() and _looks_like_heading(body) and (
                kind == "para" or text[max(0, s - 4) : s].strip()[-1:] in ".)"
            ):
                kind = "heading"  # a short unpunctuated line, or a numbered one ("4. EXIT CRITERIA")
            # Code never introduces what follows (a "key:" line is not a lead-in).
            out.append(Block(s, e, kind, kind != "code" and body.rstrip().endswith(":")))
        cur = None

    lines = text.splitlines(keepends=True)
    code = _code_lines(lines)
    for n, line in enumerate(lines):
        ls, le = pos, pos + len(line.rstrip("\r\n"))
        pos += len(line)
        body = text[ls:le]
        if code[n]:
            if cur is None or cur[2] != 4:
                flush()
                cur = [ls, le, 4]
            else:
                cur[1] = le
            continue
        if cur is not None and cur[2] == 4:
            flush()
        if not body.strip() or _TABLE_RULE_RE.match(body):
            flush()
            continue
        head = _HEADING_RE.match(body)
        bullet = None if head else _BULLET_RE.match(body)
        if body.lstrip().startswith("|"):
            flush()
            cur = [ls, le, 3]
            flush()
            continue
        if head or bullet:
            flush()
            marker = head or bullet
            assert marker is not None
            cur = [ls + marker.end(), le, 0 if head else 1]
        elif cur is None:
            cur = [ls + (len(body) - len(body.lstrip())), le, 2]
        else:
            cur[1] = le
        if head or body.rstrip().endswith(":"):
            flush()
    flush()
    return [piece for b in out if b.end > b.start for piece in _split_inline_list(text, b)]


def _split_inline_list(text: str, b: Block) -> list[Block]:
    """A paragraph holding a flattened list becomes its lead-in and one item per marker."""
    if b.kind not in ("para", "item"):
        return [b]
    cuts = sorted([*_INLINE_BULLET_RE.finditer(text, b.start, b.end), *_numbered_run(text, b)],
                  key=lambda m: m.start())
    if len(cuts) < 2:
        return [b]
    head_end = cuts[0].start()
    pieces = [Block(b.start, head_end, b.kind, text[b.start:head_end].rstrip().endswith(":"))]
    for m, nxt in zip(cuts, [*cuts[1:], None], strict=True):
        end = nxt.start() if nxt is not None else b.end
        pieces.append(Block(m.end(), end, "item", False))
    return pieces


def _numbered_run(text: str, b: Block) -> list[re.Match[str]]:
    """Markers "1.", "2.", ... counting up from 1 in one paragraph: a flattened numbered list. A
    lone number after a full stop ("in version 4. 2 files ...") is not one: a run needs two markers."""
    runs: list[list[re.Match[str]]] = [[]]
    for m in _INLINE_NUMBER_RE.finditer(text, b.start, b.end):
        n = int(m.group(1))
        if n == len(runs[-1]) + 1:
            runs[-1].append(m)
        elif n == 1:
            runs.append([m])
    return [m for run in runs if len(run) >= 2 for m in run]


_MARKER_RE = re.compile(r"\[\d+(?:\s*[-–,;]\s*\d+)*\]")


def _block_sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    piece = text[start:end]
    doc = _nlp()(piece)
    # A boundary never falls inside a citation marker ("[4, 5]" is several tokens): it moves to
    # the marker's end, so the marker stays with the sentence it cites for.
    marker_end = {i: m.end() for m in _MARKER_RE.finditer(piece) for i in range(m.start() + 1, m.end())}
    spans: list[list[int]] = []
    for sent in doc.sents:
        s, e = sent.start_char, sent.end_char
        if spans and s in marker_end:
            spans[-1][1] = s = marker_end[s]
            if s >= e:
                continue
        first = piece[s:e].lstrip()[:1]
        if spans and first.islower():
            spans[-1][1] = e  # a sentence does not start in lower case: the split was an abbreviation
        else:
            spans.append([s, e])
    return [(start + s, start + e) for s, e in spans]


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Sentence [start, end) offsets in ``text``; sentences never cross structural blocks."""
    out: list[tuple[int, int]] = []
    for b in blocks(text):
        # A code block has no sentences: it is one span.
        spans = [(b.start, b.end)] if b.kind == "code" else _block_sentences(text, b.start, b.end)
        for s, e in spans:
            while s < e and text[s].isspace():
                s += 1
            while e > s and text[e - 1].isspace():
                e -= 1
            if e > s:
                out.append((s, e))
    return out


def split_sentences(text: str) -> list[str]:
    """Sentences of ``text`` with whitespace collapsed."""
    return [" ".join(text[s:e].split()) for s, e in sentence_spans(text)]


__all__ = [
    "ABBREVIATIONS", "NEGATIONS", "NUMBER_WORDS", "Block", "blocks", "sentence_spans", "split_sentences", "stem",
    "stopwords", "words",
]
