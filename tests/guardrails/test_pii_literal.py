"""The literal finders match exactly where the per-text regular expressions they replace matched."""

from __future__ import annotations

import random
import re

import pytest

from guardrails.pii.literal import is_word_char, phrase_occurrences, word_occurrences

TEXTS = [
    "Anna met Ann; Annabel, ANNA and Ann-Marie. _Ann Ann_ 2Ann Ann2 Ann’s Ann. Anna Anna",
    "Jan de Vries\tand\t Jan  de Vries-Smit, 'Jan de Vries' and Jan de\nVries; Jan de Vries",
    "Łukasz Żak, Łukasz Żakowski, Ünal Öztürk, ünal, Nguyễn Văn An, An, Văn An, Ana",
    "Blue Harbor Blue Harbor Blue Harbor Ltd at Blue Harbor-East and Blue  Harbor",
    "O'Neil O'Neill, D'Arcy d'Arcy, x O'Neil_ O'Neil’s",
    "",
]


def _regex_words(text: str, words: set[str]) -> list[tuple[int, int]]:
    pattern = re.compile(r"(?<!\w)(" + "|".join(sorted(map(re.escape, words), key=len, reverse=True)) + r")(?!\w)")
    return [m.span() for m in pattern.finditer(text)]


def _regex_phrase(text: str, seg: str) -> list[tuple[int, int]]:
    name = r"[ \t]+".join(map(re.escape, seg.split()))
    return [m.span() for m in re.finditer(rf"(?<![\w'’-]){name}(?![\w-])", text)]


@pytest.mark.parametrize("text", TEXTS)
def test_word_occurrences_equal_the_alternation_regex(text: str) -> None:
    for words in ({"Ann", "Anna"}, {"Ann"}, {"Jan", "Vries", "Vries-Smit"}, {"Łukasz", "Żak", "Văn", "An"},
                  {"O'Neil", "O'Neill", "Arcy"}, {"Blue", "Harbor", "Harbor-East"}):  # fmt: skip
        assert word_occurrences(text, words) == _regex_words(text, words), words


@pytest.mark.parametrize("text", TEXTS)
def test_phrase_occurrences_equal_the_phrase_regex(text: str) -> None:
    for seg in ("Jan de Vries", "Blue Harbor", "Ann Ann", "Anna Anna", "Nguyễn Văn An", "O'Neil", "Văn An"):
        got = list(phrase_occurrences(text, seg.split(), not_before="'’-", not_after="-"))
        assert got == _regex_phrase(text, seg), seg


def test_random_texts_match_the_regexes() -> None:
    rng = random.Random(7)
    alphabet = ["Ann", "Anna", "a", "n", " ", "  ", "\t", "\n", "-", "'", "’", "_", "2", "é", "Ann-", ".", ","]
    for _ in range(2000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 25)))
        assert word_occurrences(text, {"Ann", "Anna", "nn"}) == _regex_words(text, {"Ann", "Anna", "nn"}), text
        for seg in ("Ann Anna", "Ann", "Ann Ann Ann"):
            got = list(phrase_occurrences(text, seg.split(), not_before="'’-", not_after="-"))
            assert got == _regex_phrase(text, seg), (text, seg)


def test_boundaries_keep_words_inside_other_words_out() -> None:
    text = "Annabel and Joanna know Ann."
    assert word_occurrences(text, {"Ann"}) == [(24, 27)]
    assert list(phrase_occurrences("pre-Blue Harbor Blue Harbor-x Blue Harbor", ["Blue", "Harbor"], "-", "-")) == [
        (30, 41)
    ]


def test_word_char_is_what_regex_word_means() -> None:
    for code in range(0x3000):
        ch = chr(code)
        assert is_word_char(ch) == bool(re.match(r"\w", ch)), hex(code)


def test_an_empty_phrase_is_refused() -> None:
    with pytest.raises(ValueError):
        list(phrase_occurrences("text", []))
