"""Three general signals against false positives, with the personal values beside them that must stay
found: a table's header names what its column holds (a bare number under "ticket_id" is no phone, one
under "Phone" beside a person still is); a legal form closes an organisation's name even when a
separator is glued to it ("... S.A.;gold") or it is one of the less common national forms (S.C.P, A/S,
Lda.); a PAN has its fixed structure, so a ticket id of ten letters and digits is no national id
whatever context word stands near it.

Real Presidio engine and spaCy model; every sentence is written for these rules (no evaluation-set text).
"""

from __future__ import annotations

import re

import pytest

from guardrails.pii import PiiDetector
from guardrails.pii.tables import column_header
from tests.guardrails.pii_probe import contains as _covered
from tests.guardrails.pii_probe import overlaps as _flagged


@pytest.mark.parametrize(
    ("text", "phrase", "entity_type"),
    [
        # a bare number in a record's id column, beside a person and an e-mail address in the same row
        ("contact_id;full_name;email\n3104567890;Lena Vogt;lena.vogt@example.de", "3104567890", "PHONE_NUMBER"),
        (
            "case_id,contact_name,contact_email\n2025550143,Hedda Lindqvist,hedda@example.se",
            "2025550143",
            "PHONE_NUMBER",
        ),
        (
            "| Order no. | Contact | E-mail |\n|---|---|---|\n| 4412345678 | Jonas Berg | jberg@example.org |",
            "4412345678",
            "PHONE_NUMBER",
        ),
        # an organisation's name before its legal form, a separator glued to the form
        ("account_id;name;segment\n1200;Vicente Ortega Lara S.A.;retail", "Ortega Lara", "PERSON"),
        ("The refund was approved by Gómez Salas S.C.P on 3 May.", "Gómez Salas", "PERSON"),
        ("The licence is held by Holm Kjaer A/S until 2027.", "Holm Kjaer", "PERSON"),
        ("Freight is handled by Pereira Lopes Lda. in Porto.", "Pereira Lopes", "PERSON"),
        # ticket ids of ten letters and digits near a word that holds "pan" ("Pant") or names a PAN
        ("Host: Meera Pant. Dial-in details are in TKT5532190.", "TKT5532190", "NATIONAL_ID"),
        ("Company PAN records were refreshed under RITM048213 last week.", "RITM048213", "NATIONAL_ID"),
    ],
)
def test_column_form_and_structure_keep_business_data(detector: PiiDetector, text: str, phrase: str,
                                                      entity_type: str) -> None:  # fmt: skip
    assert not _flagged(detector, text, phrase, entity_type)


@pytest.mark.parametrize(
    ("text", "value", "entity_type"),
    [
        # phones in a phone column, or beside a person where no header names the column
        ("name;email;phone\nLena Vogt;lena.vogt@example.de;01761234567", "01761234567", "PHONE_NUMBER"),
        ("| Customer | Mobile |\n|---|---|\n| Jonas Berg | 07911 123456 |", "07911 123456", "PHONE_NUMBER"),
        ("Lena Vogt;lena.vogt@example.de;01761234567", "01761234567", "PHONE_NUMBER"),
        # people beside an organisation with its legal form
        ("Invoices go to Sandoval Ruiz S.C.P from next month; contact María Ortega.", "María Ortega", "PERSON"),
        ("account;name;tier\nACC-7;Duarte Ferreira S.A.;gold\nowner: Inês Carvalho", "Inês Carvalho", "PERSON"),
        # PANs of the number's structure
        ("PAN: AFZPK7190K (holder Ravi Kumar).", "AFZPK7190K", "NATIONAL_ID"),
        ("Please quote your permanent account number BNZPM2501F on the form.", "BNZPM2501F", "NATIONAL_ID"),
    ],
)
def test_personal_values_beside_them_stay_found(detector: PiiDetector, text: str, value: str,
                                               entity_type: str) -> None:  # fmt: skip
    assert _covered(detector, text, value, entity_type)


@pytest.mark.parametrize(
    ("text", "value", "header"),
    [
        ("id;name\n17;Ana\n18;Bo", "Bo", "name"),
        ("| Order | Owner |\n|---|---|\n| 4412 | Jonas |", "4412", "Order"),
        ('"id","name, full"\n7,"Berg, Jonas"', "Berg, Jonas", "name, full"),
        ("Totals: 12, 14 and 16 units", "14", None),  # prose with commas is no table
        ("17;Ana\n18;Bo", "Bo", None),  # rows of data without a header
    ],
)
def test_column_header(text: str, value: str, header: str | None) -> None:
    start = text.rindex(value)
    assert column_header(text, start, start + len(value)) == header


def test_column_headers_read_each_row_a_bounded_number_of_times(monkeypatch: pytest.MonkeyPatch) -> None:
    """Asking for every cell's header of a long table stays linear: each block's first line is found
    once (a walk up from every row reads the whole block each time, 125,000 row parses here)."""
    import guardrails.pii.tables as tables

    rows = 500
    text = "case_id;contact;email\n" + "\n".join(f"{2012000000 + i};Ana Ruiz;a{i}@example.org" for i in range(rows))
    calls = 0
    real = tables.cells

    def counting(line: str, sep: str) -> list[tuple[int, int]]:
        nonlocal calls
        calls += 1
        return real(line, sep)

    monkeypatch.setattr(tables, "cells", counting)
    headers = tables.ColumnHeaders(text)
    for m in re.finditer(r"(?m)^\d+", text):
        assert headers(m.start(), m.end()) == "case_id"
    assert calls <= 4 * rows
