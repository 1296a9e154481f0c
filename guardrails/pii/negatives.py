"""Structured business values that are never personal data: dates, versions, ticket and order ids,
clause numbers, amounts. Number-shaped candidates (phones, addresses, ids) that fall on one are dropped.

The patterns describe shapes (an ISO date, a dotted version, letters followed by a long number, a
currency next to a number, a number after an id label), not any corpus's values.
"""

from __future__ import annotations

import re
from functools import lru_cache

_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december|"
    "jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
)
MONTHS_RE = re.compile(rf"(?i:{_MONTHS})")

# Calendar dates and timestamps in numeric forms.
DATE_PATTERNS = (
    r"\b(?:19|20)\d\d-(?:0?[1-9]|1[0-2])-(?:0?[1-9]|[12]\d|3[01])(?:[T ]\d\d:\d\d(?::\d\d)?)?\b",
    # (not three groups of a longer run: "06-12-03-49-73" is a phone number written in pairs)
    r"(?<!\d[./-])\b(?:0?[1-9]|[12]\d|3[01])[./-](?:0?[1-9]|1[0-2])[./-](?:19|20)?\d\d\b(?![./-]\d)",
    r"\b(?:0?[1-9]|1[0-2])/(?:0?[1-9]|[12]\d|3[01])/(?:19|20)\d\d\b",
    r"\b(?:19|20)\d\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\b",
    r"\b(?:19|20)\d\d/(?:0?[1-9]|1[0-2])/(?:0?[1-9]|[12]\d|3[01])\b",
)
_NEGATIVE_PATTERNS = (
    *DATE_PATTERNS,
    # versions and builds: v1.2, 10.4.2, 2024.2.1033, 1.2.3.4567
    r"(?i:\bv)\d+(?:\.\d+)+\b",
    r"\b\d+\.\d+\.\d+(?:\.\d+)*\b",
    # ticket / change / document ids: INC0037564, RITM0012345, ABC-12345, INV-2024-00017
    r"\b[A-Z]{2,6}\d{5,}\b",
    r"\b[A-Z]{2,6}[-_ ]?\d{3,}(?:[-_]\d{2,})*\b",
    r"\b[A-Z][A-Za-z]{1,9}[-_]\d{2,}(?:[-_]\d{2,})*\b",
    # encodings, standards and models named by letters and a short number: UTF-8, SHA-256, ISO-8859-1
    r"\b[A-Z]{2,6}-\d{1,2}\b",
    # clause and section numbers: "clause 14.2(a)", "§ 3.1", "section 4.3.2"
    # ("§" is no word character: no word boundary before it after a space)
    r"(?i:(?:\b(?:clause|section|article|art\.|para(?:graph)?)|§)\s*)\d+(?:\.\d+)*(?:\([a-z0-9]+\))?",
    # amounts: EUR 12,500.00, $1,234, 12.500 €, 1.5m USD
    r"(?i:(?:[$€£¥₹]|\b(?:eur|usd|gbp|chf|inr|pln|jpy|sek|dkk|nok)\b)\s?\d[\d,.' ]*\d)",
    r"(?i:\b\d[\d,.' ]*\d\s?(?:[$€£¥₹]|(?:eur|usd|gbp|chf|inr|pln|jpy|sek|dkk|nok)\b))",
    # a number after an identifier label is that identifier: "order 4500012345", "PO-123-4567"
    r"(?i:\b(?:purchase\s+order|order|po|so|invoice|inv|credit\s+note|document|doc|ticket|incident|case|"
    r"request|change|ref(?:erence)?|contract|batch|job|build|release|version|transport|material|item|sku|"
    r"article|quote|quotation|delivery|shipment|account\s+no|"
    # the same labels in the other languages served ("Zamówienie nr ...", "Codice articolo: ...")
    r"bestellung|rechnung|auftrag|lieferschein|artikel|angebot|commande|facture|devis|dossier|pedido|factura|"
    r"albarán|presupuesto|expediente|bestelling|factuur|offerte|zamówienie|zamówienia|faktura|faktury|zlecenie|"
    r"ordine|fattura|articolo|preventivo|pratica|encomenda|fatura)"
    r"\b\.?\s*(?:no\.?|number|nr\.?|n[º°]|n\.[º°]|núm\.?|#|id)?\s*[:#]?\s*)"
    r"[A-Z]{0,4}[-/ ]?\d[\d\-/. ]{3,}\d",
)
_NEGATIVE_RE = re.compile("|".join(f"(?:{p})" for p in _NEGATIVE_PATTERNS))
_DATE_RE = re.compile("|".join(f"(?:{p})" for p in DATE_PATTERNS))


def protected_ranges(text: str, dates_only: bool = False) -> list[tuple[int, int]]:
    """Character ranges holding dates, versions, ticket/order ids, clause numbers and amounts."""
    return list(_ranges(text, dates_only))


@lru_cache(maxsize=8)
def _ranges(text: str, dates_only: bool) -> tuple[tuple[int, int], ...]:
    # Post-processing asks several times for the same text's ranges.
    return tuple((m.start(), m.end()) for m in (_DATE_RE if dates_only else _NEGATIVE_RE).finditer(text))


def on_protected(start: int, end: int, ranges: list[tuple[int, int]]) -> bool:
    """True when [start, end) overlaps a protected range by at least half of its own length."""
    need = max(1, (end - start) // 2)
    return any(min(end, b) - max(start, a) >= need for a, b in ranges)
