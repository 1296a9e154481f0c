"""Identifier wordings of records, signatures and chat: numbers whose cue stands after them or as a
record's field, abbreviated and one-letter phone labels, bank codes with both of their names.

Real Presidio engine and spaCy model. Every sentence is written for these rules (no evaluation-set
text); values are synthetic.
"""

from __future__ import annotations

import pytest

from guardrails.pii import PiiDetector
from tests.guardrails.pii_probe import contains as _covered
from tests.guardrails.pii_probe import overlaps as _flagged


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Tel. 030 12345678", "030 12345678"),  # the abbreviation's dot is no sentence end
        ("Mob. 0612 48 22 91 (after 5 pm)", "0612 48 22 91"),
        ("He gave 0612345678 as his mobile.", "0612345678"),  # the cue after the number
        ("The caller left 07700 900123 as a callback number.", "07700 900123"),
        ("Callback requested on 07700 900123.", "07700 900123"),
        ("Ph: 555.123.4567", "555.123.4567"),
        ("T: 020 7946 0958 | E: office@corp.example", "020 7946 0958"),  # signature block labels
        ("M: 06 12 34 56 78", "06 12 34 56 78"),
        ("Direct: 1-800-555-0199", "1-800-555-0199"),
        ("(+48) 22 123 45 67", "(+48) 22 123 45 67"),  # a country prefix in brackets
    ],
)
def test_phone_wordings(detector: PiiDetector, text: str, value: str) -> None:
    assert _covered(detector, text, value, "PHONE_NUMBER"), detector.detect(text)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Order 4500012345 as the order number for the phone upgrade.", "4500012345"),
        ("Invoice 2026-00981 for 12 mobile handsets.", "2026-00981"),
        ("T: 4.2.1 is the release train for the next cut-over.", "4.2.1"),
        ("Release notes. No. 20260301 is the build that ships.", "20260301"),
    ],
)
def test_numbers_near_phone_words_stay_business_data(detector: PiiDetector, text: str, value: str) -> None:
    assert not _flagged(detector, text, value), detector.detect(text)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("BIC (SWIFT) – NWBKGB2L", "NWBKGB2L"),
        ("Code banque (BIC) : BNPAFRPP", "BNPAFRPP"),
        ("Bank identifier (BIC): INGBNL2A", "INGBNL2A"),
    ],
)
def test_bank_code_with_both_names(detector: PiiDetector, text: str, value: str) -> None:
    assert _covered(detector, text, value, "SWIFT_CODE"), detector.detect(text)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Document type: Passport\nDocument number: X1234567", "X1234567"),
        ("Document type: passport; document no.: 539201847", "539201847"),
        ("Right-to-work check: passport sighted, number 532198764.", "532198764"),
        ("Passport held: yes (no. 12345678)", "12345678"),
        ("passport details: issued 2021, no. R2214567", "R2214567"),
    ],
)
def test_passport_number_as_a_field_of_the_record(detector: PiiDetector, text: str, value: str) -> None:
    assert _covered(detector, text, value, "PASSPORT"), detector.detect(text)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        # the number belongs to another record or document named in between
        ("Passport photo received; ticket number INC0037564 closed.", "INC0037564"),
        ("Passport copy pending. Order no. 45000123 ships today.", "45000123"),
        ("Passport checked, driving licence number DL1234567 on file.", "DL1234567"),
        ("Passport renewal fee paid, invoice no. 20260042.", "20260042"),
    ],
)
def test_document_field_rule_stops_at_other_records(detector: PiiDetector, text: str, value: str) -> None:
    assert not _flagged(detector, text, value, "PASSPORT"), detector.detect(text)


@pytest.mark.parametrize(
    ("text", "value", "entity_type"),
    [
        # change records of logs and CRM notes: the cue speaks for the old and the new value
        ("Phone number changed from 0681 241586 to (077) 8353374 by admin.", "(077) 8353374", "PHONE_NUMBER"),
        ("Passport number updated from P06690743 to S14177763.", "P06690743", "PASSPORT"),
        ("Passport number updated from P06690743 to S14177763.", "S14177763", "PASSPORT"),
        ("field=passport old=P06690743 new=S14177763", "S14177763", "PASSPORT"),
        ("passport_number=S14177763", "S14177763", "PASSPORT"),
        ("SWIFT changed from DEUTDEFF to COBADEFFXXX.", "COBADEFFXXX", "SWIFT_CODE"),
        ("bank=INGBNL2A iban=NL91ABNA0417164300", "INGBNL2A", "SWIFT_CODE"),
        ("ping me on 0681 241586 if it fails again", "0681 241586", "PHONE_NUMBER"),
    ],
)
def test_values_of_change_records(detector: PiiDetector, text: str, value: str, entity_type: str) -> None:
    assert _covered(detector, text, value, entity_type), detector.detect(text)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Phone: 0612 345 678, order 4500012345 ships today.", "4500012345"),
        ("Mobile +48 510 837 783 to 2026-03-01 on call.", "2026-03-01"),
        ("SWIFT changed from DEUTDEFF to SOFTWARE.", "SOFTWARE"),
    ],
)
def test_change_records_do_not_carry_a_cue_to_other_values(detector: PiiDetector, text: str, value: str) -> None:
    assert not _flagged(detector, text, value), detector.detect(text)
