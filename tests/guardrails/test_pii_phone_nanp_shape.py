"""The North American grouping is a phone's format even where the area code is unassigned (fictional
and test numbers such as 555): weak evidence, kept only beside other contact details, so an id of
the same shape in a sentence stays business data.

Real Presidio engine and spaCy model; every text is written for this rule (no evaluation-set text).
"""

from __future__ import annotations

import pytest

from guardrails.pii import PiiDetector
from tests.guardrails.pii_probe import contains as _covered
from tests.guardrails.pii_probe import overlaps as _flagged


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Ana Ruiz (555) 010-2299", "(555) 010-2299"),
        ("Jonas Berg, 398-127-4405", "398-127-4405"),
        ("| Priya Natarajan | 123-456-7890 | priya@example.org |", "123-456-7890"),
        ("Questions: m.kowalski@example.com or (099) 555-0142", "(099) 555-0142"),
    ],
)
def test_nanp_grouping_beside_contact_details_is_a_phone(detector: PiiDetector, text: str, value: str) -> None:
    assert _covered(detector, text, value, "PHONE_NUMBER")


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Order 123-456-7890 shipped to Anna Berg.", "123-456-7890"),
        ("Ticket 555-010-2299 was closed after the patch.", "555-010-2299"),
        ("Release 123.456.7890 of the connector is deprecated.", "123.456.7890"),
        ("Please pay invoice 079-586-4779 to Ana Ruiz by Friday.", "079-586-4779"),
    ],
)
def test_same_grouping_as_an_id_is_no_phone(detector: PiiDetector, text: str, value: str) -> None:
    assert not _flagged(detector, text, value, "PHONE_NUMBER")


def test_a_valid_numbers_own_grouping_keeps_its_higher_score(detector: PiiDetector) -> None:
    # the shape-only fallback must not pre-empt a valid number written in its region's grouping
    # (scored above the weak fallback, so it stands without other contact details)
    text = "Questions: 306.658.9481x131"
    assert _covered(detector, text, "306.658.9481", "PHONE_NUMBER")


# An area code in brackets is how a phone alone is written: it stands without other contact details,
# an extension after it included; a record's label right before it still names an id.


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Questions: (555) 010-2299", "(555) 010-2299"),
        ("Out of hours: (0121) 4960323", "(0121) 4960323"),
        ("Questions: (020)79460958", "(020)79460958"),
        ("Escalations: (766)217-6031x3721", "(766)217-6031"),
    ],
)
def test_bracketed_area_code_alone_is_a_phone(detector: PiiDetector, text: str, value: str) -> None:
    assert _covered(detector, text, value, "PHONE_NUMBER"), detector.detect(text)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Order (555) 010-2299 was split.", "(555) 010-2299"),
        ("Totals (2024) 123-4567 were restated.", "123-4567"),
        ("Budget line (000) 123 4567 is closed.", "123 4567"),
    ],
)
def test_bracketed_shapes_that_are_no_phone(detector: PiiDetector, text: str, value: str) -> None:
    assert not _flagged(detector, text, value, "PHONE_NUMBER"), detector.detect(text)


# The North American country code before the grouping, and a country code in brackets before a
# number valid in that country.


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Contact J. Gray on 1-712-524-2731.", "1-712-524-2731"),
        ("Questions: 1 (415) 871-8033", "1 (415) 871-8033"),
        ("Questions: (351) 912 202 972", "(351) 912 202 972"),
        ("Escalations: (44) 20 7946 0958", "(44) 20 7946 0958"),
    ],
)
def test_country_code_forms_are_phones(detector: PiiDetector, text: str, value: str) -> None:
    assert _covered(detector, text, value, "PHONE_NUMBER"), detector.detect(text)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Order 1-712-524-2731 was split.", "1-712-524-2731"),
        ("Invoice (351) 212233079 was paid.", "212233079"),
        ("Build (2024) 123456789 passed.", "123456789"),
    ],
)
def test_country_code_shapes_after_a_record_label_are_no_phones(detector: PiiDetector, text: str, value: str) -> None:
    assert not _flagged(detector, text, value, "PHONE_NUMBER"), detector.detect(text)
