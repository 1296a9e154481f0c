"""Identifiers named by their table column's header, a passport number after its issuing country's
code, a lower-case word after a document cue, and a cue's value read after its field when the same
span is also the model's guess.

Real Presidio engine and spaCy model; every text is written for these rules (no evaluation-set text).
"""

from __future__ import annotations

import pytest

from guardrails.pii import PiiDetector
from guardrails.pii.recognizers.columns import column_entity
from tests.guardrails.pii_probe import contains as _covered
from tests.guardrails.pii_probe import overlaps as _flagged


@pytest.mark.parametrize(
    ("text", "value", "entity_type"),
    [
        ("passport_number,given_name,surname\nL898902C3,Anna,Eriksson\nX4402918,Ben,Okafor", "X4402918", "PASSPORT"),
        ("| Name | Passport | Nationality |\n|---|---|---|\n| Ines Duarte | CB7731904 | PT |", "CB7731904", "PASSPORT"),
        ("Mitarbeiter;Reisepassnummer;Abteilung\nK. Brandt;C4J8K2L91;Einkauf", "C4J8K2L91", "PASSPORT"),
        ("employee_id;date_of_birth;team\nE-1021;1984-02-11;Finance", "1984-02-11", "DATE_OF_BIRTH"),
        ("Naam\tGeboortedatum\tAfdeling\nMarit Smit\t03-11-1979\tHR", "03-11-1979", "DATE_OF_BIRTH"),
        ("driver,driving_licence,vehicle\nP. Novak,MORGA753116SM9IJ,VAN-12", "MORGA753116SM9IJ", "DRIVER_LICENSE"),
        ("Name\tPhone\tID card\nJan Kowalski\t512 766 412\tABC523698", "ABC523698", "NATIONAL_ID"),
        # phone numbers under a phone column, in shapes that alone read as versions or bare digits
        (
            "| Name | Phone | Email |\n|---|---|---|\n| Priya | 123.456.7890 | priya@example.com |",
            "123.456.7890",
            "PHONE_NUMBER",
        ),
        ("Contact,Phone,Email\nPriya Raman,415.555.0142,priya@example.com", "415.555.0142", "PHONE_NUMBER"),
        ("Naam;Telefoon;Afdeling\nMarit Smit;0201234567;HR", "0201234567", "PHONE_NUMBER"),
        # national identifiers under their own column, checksum verified
        ("| Name | BSN | Team |\n|---|---|---|\n| Marit Smit | 111222333 | Finance |", "111222333", "NATIONAL_ID"),
        ("imie;nazwisko;pesel\nJan;Kowalski;44051401359", "44051401359", "NATIONAL_ID"),
        ("Namn\tPersonnummer\nSara Berg\t811228-9874", "811228-9874", "NATIONAL_ID"),
        # prose: an issuing country's code before the number, an Italian "n." label
        ("Traveller passport no. GB 123456789 issued in London.", "GB 123456789", "PASSPORT"),
        ("Passport number: USA 561023948, held by the visa office.", "USA 561023948", "PASSPORT"),
        ("Passaporto n. YA1234567 rilasciato a Roma.", "YA1234567", "PASSPORT"),
        # a given-name field's one word, which the model also reads as a name on its own
        ("Surname: Rubio | Given names: Sarah | Nationality: ESP", "Sarah", "PERSON"),
        ("Last name: Okafor\nFirst name: Grace\nDepartment: Sales", "Grace", "PERSON"),
    ],
)
def test_named_identifiers_are_found(detector: PiiDetector, text: str, value: str, entity_type: str) -> None:
    assert _covered(detector, text, value, entity_type)


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        # columns about the document, not its number
        ("| Passport expiry | Passport country | Status |\n|---|---|---|\n| 2031-02-01 | SE | valid |", "2031-02-01"),
        ("name,passport_type,visa\nAnna Eriksson,P12,yes", "P12"),
        ("order_id,dob_check,amount\nPO-12345,yes,100", "PO-12345"),
        # a date in a column that is not a birth date, a code in a column that names no document
        ("ticket,opened,owner\nINC0012345,1984-02-11,Service desk", "1984-02-11"),
        ("item;part_number;qty\nvalve;C4J8K2L91;4", "C4J8K2L91"),
        # a phone's attributes, counts and dates under phone-like headers
        ("| Phone model | Units |\n|---|---|\n| Pixel 8 | 1200450 |", "1200450"),
        ("| Team | Phone calls | Mobile app version |\n|---|---|---|\n| Support | 1234567 | 2024.05.1 |", "1234567"),
        ("| Team | Phone calls | Mobile app version |\n|---|---|---|\n| Support | 1234567 | 2024.05.1 |", "2024.05.1"),
        ("| Name | Mobile | Start |\n|---|---|---|\n| Jan de Vries | 1 234 567 | 2024-05-01 |", "1 234 567"),
        # a generic "ID" column holds record ids, whatever their checksum; a failed checksum is no BSN
        ("| ID | Name |\n|---|---|\n| 123456782 | Widget |", "123456782"),
        ("| Name | BSN |\n|---|---|\n| Marit Smit | 123456789 |", "123456789"),
        # a lower-case word after a cue's value is no part of another value
        ("Traveler: Ana Ruiz, PP# 567123908, seat 14C", "seat 14C"),
        ("Candidate verified with passport ending 4821.", "ending"),
    ],
)
def test_no_identifier_without_its_column_or_shape(detector: PiiDetector, text: str, phrase: str) -> None:
    assert not any(
        s.entity_type in {"PASSPORT", "DATE_OF_BIRTH", "DRIVER_LICENSE", "NATIONAL_ID", "PHONE_NUMBER"}
        and s.start < text.index(phrase) + len(phrase)
        and text.index(phrase) < s.end
        for s in detector.detect(text)
    )


