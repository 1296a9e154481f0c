"""A traveller's record: a name in the airline order ("SAMSON/ANASTASIE MS", surname and given name
in capitals joined by "/", perhaps a title) and the items of its record, and a document number whose
document type a ticked box names.

The airline order is the name field of tickets, passenger lists and advance passenger data: with a
title after it or a passenger key before it it is a name. In a record of comma-separated items on one
line that holds such a name ("document C7099134, 26 June 1986, SAMSON/ANASTASIE"), the other items
are that traveller's: a document number is the travel document's (PASSPORT), a date alone the date of
birth (a travel date is written with its word: "departure", "issued").

A form's ticked box names the document a generic "document <number>" is ("[x] passport [ ]
residence permit; document M6131095"): the number takes the ticked type. A permit beside a driver on
the same line is the driving permit.
"""

from __future__ import annotations

import re
from typing import Any

from presidio_analyzer import EntityRecognizer, RecognizerResult

from guardrails.pii.names import title_view, token_ok_for_name
from guardrails.pii.recognizers.identifiers import (
    DATE_VALUE,
    ID_CARD_CUE,
    LICENCE_CUE,
    PASSPORT_CUE,
    PASSPORT_VALUE,
    passport_like,
)

_CAPS = r"[^\W\d_a-zß-ÿ][^\W\d_a-zß-ÿ'’\-]+"
_TITLES = r"MR|MRS|MS|MISS|MSTR|DR"
_AIRLINE = re.compile(rf"(?<![\w/])({_CAPS})/({_CAPS})(?:[ \t]+({_TITLES}))?(?![\w/])")
# A passenger key before the name, no colon needed ("PASSENGER NAVARRO/TRISTAN").
_PASSENGER_KEY = re.compile(r"(?i:\b(?:passenger|pax|traveller|traveler)(?:[ \t]+name)?[ \t]*[:#]?[ \t]*)$")
_DATE_ITEM = re.compile(DATE_VALUE)
_DOCUMENT_ITEM = re.compile(
    rf"(?i:(?:(?:travel[ \t]+)?document|doc|{PASSPORT_CUE})(?:[ \t]+(?:no\.?|number|nr\.?|#))?[ \t]*[:#]?[ \t]*)"
    rf"({PASSPORT_VALUE})"
)
# A ticked box before a document type ("[x] passport", "☒ Reisepass"), then "document <number>".
_TICKED = re.compile(rf"(?i:(?:\[[xX✓✔]\]|☒|☑)[ \t]*({PASSPORT_CUE}|{LICENCE_CUE}|{ID_CARD_CUE}))")
_GENERIC_DOCUMENT = re.compile(r"(?i:\b(?:document|doc)(?:[ \t]+(?:no\.?|number|nr\.?|#))?[ \t]*[:#]?[ \t]*)")
_DOCUMENT_VALUE = re.compile(PASSPORT_VALUE)
# A permit named beside a driver on the same line is the driving permit ("main driver ANA RUIZ |
# permit X4570629F"); a residence or work permit has no driver beside it.
_DRIVER_PERMIT = re.compile(
    r"(?i:\b(?:driver|fahrer(?:in)?|conducteur|conductor|bestuurder|chauffeur)\b[^\n.;]{0,80}?"
    r"(?<!work )(?<!residence )(?<!parking )(?<!building )\bpermit"
    r"(?:[ \t]+(?:no\.?|number|nr\.?|#))?[ \t]*[:#]?[ \t]*)([A-Z0-9]{6,18})(?![\w-])"
)
SCORE = 0.9


def _name_ok(surname: str, given: str) -> bool:
    words = title_view(f"{surname} {given}").split()
    return all(token_ok_for_name(w) for w in words) and any(len(w) >= 4 for w in words)


def _type_of(cue: str) -> str:
    if re.fullmatch(PASSPORT_CUE, cue, re.I):
        return "PASSPORT"
    if re.fullmatch(LICENCE_CUE, cue, re.I):
        return "DRIVER_LICENSE"
    return "NATIONAL_ID"


class TravelRecordRecognizer(EntityRecognizer):
    """Airline-order names, their record's document number and date of birth, document numbers a
    ticked box types and a driver's permit (see the module)."""

    def __init__(self) -> None:
        super().__init__(supported_entities=["PERSON", "PASSPORT", "DATE_OF_BIRTH", "DRIVER_LICENSE", "NATIONAL_ID"],
                         name="TravelRecordRecognizer", supported_language="en")  # fmt: skip

    def load(self) -> None:
        pass

    def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[Any]:
        out: list[Any] = []
        if "/" in text:
            for m in _AIRLINE.finditer(text):
                if not _name_ok(m.group(1), m.group(2)):
                    continue
                out.extend(self._record(text, m))
        for m in _DRIVER_PERMIT.finditer(text):
            value = m.group(1)
            if sum(c.isdigit() for c in value) >= 5 and not _DATE_ITEM.fullmatch(value):
                out.append(RecognizerResult("DRIVER_LICENSE", m.start(1), m.end(1), SCORE))
        if "[" in text or "☒" in text or "☑" in text:
            for t in _TICKED.finditer(text):
                line_end = text.find("\n", t.end())
                line_end = len(text) if line_end < 0 else line_end
                d = _GENERIC_DOCUMENT.search(text, t.end(), line_end)
                # the nearest ticked box before the document names it; another ticked box between them
                # would name another document
                if not d or _TICKED.search(text, t.end(), d.start()):
                    continue
                v = _DOCUMENT_VALUE.match(text, d.end())
                if v and passport_like(v.group()):
                    out.append(RecognizerResult(_type_of(t.group(1)), v.start(), v.end(), SCORE))
        return out

    @staticmethod
    def _record(text: str, m: re.Match[str]) -> list[Any]:
        """The name and, in its comma-separated record on the same line, a document number and a date
        standing alone as items."""
        colon = text.rfind(": ", 0, m.start())
        ls = max(text.rfind("\n", 0, m.start()) + 1, colon + 2 if colon >= 0 else 0)
        le = text.find("\n", m.end())
        le = len(text) if le < 0 else le
        items, pos = [], ls
        for part in text[ls:le].split(","):
            a = pos + len(part) - len(part.lstrip())
            items.append((a, pos + len(part.rstrip())))
            pos += len(part) + 1
        found: list[Any] = []
        for a, b in items:
            if b <= m.start() and (doc := _DOCUMENT_ITEM.fullmatch(text, a, b)) and passport_like(doc.group(1)):
                found.append(RecognizerResult("PASSPORT", doc.start(1), doc.end(1), SCORE))
            elif (a, b) != (m.start(), m.end()) and _DATE_ITEM.fullmatch(text, a, b):
                found.append(RecognizerResult("DATE_OF_BIRTH", a, b, SCORE))
        keyed = bool(_PASSENGER_KEY.search(text[max(0, m.start() - 30) : m.start()]))
        if m.group(3) or keyed or found:
            found.append(RecognizerResult("PERSON", m.start(), m.end(2), SCORE))
            return found
        return []
