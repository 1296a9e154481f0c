"""Names in the column of a table or CSV block whose header names people ("Name", "Attendee",
"Vorname", "Prénom", "Nazwisko"): every row's cell in that column is read as a name when it has a
name's shape. A bulleted list under a heading of people ("Participants", "Anwesend") is such a
column too, when every item has a name's shape. A weak cue (``WEAK_CUE_RECOGNIZERS``): the text's
common words and headings still veto.

A bare "Name" column also lists products, files and firms, so under it a cell must be a full name
(two name-shaped words or more); under a header only people have ("Attendee", "Surname") one word
is enough.
"""

from __future__ import annotations

import re
from typing import Any

from presidio_analyzer import EntityRecognizer, RecognizerResult

from guardrails.pii.names import looks_like_name
from guardrails.pii.recognizers.person import CONTEXT_SCORE, _non_person_entities, _single_ok, weak_name_ok
from guardrails.pii.tables import RULE_ROW, SEPARATORS, cells

# Headers of a column of people, in the languages served.
_PERSON_HEADER = re.compile(
    r"(?i:(?:first|given|last|family|sur|fore|full|employee|contact|person|customer\s+contact)[\s_-]*name|"
    r"surname|forename|employee|attendees?|participants?|contact\s+person|person|candidate|applicant|"
    r"approver|reviewer|assignee|requester|reporter|signatory|trainee|"
    r"vorname|nachname|familienname|mitarbeiter(?:in)?|ansprechpartner(?:in)?|teilnehmer(?:in)?|"
    r"voornaam|achternaam|medewerker|deelnemer|contactpersoon|prénom|nom\s+de\s+famille|nom\s+complet|"
    r"collaborateur|apellidos?|nombre\s+completo|empleado|participante|cognome|nome\s+completo|dipendente|"
    r"partecipante|sobrenome|funcion[aá]rio|imi[eę]|nazwisko|imi[eę]\s+i\s+nazwisko|pracownik|uczestnik)"
)
# A header that names a thing as often as a person: its cells must be full names.
# A CRM's "Contact" and "Lead Name" columns list people as often as shared mailboxes or firms.
_NAME_HEADER = re.compile(r"(?i:name|naam|nom|nombre|nome|contact|lead(?:[\s_-]*name)?)")
# Headers of a thing's attributes: a people table has no owner, version, price or licence, so a
# bare "Name" column beside one of them names products, services or files ("| Name | Owner team |").
_THING_HEADER = re.compile(
    r"(?i:\b(?:owner|owning|owned|vendor|version|release|price|cost|sku|licen[cs]e|plan|tier|component|module|"
    r"platform|url|endpoint|repo(?:sitory)?|product|service|sla|uptime)s?\b)"
)
# A heading of a list of people, on its own line ("Participant list", "**Attendees:**", "Anwesend").
_PEOPLE_HEADING = re.compile(
    r"(?im:^[ \t#*_]*(?:attendees|participants|participant[ \t]+list|invitees|present|team[ \t]+members|"
    r"speakers|reviewers|approvers|teilnehmer(?:innen)?|anwesend|participants|présents|deelnemers|aanwezig|"
    r"asistentes|participantes|partecipanti|presenti|uczestnicy|obecni)[ \t]*[*_]*:?[*_]*[ \t]*\n)"
)
# A meeting's people on one line after their key, in the languages served ("Teilnehmer: Jens Albrecht,
# Dorota Lis", "Participants : Yann Le Goff ; Hugo Marchal").
_PEOPLE_KEY_LINE = re.compile(
    r"(?im:^[ \t>*-]*(?:(?:required|optional)(?:[ \t]+attendees)?|attendees|participants|invitees|"
    r"teilnehmer(?:innen)?|eingeladen|anwesend|deelnemers|genodigden|aanwezig|invités|présents|asistentes|"
    r"participantes|invitados|presentes|uczestnicy|obecni|partecipanti|presenti)[ \t]*:[ \t]*([^\n]+))"
)
_LIST_SEP = re.compile(r"[ \t]*[,;][ \t]*")
# One item of a bulleted or numbered list: the name, then at most a role after a comma, dash or bracket.
_ITEM = re.compile(r"[ \t]*(?:[-*•]|\d{1,2}[.)])[ \t]+([^\n,(–—]+?)[ \t]*(?:(?:[,(–—]|[ \t]-[ \t])[^\n]*)?(?:\n|$)")


