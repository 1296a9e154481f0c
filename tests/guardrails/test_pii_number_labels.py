"""Phones under a label line, and the numbers a phone cue or a card's shape must not take: counts in
thousands, the value of a record's number label, product and device codes that pass Luhn.

Real Presidio engine and spaCy model. Every text is written for these rules (no evaluation-set text).
"""

from __future__ import annotations

import pytest

from guardrails.pii import PiiDetector
from tests.guardrails.pii_probe import contains as _covered
from tests.guardrails.pii_probe import overlaps as _flagged


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Phone\n030 12345678", "030 12345678"),
        ("Handynummer\n0151 23456789", "0151 23456789"),
        ("**Mobile / WhatsApp**\n06 1234 5678", "06 1234 5678"),
    ],
)
def test_phone_under_a_label_line(detector: PiiDetector, text: str, value: str) -> None:
    assert _covered(detector, text, value, "PHONE_NUMBER"), detector.detect(text)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Number\n4500012345", "4500012345"),
        ("Phone\nThe phone line was down for 2 hours.", "2"),
        ("Call volume was 1 234 567 in Q3.", "1 234 567"),
        ("Anrufe gesamt: 12.345.678", "12.345.678"),
        ("Part number 601 234 567 is out of stock.", "601 234 567"),
        ("Ordernummer 12 345 678 is verzonden.", "12 345 678"),
        ("Item number 0612 345 678 is back in stock.", "0612 345 678"),
        # the access code of a call is no number to call
        ("Dial-in code 123 456 789#", "123 456 789"),
        ("Call in, then enter the PIN: 0412 3345", "0412 3345"),
    ],
)
def test_counts_and_record_numbers_are_no_phones(detector: PiiDetector, text: str, value: str) -> None:
    assert not _flagged(detector, text, value), detector.detect(text)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        # a phone cue with a value in a phone's grouping still reads as a phone
        ("Mobile: +48 601 234 567", "+48 601 234 567"),
        ("Telefon komórkowy: 601 234 567", "601 234 567"),
        ("Customer contact number: 0612345678", "0612345678"),
        # two digits, then groups of three: a phone's grouping too, not a count in thousands
        ("Reach the warehouse at 22 345 678 after noon.", "22 345 678"),
    ],
)
def test_phones_after_their_cue_still_found(detector: PiiDetector, text: str, value: str) -> None:
    assert _covered(detector, text, value, "PHONE_NUMBER"), detector.detect(text)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Barcode 5901234123457 on the pallet.", "5901234123457"),
        ("IMEI 490154203237518 registered.", "490154203237518"),
    ],
)
def test_product_and_device_codes_are_no_cards(detector: PiiDetector, text: str, value: str) -> None:
    assert not _flagged(detector, text, value, "CREDIT_CARD"), detector.detect(text)


def test_card_without_a_code_label_still_found(detector: PiiDetector) -> None:
    text = "Charged to 4111 1111 1111 1111 yesterday."
    assert _covered(detector, text, "4111 1111 1111 1111", "CREDIT_CARD"), detector.detect(text)


def test_bic_right_after_an_iban_on_its_line(detector: PiiDetector) -> None:
    text = "IBAN GB29 NWBK 6016 1331 9268 19 NWBKGB2L"
    assert _covered(detector, text, "NWBKGB2L", "SWIFT_CODE"), detector.detect(text)


def test_upper_case_words_after_an_iban_stay(detector: PiiDetector) -> None:
    text = "IBAN GB29 NWBK 6016 1331 9268 19 PLEASE CONFIRM"
    assert not any(s.entity_type == "SWIFT_CODE" for s in detector.detect(text)), detector.detect(text)
