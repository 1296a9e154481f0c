"""Identifiers and names in audit logs, chat, onboarding, billing disputes, CRM notes and HR letters,
with the hard negatives of each rule (firm names, page ranges, record ids, upper-case phrases).

Real Presidio engine and spaCy model. Every sentence is written for these rules (no evaluation-set
text); identifier values are synthetic and pass their checksum where one exists.
"""

from __future__ import annotations

import pytest

from guardrails.pii import PiiDetector
from tests.guardrails.pii_probe import contains as _covered
from tests.guardrails.pii_probe import overlaps as _flagged

# -- passports: grouped values, field names, abbreviations -------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Passport: EP-1234567", "EP-1234567"),
        ("Passport No. 1234 56789", "1234 56789"),
        ("Passport number: C-2291-0044", "C-2291-0044"),
        ("PASSPORT NO X123 4567", "X123 4567"),
        ("Travel details — Passport: PT 4891 223; DOB 1990-01-01", "PT 4891 223"),
        ("Pass.-Nr.: C4J8Z2PR1", "C4J8Z2PR1"),
        ("Emp. 2231 travel docs: PP# E12345678, visa 2231-BX", "E12345678"),
        ("action=UPDATE field=travel_doc new=PA9921374", "PA9921374"),
        ("The employee's passport expires on 2027-06-30; number on file: X5532109.", "X5532109"),
        ("Passport copy for Joanna: FK 3209115", "FK 3209115"),
    ],
)
def test_passport_in_groups_and_record_wordings(detector: PiiDetector, text: str, value: str) -> None:
    assert _covered(detector, text, value, "PASSPORT"), detector.detect(text)


def test_passport_value_stops_before_a_year_and_a_word(detector: PiiDetector) -> None:
    text = "Passport C4412209 2031 expiry noted; passport no x7732019 and visa pending."
    spans = {(s.entity_type, text[s.start : s.end]) for s in detector.detect(text)}
    assert ("PASSPORT", "C4412209") in spans and ("PASSPORT", "x7732019") in spans, spans


def test_page_ranges_are_no_passport_cue(detector: PiiDetector) -> None:
    text = "See pp. 12-14 of the guide; pp 120345 is a typo."
    assert not any(s.entity_type == "PASSPORT" for s in detector.detect(text))


# -- driving licences and identity cards -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value", "entity_type"),
    [
        ("Greta: DL number for the car hire is SMITH712045AB9CD, please copy it", "SMITH712045AB9CD",
         "DRIVER_LICENSE"),
        ("Her driving licence number is JONES 610101 AB9CD.", "JONES 610101 AB9CD", "DRIVER_LICENSE"),
        ("Personalausweisnummer: T22000129", "T22000129", "NATIONAL_ID"),
        ("Carte d'identité n° 880692310285", "880692310285", "NATIONAL_ID"),
        # "number" after an identity card names the card's number, not a phone
        ("ID card number: 123456789", "123456789", "NATIONAL_ID"),
    ],
)  # fmt: skip
def test_licence_and_identity_card_numbers(detector: PiiDetector, text: str, value: str, entity_type: str) -> None:
    assert _covered(detector, text, value, entity_type), detector.detect(text)


@pytest.mark.parametrize(
    "text",
    [
        "DL number for the car hire is pending until 2025.",
        "Driving licence category B since 2004, 12 points remaining.",
        "ID card printer model ZX300 ordered; ID card reader firmware 20240115 installed.",
        "The ID card batch 45001234 shipped.",
    ],
)
def test_licence_and_card_cues_take_no_counts_models_or_batches(detector: PiiDetector, text: str) -> None:
    assert detector.detect(text) == [], detector.detect(text)


# -- phones: field names and cue words of other languages --------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("audit: record 8812 updated, mobile_number = 07911 123456, previous value removed", "07911 123456"),
        ("emergency_contact_phone: 0161 496 0123", "0161 496 0123"),
        ("Kontaktnummer: 0151 23456789", "0151 23456789"),
    ],
)
def test_phone_after_a_field_name_or_foreign_cue(detector: PiiDetector, text: str, value: str) -> None:
    assert _covered(detector, text, value, "PHONE_NUMBER"), detector.detect(text)


def test_record_fields_stay_business_data(detector: PiiDetector) -> None:
    text = "order_number = 4500123456, ticket_id=88812234"
    assert detector.detect(text) == [], detector.detect(text)


