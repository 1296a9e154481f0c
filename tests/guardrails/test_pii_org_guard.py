"""The "inside an organisation or place" guard of the weak person cues: the model's entities reach
the recognizers relabelled by Presidio (ORGANIZATION, LOCATION, NRP), and a name-shaped phrase that
lies inside a longer organisation or place on the same line is the firm's or the place's name. An
entity the model glued onto a name from a time stamp, the line before or a possessive vetoes nothing.

Real Presidio engine and spaCy model. Every sentence is written for these rules (no evaluation-set
text).
"""

from __future__ import annotations

import pytest

from guardrails.pii import PiiDetector
from guardrails.pii.recognizers.person import inside_non_person
from tests.guardrails.pii_probe import contains as _covered
from tests.guardrails.pii_probe import overlaps as _flagged


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("Rooms are booked at Hotel Jan van Eyck Brugge for the workshop.", "Jan van Eyck"),
        ("Dinner is at Restaurant Pieter de Hooch Delft after the review.", "Pieter de Hooch"),
    ],
)
def test_name_inside_a_longer_organisation_is_no_person(detector: PiiDetector, text: str, phrase: str) -> None:
    assert not _flagged(detector, text, phrase, "PERSON")


@pytest.mark.parametrize(
    ("text", "name"),
    [
        # the model reads "03:22 Ksawery Dzidek" as one organisation: a time adds no word
        ("Timeline: 03:10 pager fired; 03:22 Ksawery Dzidek joined the bridge.", "Ksawery Dzidek"),
        # the heading above is glued on across the blank line
        ("Travel Policy\n\nZofia Wrona accepted this invitation.", "Zofia Wrona"),
        # a greeting, or a department in brackets after the name
        ("Goedemiddag Marijke,", "Marijke"),
        ("Ilona Wiśniewska (Procurement) signed off the budget.", "Ilona Wiśniewska"),
    ],
)
def test_entity_glued_onto_a_name_vetoes_nothing(detector: PiiDetector, text: str, name: str) -> None:
    assert _covered(detector, text, name, "PERSON")


def test_inside_non_person_asks_for_a_word_after_the_name_on_the_same_line() -> None:
    text = "at Hotel Jan van Eyck Brugge; 03:22 Ana Ruiz; Policy\n\nAna Ruiz; Ana Ruiz's; Ana Ruiz (Sales)"
    hotel = (text.index("Hotel"), text.index(";"))
    name = (text.index("Jan"), text.index(" Brugge"))
    assert inside_non_person(text, *name, [hotel])
    assert not inside_non_person(text, *name, [name])  # the entity is the name itself
    t = text.index("03:22")
    assert not inside_non_person(text, t + 6, t + 14, [(t, t + 14)])
    p = text.index("Policy")
    q = text.index("Ana", p)
    assert not inside_non_person(text, q, q + 8, [(p, q + 8)])
    r = text.index("Ana Ruiz's")
    assert not inside_non_person(text, r, r + 8, [(r, r + 10)])
    s = text.rindex("Ana")
    assert not inside_non_person(text, s, s + 8, [(s, s + 15)])  # "Ana Ruiz (Sales": a bracket


# A firm named after a person and its sector ("Peter Pan Foods", "Johnson Controls"): the sector's
# noun makes the phrase an organisation; the same person's name alone stays a person.


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("Johnson Controls renewed its licences for three years.", "Johnson Controls"),
        ("Hilton Garden Inn hosts the partner summit in May.", "Hilton Garden Inn"),
        ("Philips Lighting signed the SOW on Friday.", "Philips Lighting"),
        ("Peter Pan Foods requested a quote for the cloud edition.", "Peter Pan Foods"),
        ("Reyes Brewing moved its ledgers to the new tenant.", "Reyes Brewing"),
    ],
)
def test_firm_named_with_its_sector_is_no_person(detector: PiiDetector, text: str, phrase: str) -> None:
    assert not _flagged(detector, text, phrase, "PERSON"), detector.detect(text)


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Peter Pan will call you about the quote.", "Peter Pan"),
        ("Contact Maria Reyes about the ledgers.", "Maria Reyes"),
    ],
)
def test_the_name_alone_stays_a_person(detector: PiiDetector, text: str, name: str) -> None:
    assert _covered(detector, text, name, "PERSON"), detector.detect(text)
