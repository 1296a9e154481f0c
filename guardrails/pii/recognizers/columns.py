"""Identifiers in a table column whose header names them: a CSV export or Markdown table with a
"passport_number", "Date of birth", "Driving licence", "ID card", "BSN" or "Mobile" column. The
header is the cue a cell never repeats; the cell must still have the identifier's shape (the same
checks as after a cue in prose; a national identifier's checksum), so a column of dates, countries
or yes/no under a "Passport ..." header gives nothing."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial
from typing import Any

from presidio_analyzer import EntityRecognizer, RecognizerResult

from guardrails.pii.recognizers.contact import phone_score
from guardrails.pii.recognizers.identifiers import (
    DATE_VALUE,
    DOB_CUE,
    ID_CARD_CUE,
    ID_CUE,
    LICENCE_CUE,
    LICENCE_VALUE,
    PASSPORT_CUE,
    PASSPORT_VALUE,
    card_number_like,
    checksum_id,
    has_digit,
    passport_like,
)
from guardrails.pii.tables import SEPARATORS, ColumnHeaders, cells

NAME = "ColumnValueRecognizer"
SCORE = 0.75
# A header naming another attribute of the document than its number ("Passport expiry", "Licence
# class", "ID card issued by"): its column holds no identifier, whatever a cell looks like.
_ATTRIBUTE = re.compile(
    r"(?i:\b(?:expir\w*|valid\w*|issu\w*|countr\w*|type|class|status|categor\w*|place|authority|scan|copy|photo|"
    # a phone's attributes or counts ("Phone model", "Mobile app version", "Phone calls")
    r"model|brand|device|app|os|version|calls?|count|minutes|usage|cost|charges?|bill\w*|plan)\b)"
)


def _fullmatch(pattern: str, check: Callable[[str], bool]) -> Callable[[str], bool]:
    compiled = re.compile(pattern)
    return lambda v: bool(compiled.fullmatch(v)) and check(v)


# Headers of a column of phone numbers ("Phone", "Mobile", "Tel.", "Telefon", "Téléphone").
_PHONE_HEADER = (
    r"(?:phone|telephone|tel|mobile|mob|cell|cellphone|fax|whatsapp|landline|telefon\w*|telefoon\w*|"
    r"téléphone|tél|teléfono|telefone|telefono|móvil|handy|gsm|celular|cellulare|tlf|kom[óo]rk\w*)"
)
_PHONE_CELL = re.compile(r"(?:\+|00)?[\d \t().\-/]{6,24}")


def _phone_cell(value: str) -> bool:
    """A cell holding one number that, after a phone label, would be read as a phone (the same
    checks: 7-15 digits, no date, no amount in thousands)."""
    return bool(_PHONE_CELL.fullmatch(value)) and phone_score(value, "phone ") > 0


# A generic word alone ("ID", "Number", "Tax", "National") heads record ids and amounts as often as a
# person's identifier.
_GENERIC_ID_HEADER = re.compile(r"(?i:(?:id|uid|identifier|identification|identity|national|tax|number|no|nr)\W*)")


# (entity, header cue, value check); the first whose cue the header names decides the column.
_COLUMNS: tuple[tuple[str, re.Pattern[str], Callable[[str], bool]], ...] = (
    ("DATE_OF_BIRTH", re.compile(rf"(?i:\b{DOB_CUE}(?!\w))"), _fullmatch(rf"(?:{DATE_VALUE})", lambda v: True)),
    ("PASSPORT", re.compile(rf"(?i:\b{PASSPORT_CUE}(?!\w))"), _fullmatch(PASSPORT_VALUE, passport_like)),
    ("DRIVER_LICENSE", re.compile(rf"(?i:\b{LICENCE_CUE}(?!\w))"), _fullmatch(LICENCE_VALUE, has_digit)),
    ("NATIONAL_ID", re.compile(rf"(?i:\b{ID_CARD_CUE}(?!\w))"), card_number_like),
    ("PHONE_NUMBER", re.compile(rf"(?i:\b{_PHONE_HEADER}(?!\w))"), _phone_cell),
    # a national identifier's column ("BSN", "PESEL", "personnummer"): the cell's checksum must verify
    # (the header names the value: a UK national insurance number's shape counts)
    ("NATIONAL_ID", ID_CUE, partial(checksum_id, cued=True)),
)


def column_entity(header: str) -> tuple[str, Callable[[str], bool]] | None:
    """The identifier a column headed ``header`` holds, with its value check; None for any other
    column. Field names are read as words ("date_of_birth", "passport-no")."""
    label = re.sub(r"[_\-.]+", " ", header).strip()
    if _GENERIC_ID_HEADER.fullmatch(label):
        return None  # "ID", "Number": a record's id as often as a person's
    for entity, cue, check in _COLUMNS:
        if cue.search(label) and (entity == "DATE_OF_BIRTH" or not _ATTRIBUTE.search(label)):
            return entity, check
    return None


class ColumnValueRecognizer(EntityRecognizer):
    """Cells under a header naming an identifier, where the cell has that identifier's shape."""

    def __init__(self) -> None:
        super().__init__(supported_entities=[e for e, _, _ in _COLUMNS], name=NAME, supported_language="en")

    def load(self) -> None:
        pass

    def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[Any]:
        # Most texts have no table header naming an identifier: a cheap test before reading rows.
        words = text.replace("_", " ")
        if not any(cue.search(words) for _, cue, _ in _COLUMNS):
            return []
        headers = ColumnHeaders(text)
        seen: dict[str, tuple[str, Callable[[str], bool]] | None] = {}
        out: list[Any] = []
        pos = 0
        for line in text.split("\n"):
            ls, pos = pos, pos + len(line) + 1
            sep = next((s for s in SEPARATORS if s in line and len(cells(line, s)) >= 2), None)
            if sep is None:
                continue
            for a, b in cells(line, sep):
                if a == b:
                    continue
                header = headers(ls + a, ls + b)
                if header is None:
                    break  # no table block above this row: none of its cells has a header
                if header not in seen:
                    seen[header] = column_entity(header)
                found = seen[header]
                if found is not None and found[1](line[a:b]):
                    out.append(RecognizerResult(found[0], ls + a, ls + b, SCORE))
        return out