class PersonColumnRecognizer(EntityRecognizer):
    """The cells of a people column in a table or CSV block (see the module)."""

    def __init__(self) -> None:
        super().__init__(supported_entities=["PERSON"], name="PersonColumnRecognizer", supported_language="en")

    def load(self) -> None:
        pass

    def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[Any]:
        out: list[Any] = []
        orgs = _non_person_entities(nlp_artifacts)
        for m in _PEOPLE_HEADING.finditer(text):
            items, pos = [], m.end()
            while item := _ITEM.match(text, pos):
                items.append((item.start(1), item.end(1)))
                pos = item.end()
            # every item must pass: one team or product word ends the list's claim
            if items and all(weak_name_ok(text, a, b, orgs) for a, b in items):
                out.extend(RecognizerResult("PERSON", a, b, CONTEXT_SCORE) for a, b in items)
        for m in _PEOPLE_KEY_LINE.finditer(text):
            items, pos = [], m.start(1)
            for part in [*_LIST_SEP.finditer(m.group(1)), None]:
                end = m.start(1) + part.start() if part else m.end(1)
                seg = text[pos:end].rstrip(" \t.")
                items.append((pos, pos + len(seg)))
                pos = m.start(1) + part.end() if part else end
            # full names only, every one of them: a list of teams or departments ("Vertrieb; Einkauf")
            # is written alike
            if len(items) >= 2 and all(looks_like_name(text[a:b]) and weak_name_ok(text, a, b, orgs) for a, b in items):
                out.extend(RecognizerResult("PERSON", a, b, CONTEXT_SCORE) for a, b in items)
        if not any(sep in text for sep in SEPARATORS):
            return out
        lines, pos = [], 0
        for line in text.split("\n"):
            lines.append((pos, line))
            pos += len(line) + 1
        for i, (_, line) in enumerate(lines):
            for sep in SEPARATORS:
                if line.count(sep) < 1:
                    continue
                header = cells(line, sep)
                # a header row: short labels only (a sentence with a comma is none)
                if len(header) < 2 or any(len(line[a:b].split()) > 4 for a, b in header):
                    continue
                kinds = {j: k for j, (a, b) in enumerate(header) if (k := self._column_kind(line[a:b]))}
                things = any(_THING_HEADER.search(line[a:b]) for j, (a, b) in enumerate(header) if j not in kinds)
                kinds = {j: k for j, k in kinds.items() if k != "name" or not things}
                if not kinds:
                    continue
                self._rows(text, lines[i + 1 :], sep, len(header), kinds, orgs, out)
                break
        return out

    @staticmethod
    def _column_kind(cell: str) -> str | None:
        cell = cell.strip(" *_#:")
        if _PERSON_HEADER.fullmatch(cell):
            return "person"
        if _NAME_HEADER.fullmatch(cell):
            return "name"
        return None

    @staticmethod
    def _rows(text: str, rows: list[tuple[int, str]], sep: str, width: int, kinds: dict[int, str],
              orgs: list[tuple[int, int]], out: list[Any]) -> None:  # fmt: skip
        """The rows under a header: as many cells as the header, until a line that has not."""
        for off, line in rows:
            if sep == "|" and RULE_ROW.match(line) and line.strip():
                continue
            row = cells(line, sep)
            if len(row) != width:
                return
            for j, kind in kinds.items():
                a, b = off + row[j][0], off + row[j][1]
                full = len(text[a:b].split()) >= 2
                if (full or kind == "person") and (weak_name_ok(text, a, b, orgs)
                                                   or (kind == "person" and _double_barrelled(text[a:b]))):
                    out.append(RecognizerResult("PERSON", a, b, CONTEXT_SCORE))


def _double_barrelled(cell: str) -> bool:
    """One hyphenated surname ("Albers-Kühn"): alone it may name a firm, in a surname column a person."""
    parts = cell.split("-")
    return " " not in cell and len(parts) == 2 and all(_single_ok(p) for p in parts)
