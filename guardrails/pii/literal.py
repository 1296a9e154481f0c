"""Finding a text's own words again without compiling a regular expression for them.

Post-processing looks for the names and phrases it found elsewhere in the same text. A pattern
built from them is new for every text, so ``re`` compiled it every time (and the compiled
patterns pushed the constant ones out of ``re``'s cache): ``str.find`` finds the same matches.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator


def is_word_char(ch: str) -> bool:
    """What ``\\w`` matches in a ``str`` pattern: a Unicode letter or digit, or ``_``."""
    return ch.isalnum() or ch == "_"


def word_occurrences(text: str, words: Iterable[str]) -> list[tuple[int, int]]:
    """The matches of ``re.finditer(r"(?<!\\w)(w1|w2|...)(?!\\w)", text)`` with the alternatives
    longest first: where the regex engine, scanning left to right, would match.

    At each position the regex takes the longest word that matches there with its boundaries, and
    the scan goes on after the match; so do the candidates here, sorted by start then length.
    """
    found: list[tuple[int, int]] = []
    n = len(text)
    for w in set(words):
        if not w:
            continue
        i = text.find(w)
        while i >= 0:
            e = i + len(w)
            if (i == 0 or not is_word_char(text[i - 1])) and (e == n or not is_word_char(text[e])):
                found.append((i, e))
            i = text.find(w, i + 1)
    found.sort(key=lambda m: (m[0], -m[1]))
    out: list[tuple[int, int]] = []
    pos = 0
    for s, e in found:
        if s >= pos:
            out.append((s, e))
            pos = e
    return out


def phrase_occurrences(
    text: str, words: list[str], not_before: str = "", not_after: str = ""
) -> Iterator[tuple[int, int]]:
    """The matches of ``re.finditer`` for the words joined by ``[ \\t]+``, with no word character
    nor one of ``not_before`` just before and none nor one of ``not_after`` just after.

    The words hold no white space (``str.split`` parts), so the blanks between two of them are
    always the whole run of spaces and tabs: no backtracking can give another match.
    """
    if not words or not all(words):
        raise ValueError("a phrase needs at least one non-empty word")
    first, rest = words[0], words[1:]
    n = len(text)
    pos = 0  # non-overlapping, as finditer: the scan goes on after a match
    i = text.find(first)
    while i >= 0:
        if i >= pos and (i == 0 or not (is_word_char(text[i - 1]) or text[i - 1] in not_before)):
            e = i + len(first)
            ok = True
            for w in rest:
                j = e
                while j < n and text[j] in " \t":
                    j += 1
                if j == e or not text.startswith(w, j):
                    ok = False
                    break
                e = j + len(w)
            if ok and (e == n or not (is_word_char(text[e]) or text[e] in not_after)):
                yield i, e
                pos = e
        i = text.find(first, i + 1)
