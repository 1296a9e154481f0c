"""Names in form fields the other person recognizers read only in mixed case: values written in
capitals ("SURNAME: O'SULLIVAN", "BENEFICIARY: MARIA FERNANDA LOPES"), the airline order
("PASSENGER: MENSAH/KWAME MR"), a capitalised surname before the given name ("Employee: DUBOIS,
Jean-Luc"), and a bare "Nom"/"Name" field beside a given-name field ("Prénom : Amélie" / "Nom :
Girard"), whose one word is then the surname.

A form in capitals writes every value so: a value is judged by its title-case reading ("O'Sullivan"),
with the same word lists as any name. Strong cues (``CUE_RECOGNIZERS``): the field's key names a person.
"""

from __future__ import annotations

import re
from typing import Any

from presidio_analyzer import EntityRecognizer, RecognizerResult

from guardrails.pii.lexicon import particles
from guardrails.pii.names import has_domain_word, is_legal_form, title_view, token_ok_for_name

# Keys whose value is a surname or a given name alone: one word is enough.
_PART_KEYS = (
    r"surname|last[ _]name|family[ _]name|first[ _]names?|given[ _]names?|forenames?|middle[ _]names?|"
    r"nachname|vorname|familienname|pr[ée]noms?|nom[ _]de[ _]famille|apellidos?|achternaam|voornaam|"
    r"nazwisko|imi[eę]|cognome|sobrenome"
)
# Keys whose value is a person's whole name (or a firm's, or a product's): two words or more.
_WHOLE_KEYS = (
    r"name|full[ _]name|nom|nombre|nome|naam|(?:bank[ _])?account[ _]holder|holder|sole[ _]trader|proprietor|"
    r"card[ _]?holder|beneficiary|payee|"
    r"passenger(?:[ _]name)?|travell?er(?:[ _]name)?|guest[ _]name|employee(?:[ _]name)?|patient(?:[ _]name)?|"
    r"applicant|policy[ _]?holder|insured|recipient|ship[ _]to|titulaire|kontoinhaber(?:in)?|begunstigde|"
    r"beneficiario|titular|b[ée]n[ée]ficiaire|empf[äa]nger(?:in)?|destinataire|destinatario|contact"
)
# A field may follow a sentence on the same line ("... workflow. Sole trader: Brandt, Helga; date of
# birth ...").
_KEY = re.compile(
    rf"(?im:(?:^|(?<=[;|,])|(?<=[ \t]{{2}})|(?<=[.!?][ \t]))[ \t>*-]*[\"']?((?:{_PART_KEYS})|(?:{_WHOLE_KEYS}))"
    r"[\"']?[ \t]*[:=][ \t]*[\"']?)"
)
_PART_KEY = re.compile(rf"(?i:{_PART_KEYS})")
# Whole-name keys whose value is as often a firm's, a product's or a place's: the others name a
# person's role (holder, payee, passenger ...), whose value in capitals or surname first is a name
# whatever the case of the key ("Bank account holder: FLORA KRAUS", "Sole trader: Brandt, Helga").
_AMBIGUOUS_KEY = re.compile(
    r"(?i:name|full[ _]name|nom|nombre|nome|naam|contact|ship[ _]to|recipient|destinataire|destinatario|"
    r"empf[äa]nger(?:in)?|holder|insured)"
)
# A bare name key: a given-name field on the line before or after makes it the surname's field.
_BARE_KEY = re.compile(r"(?i:name|nom|nombre|nome|naam)")
_GIVEN_KEY_LINE = re.compile(
    r"(?im:^[ \t>*-]*[\"']?(?:first[ _]names?|given[ _]names?|forenames?|vorname|pr[ée]noms?|voornaam|imi[eę])"
    r"[\"']?[ \t]*[:=])"
)
_WORD = r"[^\W\d_][^\W\d_'’\-]*(?:['’\-][^\W\d_]+)*"
# The value: up to four words (the airline order joins surname and given name with "/"), then perhaps
# ", Given names" after a surname; it ends at the line's or cell's end or at a gap before the next field.
_VALUE = re.compile(
    rf"({_WORD}(?:(?:[ \t]|/){_WORD}){{0,3}})(?:,[ \t]*({_WORD}(?:[ \t]{_WORD}){{0,2}}))?"
    r"(?=[ \t]{2,}|[ \t]*(?:[\n;|\"')]|$))"
)
# A booking or a card names its holder without a colon, as travel systems print it: the surname in
# capitals, then the given name ("Booking for DÖRR Hajo", "cardholder GARETH WILKINSON").
_HOLDER_CUE = re.compile(
    r"(?i:\b(?:(?:booking|reservation|ticket|itinerary|boarding[ \t]+pass)[ \t]+for|card[ \t]?holder|passenger|"
    # the holder of a document or an account, a sole trader, a hire car's named driver, in the
    # languages served
    r"holder|(?:sole[ \t]+)?proprietor|(?:main|additional|named|second)[ \t]+driver|inhaber(?:in)?|titulaire|"
    r"houder|titular|propri[ée]taire|eigenaar|(?:conductor|conducteur|fahrer(?:in)?|bestuurder)[ \t]+principal))"
    r"[ \t]+(?=[^\W\d_]{3,}(?<![a-z])[ \t])"
)
_CAPS_THEN_NAME = re.compile(rf"({_WORD})[ \t]+({_WORD}(?:[ \t]+{_WORD}){{0,2}})(?=[ \t]*(?:[\n;,.)|]|$))")
# An invitation's attendee lines: full names separated by ";" or ",", in any case, perhaps with a
# note in brackets or an address beside them ("Required: Ana Ruiz; PIOTR NOWAK (external); x@y.example").
_ATTENDEE_KEY = re.compile(
    r"(?im:(?:^|(?<=[.!?][ \t]))[ \t>*-]*(?:required|optional|attendees|invitees|participants)[ \t]*:[ \t]*)"
)
_ATTENDEE_ITEM = re.compile(
    rf"[ \t]*({_WORD}(?:[ \t]+{_WORD}){{1,3}})[ \t]*(?:\([^()\n]{{1,30}}\)|<[^<>\n]{{1,80}}>)?[ \t]*"
)
# Above every other PERSON score: Presidio's duplicate removal drops a span inside or equal to one
# scored higher, and the filters must know the span came from here to read it in title case.
FORM_SCORE = 0.95
# Titles the airline order writes after the given name ("MENSAH/KWAME MR").
_AIRLINE_TITLE = re.compile(r"[ \t]+(?:MR|MRS|MS|MISS|MSTR|DR)$")


