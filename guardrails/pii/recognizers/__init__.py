"""Custom Presidio recognizers, grouped by family; ``build_recognizers`` returns all of them."""

from __future__ import annotations

from typing import Any


def build_recognizers() -> list[Any]:
    """Every recognizer the detector registers (Presidio predefined ones included)."""
    from guardrails.pii.recognizers.address import address_recognizers
    from guardrails.pii.recognizers.columns import ColumnValueRecognizer
    from guardrails.pii.recognizers.contact import contact_recognizers
    from guardrails.pii.recognizers.identifiers import identifier_recognizers
    from guardrails.pii.recognizers.person import person_recognizers
    from guardrails.pii.recognizers.travel_records import TravelRecordRecognizer

    return [*contact_recognizers(), *identifier_recognizers(), *address_recognizers(), *person_recognizers(),
            TravelRecordRecognizer(), ColumnValueRecognizer()]
