"""Identifier values typed in lower case after their cue, and one-word names as the subject of a
verb people govern, with the precision guards of both rules.

Real Presidio engine and spaCy model. Every sentence is written for these rules (no evaluation-set
text); values are synthetic (bank codes pass python-stdnum's BIC check).
"""

from __future__ import annotations

import pytest

from guardrails.pii import PiiDetector
from tests.guardrails.pii_probe import contains as _covered


def _types(detector: PiiDetector, text: str) -> set[str]:
    return {s.entity_type for s in detector.detect(text)}


# -- lower-case values after their cue ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Passport no. x12345678 was checked at the front desk.", "x12345678"),
        ("passport: c01x00t47", "c01x00t47"),
        ("Her passport number is ab1234567 and it expires next year.", "ab1234567"),
        ("Reisepass-Nr.: c4f1g2h7k", "c4f1g2h7k"),
    ],
)
def test_passport_typed_in_lower_case_after_its_cue(detector: PiiDetector, text: str, value: str) -> None:
    assert _covered(detector, text, value, "PASSPORT"), detector.detect(text)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("BIC: deutdeff, IBAN DE89 3704 0044 0532 0130 00", "deutdeff"),
        ("swift code cobadeffxxx", "cobadeffxxx"),
        ("Bank details - bic bnpafrpp; account holder on file", "bnpafrpp"),
    ],
)
def test_bank_code_typed_in_lower_case_after_its_cue(detector: PiiDetector, text: str, value: str) -> None:
    assert _covered(detector, text, value, "SWIFT_CODE"), detector.detect(text)


@pytest.mark.parametrize(
    "text",
    [
        # Eight letters after the cue that read as a code of a real country but are a word.
        "SWIFT: required for all transfers abroad.",
        "The swift code is required for transfers.",
        "Bank code: required",
        "BIC: disabled",
        # Lower-case words after a passport cue hold no digits or name a record.
        "Passport renewal: pending since 2024-01-01, passport fee paid.",
        "passport scan uploaded as file scan2024ab.pdf",
    ],
)
def test_lower_case_words_after_a_cue_stay_text(detector: PiiDetector, text: str) -> None:
    assert not _types(detector, text) & {"SWIFT_CODE", "PASSPORT"}, detector.detect(text)


# -- one-word names as the subject of a verb ---------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Luiza confirmed the cut-over for Friday. She will brief the team.", "Luiza"),
        ("Meeting notes. Tomasz proposed moving the go-live; he owns the new plan.", "Tomasz"),
        ("Roxanne is very reliable. You can always count on her.", "Roxanne"),
        ("Dzhambek is from the integrator's team and joins on Monday.", "Dzhambek"),
        ("The import failed twice, but Keshav apologised and re-ran it.", "Keshav"),
    ],
)
def test_first_name_as_subject_of_a_verb(detector: PiiDetector, text: str, name: str) -> None:
    assert _covered(detector, text, name, "PERSON"), detector.detect(text)


@pytest.mark.parametrize(
    "text",
    [
        # A firm named after one person: the same word with a legal form or organisation word elsewhere.
        "Wilmsen GmbH sent the offer. Wilmsen confirmed the dates on Monday.",
        "Ordered from Wilmsen Logistics. Wilmsen agreed to the new rate.",
        # A one-word subject of a verb firms govern too, with no personal pronoun taking it up.
        "Minutes: Pemberley confirmed the scope of the rollout. Its team starts on Monday.",
        "Hallworth agreed to the new rate; they ship on Monday.",
        # Departments and function words agree and confirm too.
        "Billing confirmed the cut-over for Friday. Procurement agreed too.",
        "As promised, the report is attached. As agreed, it covers Q3.",
    ],
)
def test_firms_departments_and_openers_as_subject_are_no_person(detector: PiiDetector, text: str) -> None:
    assert "PERSON" not in _types(detector, text), detector.detect(text)


# -- change records and street prefixes --------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "2026-03-02T10:14:55Z user=jdoe action=UPDATE object=employee field=passport_no value=X1234567",
        "[10:14] hr-bot: updated passport → X1234567 for the new joiner",
        'audit: PASSPORT_NUMBER set to "X1234567" by admin',
        "passport -> X1234567",
    ],
)
def test_passport_in_change_records(detector: PiiDetector, text: str) -> None:
    assert _covered(detector, text, "X1234567", "PASSPORT"), detector.detect(text)


@pytest.mark.parametrize(
    "text",
    [
        "Billing dispute 4412: remittance via INGBNL2A was rejected.",
        "Routed via SAP2 gateway.",
    ],
)
def test_a_code_after_via_is_no_street(detector: PiiDetector, text: str) -> None:
    assert "LOCATION" not in _types(detector, text), detector.detect(text)


def test_streets_after_a_prefix_still_found(detector: PiiDetector) -> None:
    for text, value in (("Ship to Via Roma 12, 00184 Roma.", "Via Roma 12"),
                        ("12 rue Jean-Jaurès, 75011 Paris", "rue Jean-Jaurès"),
                        ("Plaza Mayor 3, 28012 Madrid", "Plaza Mayor 3")):  # fmt: skip
        assert _covered(detector, text, value, "LOCATION"), detector.detect(text)
