"""People named by a role label only people hold in insurance and HR records ("Insured:", "Claimant:",
"Next of kin:"); a label that also names software or a firm's unit takes no name.

Real Presidio engine and spaCy model; every text is written for this rule (no evaluation-set text).
"""

from __future__ import annotations

import pytest

from guardrails.pii import PiiDetector
from tests.guardrails.pii_probe import contains as _covered
from tests.guardrails.pii_probe import overlaps as _flagged


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Insured: Rosalind Achterberg | Policy no. HX-2291-0041", "Rosalind Achterberg"),
        ("Claimant: Mirela Popescu | Claim no. 77120", "Mirela Popescu"),
        ("Next of kin: Tendai Moyo (brother)", "Tendai Moyo"),
        ("Named driver: Tomasz Wrona", "Tomasz Wrona"),
        ("Guardian: Elif Demir, mother", "Elif Demir"),
    ],
)
def test_role_label_names_a_person(detector: PiiDetector, text: str, name: str) -> None:
    assert _covered(detector, text, name)


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("Driver: Intel Graphics", "Intel Graphics"),
        ("Driver: HP Universal Print", "Universal Print"),
        ("Insured: Northwind Traders Ltd", "Northwind Traders"),
        ("Participant: Finance Team", "Finance Team"),
    ],
)
def test_role_label_with_a_thing_takes_no_name(detector: PiiDetector, text: str, phrase: str) -> None:
    assert not _flagged(detector, text, phrase, "PERSON")
