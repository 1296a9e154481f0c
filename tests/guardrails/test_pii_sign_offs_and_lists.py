"""Names a message's layout gives away: a Dutch closing, a dash signature on the last line, people a
message is copied to or thanks, and a name with its role abbreviated in brackets. Negatives: a list
written with dashes, teams and tools with a role in brackets, departments after "cc:".

Real Presidio engine and spaCy model; every text is written for these rules (no evaluation-set text).
"""

from __future__ import annotations

import pytest

from guardrails.pii import PiiDetector
from tests.guardrails.pii_probe import contains as _covered
from tests.guardrails.pii_probe import overlaps as _flagged


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("Dank voor de snelle reactie.\n\nGroeten,\nSanne", ["Sanne"]),
        ("Met hartelijke groet,\nMaarten", ["Maarten"]),
        ("Thanks, the mapping is attached.\n-- Tomasz", ["Tomasz"]),
        ("Fixed in the next build.\n— Ana Ruiz", ["Ana Ruiz"]),
        ("cc: Lars, Mette and Oskar", ["Lars", "Mette", "Oskar"]),
        ("Thanks to Priya, Tomás and Wen for the review.", ["Priya", "Tomás", "Wen"]),
        ("Approved: Ingrid (PM), Kwame (CFO)", ["Ingrid", "Kwame"]),
        ("Steering: Kwame Mensah (CFO) and Lena Vogt (PO) attended.", ["Kwame Mensah", "Lena Vogt"]),
    ],
)
def test_names_the_layout_gives_away(detector: PiiDetector, text: str, names: list[str]) -> None:
    for name in names:
        assert _covered(detector, text, name, "PERSON"), (name, detector.detect(text))


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("Environments:\n-- Production\n-- Staging", "Staging"),
        ("Rollout (PM) tasks live in the Jira (PO) board.", "Rollout"),
        ("Rollout (PM) tasks live in the Jira (PO) board.", "Jira"),
        ("Owners: Platform (PO), Billing (PM).", "Billing"),
        ("cc: Finance, Legal and Procurement", "Legal"),
    ],
)
def test_lists_teams_and_tools_are_no_people(detector: PiiDetector, text: str, phrase: str) -> None:
    assert not _flagged(detector, text, phrase, "PERSON"), detector.detect(text)


# Italian and Portuguese closings; a department signing in those languages is no person.


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("In allegato il contratto firmato.\nCordiali saluti,\nGiulia Romano", "Giulia Romano"),
        ("Segue a proposta revista.\nCom os melhores cumprimentos,\nInês Carvalho", "Inês Carvalho"),
        ("Resta a fatura de março.\nAtenciosamente,\nRui Tavares", "Rui Tavares"),
    ],
)
def test_name_under_an_italian_or_portuguese_closing(detector: PiiDetector, text: str, name: str) -> None:
    assert _covered(detector, text, name, "PERSON"), detector.detect(text)


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("In allegato il preventivo.\nCordiali saluti,\nUfficio Acquisti", "Ufficio Acquisti"),
        ("Segue a fatura.\nAtenciosamente,\nDepartamento Financeiro", "Departamento Financeiro"),
    ],
)
def test_department_under_a_closing_is_no_person(detector: PiiDetector, text: str, phrase: str) -> None:
    assert not _flagged(detector, text, phrase, "PERSON"), detector.detect(text)