def _words_ok(words: list[str]) -> bool:
    """Every word can be part of a name (title-case reading), one at least is no particle."""
    real = [w for w in words if w.lower() not in particles()]
    return bool(real) and all(token_ok_for_name(w) and not is_legal_form(w) and len(w) >= 2 for w in real)


class PersonFormRecognizer(EntityRecognizer):
    """Person names in form fields written in capitals or surname first (see the module)."""

    def __init__(self) -> None:
        super().__init__(supported_entities=["PERSON"], name="PersonFormRecognizer", supported_language="en")

    def load(self) -> None:
        pass

    def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[Any]:
        out: list[Any] = []
        for m in _KEY.finditer(text):
            v = _VALUE.match(text, m.end())
            if not v:
                continue
            key, head, given = m.group(1), v.group(1), v.group(2)
            end = v.end(1)
            airline = "/" in head
            if airline:  # the airline order: a title closes it
                t = _AIRLINE_TITLE.search(head)
                if t:
                    head, end = head[: t.start()], v.start(1) + t.start()
                if head.count("/") != 1:
                    continue
            caps = head.isupper()
            words = title_view(head).split()
            role_key = not _PART_KEY.fullmatch(key) and not _AMBIGUOUS_KEY.fullmatch(key)
            if given is not None:
                # "DUBOIS, Jean-Luc": the surname in capitals, then the given names; after a role's
                # key in title case too ("Sole trader: Brandt, Helga")
                if not (caps or (role_key and head[:1].isupper() and given[:1].isupper())):
                    continue
                if not _words_ok(words + title_view(given).split()):
                    continue
                end = v.end(2)
            elif caps:
                # a form in capitals writes its keys so too; "Owner: IT OPS" is an acronym
                if not (key.isupper() or airline or role_key) or not _words_ok(words):
                    continue
                # under a key in mixed case, a word of two letters is an acronym or a legal form ("SAP SE")
                if not (key.isupper() or airline) and any(len(w) < 3 for w in words if w.lower() not in particles()):
                    continue
                if not _PART_KEY.fullmatch(key) and len([w for w in words if w.lower() not in particles()]) < 2:
                    continue
            elif role_key and _surname_first(head.split()):
                # "Bank account holder: MADAN Krishna": the surname in capitals, the given name after it
                if not _words_ok(words):
                    continue
            elif _BARE_KEY.fullmatch(key) and len(words) == 1 and _beside_given_name(text, m.start()):
                if not (head[:1].isupper() and _words_ok(words)):
                    continue
            else:
                continue
            if has_domain_word(title_view(text[v.start(1) : end])):
                continue
            out.append(RecognizerResult("PERSON", v.start(1), end, FORM_SCORE))
        for m in _ATTENDEE_KEY.finditer(text):
            line_end = text.find("\n", m.end())
            line_end = len(text) if line_end < 0 else line_end
            pos = m.end()
            while pos < line_end:
                sep = min((i for i in (text.find(";", pos, line_end), text.find(",", pos, line_end)) if i >= 0),
                          default=line_end)  # fmt: skip
                item = _ATTENDEE_ITEM.fullmatch(text, pos, sep)
                # an acronym beside a capitalised word is a product's or a unit's name ("SAP Concur")
                if item and (item.group(1).isupper() or not any(w.isupper() for w in item.group(1).split())
                             or _surname_first(item.group(1).split())):  # fmt: skip
                    words = title_view(item.group(1)).split()
                    if _words_ok(words) and not has_domain_word(" ".join(words)):
                        out.append(RecognizerResult("PERSON", item.start(1), item.end(1), FORM_SCORE))
                pos = sep + 1
        for m in _HOLDER_CUE.finditer(text):
            v = _CAPS_THEN_NAME.match(text, m.end())
            if not v or not v.group(1).isupper():
                continue
            rest = v.group(2).split()
            # the rest in capitals too, or each word capitalised then lower case ("DUBEY Vyanjana")
            if not (v.group(2).isupper() or all(w[:1].isupper() and w[1:].islower() for w in rest)):
                continue
            words = title_view(v.group()).split()
            if not _words_ok(words) or any(len(w) < 3 for w in words) or has_domain_word(" ".join(words)):
                continue
            out.append(RecognizerResult("PERSON", v.start(), v.end(), FORM_SCORE))
        return out


def _surname_first(words: list[str]) -> bool:
    """The surname in capitals (three letters or more), then the given names capitalised in lower case
    ("MADAN Krishna", "DÖRR Hajo Peter"): a form's and a booking's order, not an acronym's phrase
    ("SAP Concur" is two letters too short, "IBM Cloud" one)."""
    return (2 <= len(words) <= 3 and len(words[0]) >= 4 and words[0].isupper()
            and all(w[:1].isupper() and w[1:].islower() for w in words[1:]))  # fmt: skip


def _beside_given_name(text: str, pos: int) -> bool:
    """A given-name field opens the line before or after the one holding ``pos``."""
    line_start = text.rfind("\n", 0, pos) + 1
    prev_start = text.rfind("\n", 0, max(0, line_start - 1)) + 1
    if line_start > 0 and _GIVEN_KEY_LINE.match(text, prev_start):
        return True
    nl = text.find("\n", pos)
    return nl >= 0 and bool(_GIVEN_KEY_LINE.match(text, nl + 1))
