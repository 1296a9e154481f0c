"""A birth date asked for in a chat log and answered on the next line after the time stamp and the
speaker's handle; other dates answered so stay dates.

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
        ("[09:14] Bo: to verify you, please confirm your birthday.\n[09:15] customer: 17/03/1984", "17/03/1984"),
        ("[14:02] agent: What is your date of birth?\n[14:03] lena_k: 1979-11-30", "1979-11-30"),
    ],
)
def test_birth_date_answered_on_the_next_chat_line(detector: PiiDetector, text: str, value: str) -> None:
    assert _covered(detector, text, value, "DATE_OF_BIRTH")


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("[09:14] bot: please confirm your order date.\n[09:15] customer: 17/03/2024", "17/03/2024"),
        ("[10:00] Ana: happy birthday to the release team.\n[10:01] Ola: 2024-05-02 works for me", "2024-05-02"),
    ],
)
def test_other_dates_answered_in_a_chat_stay_dates(detector: PiiDetector, text: str, value: str) -> None:
    assert not _flagged(detector, text, value, "DATE_OF_BIRTH")
