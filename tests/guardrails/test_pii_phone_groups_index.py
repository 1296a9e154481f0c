"""``phones_with_evidence`` looks only at the anchors no digit, "@" or "." separates from a weak
phone; it must keep exactly the phones the plain walk over every anchor keeps. Generated texts of
contact details, separators and joining words; the walk below is the definition it replaces."""

from __future__ import annotations

import random

from guardrails.pii import postprocess as pp
from guardrails.spans import PiiSpan

_PIECES = ["\nname;phone;order_id\n", ", ", "; ", " | ", " or ", " at ", " (", ") ", " / ", "\n", " mobile ",
           " office line: ", " - ", " and ", " order ", " ref. ", "@", ".", " 2024 ", " via ", "  "]  # fmt: skip
_KINDS = ["PERSON", "EMAIL_ADDRESS", "LOCATION", "PHONE_NUMBER", "PHONE_NUMBER", "IBAN_CODE"]


def _walk(text: str, spans: list[PiiSpan], weak_score: float) -> list[PiiSpan]:
    weak = [s for s in spans if s.entity_type == "PHONE_NUMBER" and s.score <= weak_score]
    anchors = [s for s in spans if s.entity_type in ("PERSON", "EMAIL_ADDRESS", "LOCATION")
               or (s.entity_type == "PHONE_NUMBER" and s.score > weak_score)]  # fmt: skip

    from guardrails.pii.recognizers.contact import labels_record
    from guardrails.pii.tables import ColumnHeaders

    column_header = ColumnHeaders(text)

    def grouped(s: PiiSpan) -> bool:
        header = column_header(s.start, s.end)
        if header is not None and labels_record(header):
            return False
        gap = pp._CONTACT_GAP.fullmatch
        return any((x.end <= s.start and gap(text, x.end, s.start)) or (s.end <= x.start and gap(text, s.end, x.start))
                   for x in anchors)  # fmt: skip

    return [s for s in spans if s not in weak or grouped(s)]


def _case(rng: random.Random) -> tuple[str, list[PiiSpan]]:
    text, spans = "", []
    for _ in range(rng.randint(1, 14)):
        text += rng.choice(_PIECES)
        kind = rng.choice(_KINDS)
        value = {"PERSON": "Ana Ruiz", "EMAIL_ADDRESS": "ana@x.example", "LOCATION": "Kerkstraat 1"}.get(kind, "")
        value = value or "".join(rng.choice("0123456789 ") for _ in range(rng.randint(7, 12))).strip() or "0612"
        score = rng.choice([0.5, 0.55, 0.7, 0.9])
        spans.append(PiiSpan(kind, len(text), len(text) + len(value), score))
        text += value
    return text + rng.choice(_PIECES), spans


def test_indexed_anchor_lookup_keeps_what_the_walk_keeps() -> None:
    rng = random.Random(20261204)
    checked = 0
    for _ in range(4000):
        text, spans = _case(rng)
        assert pp.phones_with_evidence(text, spans, 0.5) == _walk(text, spans, 0.5), text
        checked += sum(s.entity_type == "PHONE_NUMBER" and s.score <= 0.5 for s in spans)
    assert checked > 1000  # the generator does make weak phones to decide on
