"""Phone cues in a plural and in the verbs "call" of other languages, with the record numbers that
"numbers" must not take.

Real Presidio engine and spaCy model. Every sentence is written for these rules (no evaluation-set
text).
"""

from __future__ import annotations

import pytest

from guardrails.pii import PiiDetector
from tests.guardrails.pii_probe import contains as _covered
from tests.guardrails.pii_probe import overlaps as _flagged


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Bel me op 06-12345678", "06-12345678"),
        ("Numbers to try: 020 7946 0958 or 020 7946 0959", "020 7946 0958"),
        ("Numbers to try: 020 7946 0958 or 020 7946 0959", "020 7946 0959"),
    ],
)
def test_phone_after_plural_or_foreign_call_cue(detector: PiiDetector, text: str, value: str) -> None:
    assert _covered(detector, text, value, "PHONE_NUMBER"), detector.detect(text)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Order numbers 4500012345 and 4500012346 are open.", "4500012345"),
        ("Invoice numbers 1234 5678 were paid.", "1234 5678"),
        ("Bel me op 2024-03-15 terug.", "2024-03-15"),
    ],
)
def test_record_numbers_and_dates_after_those_cues(detector: PiiDetector, text: str, value: str) -> None:
    assert not _flagged(detector, text, value), detector.detect(text)