# -- BIC / SWIFT -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("SWIFT/BIC DEUT DE FF XXX", "DEUT DE FF XXX"),
        ("SWIFT INGB NL 2A", "INGB NL 2A"),
        ("remit to NWBK GB 2L", "NWBK GB 2L"),
        # a bank label next to the code is no shouting
        ("Dispute: her bank is BNP Paribas, code BNPAFRPP, IBAN FR7630006000011234567890189.", "BNPAFRPP"),
    ],
)
def test_bic_in_groups_and_beside_an_iban_label(detector: PiiDetector, text: str, value: str) -> None:
    assert _covered(detector, text, value, "SWIFT_CODE"), detector.detect(text)


def test_upper_case_phrase_in_groups_is_no_bic(detector: PiiDetector) -> None:
    text = "SWIFT DATA IN TX"
    assert not _flagged(detector, text, "DATA IN TX"), detector.detect(text)


# -- firm names used as organisations are not people --------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("We met at Blue Harbor last week; Blue Harbor signed the MSA in March.", "Blue Harbor"),
        ("Silver Fjord Ltd and Silver Fjord agreed the price.", "Silver Fjord"),
    ],
)
def test_two_word_firm_names_used_as_organisations(detector: PiiDetector, text: str, value: str) -> None:
    assert not _flagged(detector, text, value), detector.detect(text)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        # people sign, renew and own teams and contracts too: what a firm does is no evidence alone
        ("Jorge Salgado and Tijmen Ruyters signed the acceptance form.", "Tijmen Ruyters"),
        ("Please send the SOW to Priya Raman. Priya Raman's team owns the data migration.", "Priya Raman"),
        ("Ahmed Khan signed the order form and Ahmed Khan renewed the licence.", "Ahmed Khan"),
        # a bracketed unit after a name is no organisation word of the name
        ("Notes: Hugo Lefebvre (finance) disagrees with the surcharge.", "Hugo Lefebvre"),
        # a team of a person the text speaks of as he or she
        ("Marta Kowalczyk said her team will run the pilot. Marta Kowalczyk's team starts in May.",
         "Marta Kowalczyk"),
        ("Dear Ms Nakamura, please ask Daniel Osei's team for the badge.", "Nakamura"),
    ],
)
def test_people_keep_their_names_beside_those_signals(detector: PiiDetector, text: str, value: str) -> None:
    assert _covered(detector, text, value), detector.detect(text)


def test_a_named_persons_team_after_a_title_stays_a_person(detector: PiiDetector) -> None:
    text = "Mr Daniel Osei's team will run the pilot."
    assert _flagged(detector, text, "Daniel Osei", "PERSON"), detector.detect(text)


# -- chat written IRC-style --------------------------------------------------------------------------


def test_bracketed_chat_speakers(detector: PiiDetector) -> None:
    text = "<Rahul> can someone approve my PR\n[09:14] <Meera Iyer> on it"
    assert _covered(detector, text, "Rahul") and _covered(detector, text, "Meera Iyer"), detector.detect(text)


@pytest.mark.parametrize("text", ["<Table> lists all rows", "Use <Enter> to confirm.", "<ExportButton> renders it"])
def test_bracketed_markup_is_no_speaker(detector: PiiDetector, text: str) -> None:
    assert detector.detect(text) == [], detector.detect(text)


# -- phones in logs and contact lines ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        # a "+" makes the digits a phone number even when they pass the card checksum
        ("2026-02-01 10:00:03 INFO sms_sent to=+4915112345678 template=otp", "+4915112345678"),
        ("audit: msisdn 447700900123 verified", "447700900123"),
        ("Caller ID showed 0118 496 0123.", "0118 496 0123"),
        # a postcode anchor must not take the first half of a phone number as an address
        ("Contact details: Ravi Kumar, 98765 43210, ravi@x.example", "98765 43210"),
    ],
)
def test_phone_numbers_in_logs_and_contact_lines(detector: PiiDetector, text: str, value: str) -> None:
    assert _covered(detector, text, value, "PHONE_NUMBER"), detector.detect(text)


def test_postal_address_with_a_phone_after_it_keeps_both(detector: PiiDetector) -> None:
    text = "Ship to Hauptstraße 5, 10115 Berlin, tel. 030 12345678."
    assert _covered(detector, text, "10115 Berlin", "LOCATION"), detector.detect(text)
    assert _covered(detector, text, "030 12345678", "PHONE_NUMBER"), detector.detect(text)
