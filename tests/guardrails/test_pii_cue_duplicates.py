"""A name after a strong cue (a form's name field) that the model also reads as a person keeps its
cue: Presidio's duplicate removal keeps the higher-scored of two equal spans, and a one-word name
without its cue is dropped. Two surnames joined by a hyphen after a preposition are as often a firm.

Real Presidio engine and spaCy model; every sentence is written for these rules (no evaluation-set text).
"""

from __future__ import annotations

import pytest

from guardrails.pii import PiiDetector
from tests.guardrails.pii_probe import contains as _covered
from tests.guardrails.pii_probe import overlaps as _flagged


@pytest.mark.parametrize(
    ("text", "name"),
    [
        # a strong cue's one-word value that the model also reads as a name on its own
        ("Surname: Rubio | Given names: Sarah | Nationality: ESP", "Sarah"),
        ("Last name: Okafor\nFirst name: Grace\nDepartment: Sales", "Grace"),
        ("Vorname: Jonas | Nachname: Weber", "Jonas"),
        # a greeting still takes a hyphenated given name
        ("Hi Jean-Luc, the report is attached.", "Jean-Luc"),
    ],
)
def test_cued_name_found_by_the_model_too(detector: PiiDetector, text: str, name: str) -> None:
    assert _covered(detector, text, name)


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("Costs are shared with Hartley-Brooks; see annex B.", "Hartley-Brooks"),
        ("The retainer is borne by Okafor-Mensah; invoices follow monthly.", "Okafor-Mensah"),
        # a firm as the subject of a subordinate clause, where the model does not read it as a person
        pytest.param(
            "Subcontractors may be used when Fernbrook does not have enough consultants. Fernbrook keeps the list.",
            "Fernbrook",
            marks=pytest.mark.xfail(strict=True, reason="a firm in a person's subject slot, no signal"),
        ),
    ],
)
def test_firm_shapes_after_weak_cues_are_no_people(detector: PiiDetector, text: str, phrase: str) -> None:
    assert not _flagged(detector, text, phrase, "PERSON")


def test_a_person_mention_is_never_half_of_a_hyphen_joined_name(detector: PiiDetector) -> None:
    text = "Priya Shah approved the PO. Malhotra-Shah guarantees the return journey."
    assert _covered(detector, text, "Priya Shah")
    assert not _flagged(detector, text, "Malhotra-Shah", "PERSON")


def test_a_double_barrelled_surname_is_still_propagated_whole(detector: PiiDetector) -> None:
    text = "Dear Ms Anna Malhotra-Shah, thank you. Malhotra-Shah will sign on Monday."
    assert _covered(detector, text, "Anna Malhotra-Shah")
    second = text.rindex("Malhotra-Shah")
    assert any(
        s.start <= second and second + len("Malhotra-Shah") <= s.end and s.entity_type == "PERSON"
        for s in detector.detect(text)
    )
