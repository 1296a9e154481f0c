"""The name-before-contact pattern, not tried right after a letter, finds what it found tried everywhere."""

from __future__ import annotations

import random
import re

from guardrails.pii.recognizers.person import NameBeforeContactRecognizer as Contact

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
