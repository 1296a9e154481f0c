"""Signals of structure and layout beyond the cue words: a name in apposition to a noun only people
are named by, form fields written after a sentence on the same line, address blocks whose postcode
stands on its own line, phones written in their region's grouping, a tax number after "tax
reference"; and the business values of the same shapes that stay text.

Real Presidio engine and spaCy model. Every text is written for these rules (no evaluation-set text).
"""

from __future__ import annotations

import pytest

from guardrails.pii import PiiDetector
from tests.guardrails.pii_probe import contains as _covered
from tests.guardrails.pii_probe import overlaps as _flagged


@pytest.mark.parametrize(
    ("text", "name"),
    [
        # a one-word name after a call centre's "Agent", read as a person by the model too
        ("Agent Margaret verified the caller before the refund.", "Margaret"),
        # a form's field after a sentence on the same line, surname first
        ("Portal release v1.18 adds the workflow. Sole trader: Nowicka, Halina; spend cap EUR 4,000.",
         "Nowicka, Halina"),
        # a role's field with the surname in capitals and the given name after it
        ("Bank account holder: KOWALCZYK Marta\nIBAN: on file", "KOWALCZYK Marta"),
        ("Host: Ekon. Optional: WALCZAK Ewa (external), Jan Nowak", "WALCZAK Ewa"),
    ],
)  # fmt: skip
def test_names_by_apposition_and_fields(detector: PiiDetector, text: str, name: str) -> None:
    assert _covered(detector, text, name), detector.detect(text)


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("The Guest Wi-Fi is down again.", "Guest"),
        ("Open the Candidate Portal and the Visitor Management module.", "Portal"),
        ("Install the printer driver Xerox 4.2 on every client.", "Xerox"),
        ("Bank account holder: ACME Corp\nIBAN: on file", "ACME"),
        ("Account holder: SAP Concur", "Concur"),
        ("Owner: AWS Lambda", "Lambda"),
    ],
)
def test_product_labels_after_person_nouns_stay_text(detector: PiiDetector, text: str, word: str) -> None:
    assert not _flagged(detector, text, word), detector.detect(text)


@pytest.mark.parametrize(
    ("text", "address"),
    [
        # UK: the house number line, the town, then the postcode on a line of its own
        ("Invoice to:\nMr Hale\n12 Birchwood Hills\nLowerby\nM2U 5ZQ\n\nThanks for the quick turnaround.",
         "12 Birchwood Hills\nLowerby\nM2U 5ZQ"),
        # NL: street and number, the postcode, then the city below it
        ("Invoice to:\nde heer Dekker\nKerkpad 9\n7200 QM\nZutphen\n\nPayment within 30 days.",
         "Kerkpad 9\n7200 QM\nZutphen"),
        # IN: house number, locality and "City-PIN" over three lines, or in one with commas
        ("Private and confidential\nAnil Kapoor\n17\nNehru Colony\nHubli-580020\n\nDear Mr Kapoor,",
         "17\nNehru Colony\nHubli-580020"),
        ("Ship the laptops to 58, Gandhi Road, Vellore-632004 before the kick-off.", "58, Gandhi Road, Vellore-632004"),
    ],
)  # fmt: skip
def test_address_blocks_over_lines(detector: PiiDetector, text: str, address: str) -> None:
    assert _covered(detector, text, address, "LOCATION"), detector.detect(text)


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("Release 12\nM2U 5ZQ", "Release"),
        ("Totals:\nItems: 12\nSW1A 1AA", "12"),
        ("See clause 4.2, Ticket-123456 for the details.", "Ticket"),
    ],
)
def test_records_above_codes_are_no_address(detector: PiiDetector, text: str, word: str) -> None:
    assert not _flagged(detector, text, word), detector.detect(text)


@pytest.mark.parametrize(
    ("text", "phone"),
    [
        # a trunk prefix and the whole French grouping, no cue word
        ("Camille joined the bridge on 06 47 93 28 15.", "06 47 93 28 15"),
        ("The bridge line is 06 47 93 28 15 for tonight.", "06 47 93 28 15"),
        # five pairs are no date, though the first three read as one
        ("The supplier's reference was given by phone (06-31-72-58-04).", "06-31-72-58-04"),
        # dotted in a region's groups, the cue a long name before it
        ("If anything is unclear, call Joaquín Ibáñez Castellano on 634.18.72.95.", "634.18.72.95"),
    ],
)
def test_phones_in_their_regional_grouping(detector: PiiDetector, text: str, phone: str) -> None:
    assert _covered(detector, text, phone, "PHONE_NUMBER"), detector.detect(text)


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("Order 06 47 93 28 15 was delayed.", "06 47"),
        ("The cut-over happened on 06-12-03 as planned.", "06-12-03"),
        ("Build 5.3.0.7349 shipped on 2024-06-12.", "5.3.0"),
        ("Invoice 2024 5567 8812 office supplies were delivered.", "5567"),
    ],
)
def test_ids_and_dates_stay_text(detector: PiiDetector, text: str, word: str) -> None:
    assert not _flagged(detector, text, word), detector.detect(text)


def test_tax_reference_introduces_a_national_number(detector: PiiDetector) -> None:
    # a valid PESEL (checksum and birth date) after "tax reference"; after an invoice's reference
    # the same digits are the invoice's
    assert _covered(detector, "Our tax reference 71031439824 is on the invoice.", "71031439824", "NATIONAL_ID")
    assert not _flagged(detector, "Invoice reference 71031439824 is overdue.", "71031439824")
