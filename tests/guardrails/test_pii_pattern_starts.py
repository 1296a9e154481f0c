"""Speed guards find what the unguarded patterns found: the name-before-contact pattern not tried
right after a letter, the European street pattern only where a number follows the word, the digit
test before the identifier recognizers, the phrase cores recognizers share."""

from __future__ import annotations

import random
import re

from guardrails.pii.recognizers.address import StreetAddressRecognizer
from guardrails.pii.recognizers.identifiers import holds_digits
from guardrails.pii.recognizers.person import NameBeforeContactRecognizer as Contact
from guardrails.pii.recognizers.person import (
    _strip_leading_function_words,
    _strip_trailing_lower_words,
    phrase_core,
)

_SKIP = r"(?<![^\W\d_])"
_TOKENS = ["Ana", "Ruiz", "xAna", "ana@x.example", ",", "(", "<", " ", "\t", "\n", "phone", ":", "Tel", "born",
           "née", "ne", "date of birth", "DOB", "ssn", "passport", "+34 600 123 456", "O'", "Brien", "-", "'",
           "_", "7", "Éva", "Łukasz", "at", "with", "via", "MARÍA", "de"]  # fmt: skip


def test_the_pattern_skips_starts_after_a_letter() -> None:
    assert Contact.PATTERN.pattern.startswith(_SKIP)
    text = "Xana Ruiz, ana@x.example"
    assert [m.group(1) for m in Contact.PATTERN.finditer(text)] == ["Xana Ruiz"]


def test_matches_equal_those_of_the_pattern_tried_at_every_position() -> None:
    everywhere = re.compile(Contact.PATTERN.pattern.removeprefix(_SKIP))
    rng = random.Random(11)
    found = 0
    for _ in range(4000):
        text = "".join(rng.choice(_TOKENS) + rng.choice(["", " ", ""]) for _ in range(rng.randint(1, 24)))
        got = [(m.span(), m.groups()) for m in Contact.PATTERN.finditer(text)]
        assert got == [(m.span(), m.groups()) for m in everywhere.finditer(text)], text
        found += len(got)
    assert found > 200  # the texts do hold names before contacts


_NUMBER_AHEAD = r"(?=[\w'’.\-]*\s+\d)"
_STREET_TOKENS = ["Haupt", "straße", "Kalver", "straat", "Rosen", "weg", "str.", "Müller-", "Str.", "gasse", "Damm",
                  "O'Neill-", "plein", "allé", "12", "4b", "7", "1070", "x", "St.", "Annen-", "via", "-", "'", ".",
                  "_", ",", "ring", "Ringweg", "Weg", "v2"]  # fmt: skip


def test_the_euro_street_pattern_matches_what_it_matched_without_its_number_guard() -> None:
    rec = StreetAddressRecognizer()
    pattern = next(p.regex for p in rec.patterns if p.name == "euro street number")
    assert _NUMBER_AHEAD in pattern
    flags = rec.global_regex_flags
    guarded, plain = re.compile(pattern, flags), re.compile(pattern.replace(_NUMBER_AHEAD, "", 1), flags)
    rng = random.Random(5)
    found = 0
    for _ in range(4000):
        text = "".join(rng.choice(_STREET_TOKENS) + rng.choice(["", " ", "", "\n", "  "])
                       for _ in range(rng.randint(1, 12)))  # fmt: skip
        got = [m.span() for m in guarded.finditer(text)]
        assert got == [m.span() for m in plain.finditer(text)], text
        found += len(got)
    assert found > 100  # the texts do hold streets with numbers
    assert [m.group() for m in guarded.finditer("Lieferung an Hauptstraße 12, 10115 Berlin")] == ["Hauptstraße 12"]


def test_holds_digits_counts_to_the_number_asked() -> None:
    assert holds_digits("order 4 of 5", 2)
    assert not holds_digits("order 4 of five", 2)
    assert holds_digits("", 0)
    assert not holds_digits("", 1)
    assert holds_digits("٣٤٥٦٧٨", 6)  # digits of other scripts are digits, as ``\d`` reads them
    rng = random.Random(3)
    for _ in range(500):
        text = "".join(rng.choice("ab 1-9.") for _ in range(rng.randint(0, 30)))
        n = rng.randint(0, 8)
        assert holds_digits(text, n) == (sum(c.isdigit() for c in text) >= n), (text, n)


def test_phrase_core_answers_for_each_text_of_its_own() -> None:
    first, second = "Then Ana Ruiz reviewed it", "Then the team reviewed it"
    for text in (first, second, first):
        x, y = _strip_leading_function_words(text, 0, 20)
        assert phrase_core(text, 0, 20) == (x, _strip_trailing_lower_words(text, x, y))
    assert first[slice(*phrase_core(first, 0, 20))] == "Ana Ruiz"
    assert phrase_core(second, 0, 20) != phrase_core(first, 0, 20)
