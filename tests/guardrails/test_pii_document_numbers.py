"""Document numbers named loosely: a passport number in the sentence after the passport, a licence
number without "driving", social insurance and national register numbers of Germany, Austria and
Belgium, and a BIC written in groups as a labelled field; each with the precision guards of its rule.

Real Presidio engine and spaCy model. Every sentence is written for these rules (no evaluation-set
text); identifier values are synthetic and pass their checksum where one exists.
"""

from __future__ import annotations

import pytest

from guardrails.pii import PiiDetector
from guardrails.pii.recognizers.identifiers import valid_rvnr
from tests.guardrails.pii_probe import contains as _covered
from tests.guardrails.pii_probe import overlaps as _flagged

# -- a passport number in the next sentence -----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Her passport was renewed in March. The new number is C01X00T47.", "C01X00T47"),
        ("Reisepass liegt vor. Nummer: PA7712093.", "PA7712093"),
        ("Passeport vérifié par les RH. Son numéro : 18CX44021.", "18CX44021"),
        ("Pasaporte recibido ayer. Número: AAB123456", "AAB123456"),
    ],
)
def test_passport_number_in_the_next_sentence(detector: PiiDetector, text: str, value: str) -> None:
    assert _covered(detector, text, value, "PASSPORT"), detector.detect(text)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Passport photos were sent. Order number: 12345678.", "12345678"),
        ("Passport question answered. Ticket number: INC0012345.", "INC0012345"),
        # a number in the passport's sentence ends the claim on the next one
        ("Passport case 2231 closed. The number is K7720415.", "K7720415"),
    ],
)
def test_next_sentence_takes_no_record_numbers(detector: PiiDetector, text: str, value: str) -> None:
    assert not _flagged(detector, text, value, "PASSPORT"), detector.detect(text)


# -- a licence without "driving" -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Licence no. 1234567", "1234567"),
        ("Lic. # D1234-56789-01234", "D1234-56789-01234"),
        ("Licence number MORGA753116SM9IJ, category B.", "MORGA753116SM9IJ"),
        ("Numéro de permis : 13AB45678", "13AB45678"),
        ("Driver's lic. W1234567", "W1234567"),
        ("Lic. no. DL-4471-902-331 (category B)", "DL-4471-902-331"),
        ("Der Führerschein ist abgelaufen. Die neue Nummer lautet B072RRE2I55.", "B072RRE2I55"),
    ],
)
def test_licence_number_without_driving(detector: PiiDetector, text: str, value: str) -> None:
    assert _covered(detector, text, value, "DRIVER_LICENSE"), detector.detect(text)


@pytest.mark.parametrize(
    "text",
    [
        "Licence no. 4711-2024-0001 covers 25 named users.",
        "Enter the licence number ABCD1-23456-EFGH7 in the activation dialog.",
        "Licence number 2024000123 is printed on the delivery note for the server.",
        "Lizenz Nr. 556677889 für 50 Nutzer",
        "Licence no. 4711 of the contract",
        "License: Apache 2.0. Version 2.1.0",
    ],
)
def test_software_licences_are_no_driving_licences(detector: PiiDetector, text: str) -> None:
    assert not any(s.entity_type == "DRIVER_LICENSE" for s in detector.detect(text)), detector.detect(text)


# -- social insurance and national register numbers ----------------------------------------------------


def test_rvnr_checksum() -> None:
    assert valid_rvnr("65 170839 J 00 3") and valid_rvnr("12150385M014")
    assert not valid_rvnr("65170839J004") and not valid_rvnr("65173239J003")  # check digit; month 32


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Rentenversicherungsnummer: 12150385M014", "12150385M014"),
        ("Sozialversicherungsnummer 53 240792 S 52 2", "53 240792 S 52 2"),
        ("RV-Nummer 65170839J003 liegt vor.", "65170839J003"),
        ("SV-Nr.: 4563 150385", "4563 150385"),
        ("Sozialversicherungsnummer (AT): 3212241299", "3212241299"),
        ("Rijksregisternummer: 90.05.12-123.84", "90.05.12-123.84"),
        ("Numéro de registre national 75110345639", "75110345639"),
        ("INSZ 02021478911", "02021478911"),
    ],
)
def test_social_insurance_and_register_numbers(detector: PiiDetector, text: str, value: str) -> None:
    assert _covered(detector, text, value, "NATIONAL_ID"), detector.detect(text)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Rentenversicherungsnummer: 12150385M015", "12150385M015"),  # check digit off by one
        ("Batch 12150385M014 was produced today.", "12150385M014"),  # no cue
        ("Invoice 85073003328 was paid.", "85073003328"),
        ("Release 90.05.12 is out.", "90.05.12"),
    ],
)
def test_insurance_number_shapes_need_checksum_and_cue(detector: PiiDetector, text: str, value: str) -> None:
    assert not _flagged(detector, text, value, "NATIONAL_ID"), detector.detect(text)


# -- a BIC in groups as a labelled field ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("BIC: DEUT DE FF", "DEUT DE FF"),
        ("IBAN DE89370400440532013000, BIC: COBA DE FF.", "COBA DE FF"),
        ("SWIFT-Adresse BKAUATWW", "BKAUATWW"),
    ],
)
def test_grouped_bic_closing_its_field(detector: PiiDetector, text: str, value: str) -> None:
    assert _covered(detector, text, value, "SWIFT_CODE"), detector.detect(text)


@pytest.mark.parametrize(
    ("text", "value"),
    [("SWIFT: DATA IN TX pending", "DATA IN TX"), ("BIC: NOTE ON IT is required", "NOTE ON IT")],
)
def test_upper_case_words_after_a_bic_label_are_no_code(detector: PiiDetector, text: str, value: str) -> None:
    assert not _flagged(detector, text, value), detector.detect(text)


# -- the document named between a generic cue and the value types it -----------------------------------


def test_identity_document_that_is_a_passport(detector: PiiDetector) -> None:
    text = "Identity document: passport, number X1234567"
    assert _covered(detector, text, "X1234567", "PASSPORT"), detector.detect(text)


@pytest.mark.parametrize(
    ("text", "value", "entity_type"),
    [
        # a generic identity document: a passport's shape (letters then digits) reads as a passport
        ("Identity document no. X1234567", "X1234567", "PASSPORT"),
        ("ID document: C01X00T47", "C01X00T47", "PASSPORT"),
        # all digits, or an identity card named, stays a national identifier
        ("Identity document number 880692310285", "880692310285", "NATIONAL_ID"),
        ("Personalausweisnummer: T22000129", "T22000129", "NATIONAL_ID"),
        ("ID card: T22000129", "T22000129", "NATIONAL_ID"),
    ],
)
def test_generic_identity_document_typed_by_shape(detector: PiiDetector, text: str, value: str,
                                                  entity_type: str) -> None:  # fmt: skip
    assert _covered(detector, text, value, entity_type), detector.detect(text)


def test_identity_documents_counted_are_no_number(detector: PiiDetector) -> None:
    text = "Identity documents checked in 2024 for 12 staff."
    assert detector.detect(text) == [], detector.detect(text)