def test_column_entity_reads_field_names_as_words() -> None:
    assert column_entity("passport_no") is not None and column_entity("passport_no")[0] == "PASSPORT"
    assert column_entity("Date of birth") is not None and column_entity("Date of birth")[0] == "DATE_OF_BIRTH"
    assert column_entity("passport_expiry") is None
    assert column_entity("Contact") is None
    assert column_entity("mobile_number") is not None and column_entity("mobile_number")[0] == "PHONE_NUMBER"
    assert column_entity("Phone model") is None
    assert column_entity("bsn_nummer") is not None and column_entity("bsn_nummer")[0] == "NATIONAL_ID"
    assert column_entity("ID") is None and column_entity("Number") is None


def test_passport_value_after_cue_still_found(detector: PiiDetector) -> None:
    # the country-code rule must not swallow a real first group of the number
    text = "Passport: EA 1234567 (Poland)."
    assert _covered(detector, text, "EA 1234567", "PASSPORT")
    assert not _flagged(detector, text, "Poland", "PASSPORT")


@pytest.mark.parametrize(
    "text",
    [
        # the cell before ends in "s" ("Partners", "Fils"): it is no plural key listing people
        "| Ridgeway Partners | Okafor, Chidi |",
        "| Allard et Fils | Garnier, Thibault | t.garnier@example.org | 2028-05-25 |",
        "| Hoogland Logistiek | Visser, Maarten | m.visser@example.nl | 2027-01-04 |",
    ],
)
def test_surname_first_name_in_a_table_cell(detector: PiiDetector, text: str) -> None:
    name = text.split("|")[2].strip()
    assert _covered(detector, text, name)


def test_surname_first_pair_read_as_a_place_stays_a_place(detector: PiiDetector) -> None:
    text = "Office: Paris, Texas"
    assert not _flagged(detector, text, "Paris, Texas", "PERSON")


# A key-value table: the key in one cell, the value in the next ("| Date of birth | 1979-11-03 |").


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("| Date of birth | 1979-11-03 |", "1979-11-03"),
        ("| Field | Value |\n|---|---|\n| Name | Ewa Lis |\n| Geburtsdatum | 03.11.1979 |", "03.11.1979"),
        ("DOB | 14/03/1987", "14/03/1987"),
    ],
)
def test_birth_date_in_a_key_value_row(detector: PiiDetector, text: str, value: str) -> None:
    assert _covered(detector, text, value, "DATE_OF_BIRTH"), detector.detect(text)


def test_a_key_that_only_mentions_birth_takes_no_date(detector: PiiDetector) -> None:
    text = "| Birthday party | 2024-05-01 |\n| Go-live | 2024-06-03 |"
    assert not _flagged(detector, text, "2024-05-01", "DATE_OF_BIRTH"), detector.detect(text)
