"""Person names without a label before them: titles in the languages served, first names alone, names
the sentence around them marks as people; and the capitalised business words that must stay non-person.

Real Presidio engine and spaCy model; every sentence is written for these rules (no evaluation-set text).
"""

from __future__ import annotations

import pytest

from guardrails.pii import PiiDetector
from tests.guardrails.pii_probe import contains as _covered


def _typed(detector: PiiDetector, text: str) -> set[tuple[str, str]]:
    return {(s.entity_type, text[s.start : s.end]) for s in detector.detect(text)}


def _persons(detector: PiiDetector, text: str) -> set[str]:
    return {v for t, v in _typed(detector, text) if t == "PERSON"}



# -- titles: more languages, any case, surnames opening with a particle -----------------------------------


@pytest.mark.parametrize(
    "text, name",
    [
        ("The meeting with Mevrouw de Vries moved to Thursday.", "de Vries"),
        ("We sent the contract to ms. Okonkwo yesterday.", "Okonkwo"),
        ("The invoice goes to Monsieur Lefebvre in the Lyon office.", "Lefebvre"),
    ],
)
def test_title_and_surname(detector: PiiDetector, text: str, name: str) -> None:
    assert _covered(detector, text, name)


# -- the sentence marks a word as a person ------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, name",
    [
        # subject of a verb only people govern
        ("Wiktoria Zielińska approves the transport request after the test.", "Wiktoria Zielińska"),
        ("Marek said the release is ready.", "Marek"),
        # object of such a verb, or after a relative's noun
        ("The auditor told Bartek about the findings.", "Bartek"),
        ("The courier had given Sanne her parcel number.", "Sanne"),
        ("I would like to change the beneficiary to my son Joost next month.", "Joost"),
        # possessive relation noun
        ("Kees's daughter starts in the support team.", "Kees"),
        # a pair with a name already found
        ("Jorge Salgado and Tijmen Ruyters signed the acceptance form.", "Tijmen Ruyters"),
        # addressed at the start or end of a sentence
        ("Anuradha, could you send the signed copy today?", "Anuradha"),
        ("Thanks for the quick fix, Deepak!", "Deepak"),
        # a list after a noun for a group of people
        ("Attendees: Zofia, Maarten, Ravi and Ilse Bakker.", "Maarten"),
        # Dutch surnames with particles, names written with letters outside ASCII
        ("Pieter van den Broek reviewed the mapping.", "Pieter van den Broek"),
        ("Notes from Jan van der Berg and Willemijn ten Brink.", "Willemijn ten Brink"),
        ("Forwarded to Hanneke op den Akker yesterday.", "Hanneke op den Akker"),
    ],
)
def test_sentence_context_marks_a_person(detector: PiiDetector, text: str, name: str) -> None:
    assert _covered(detector, text, name)


def test_one_name_found_once_is_found_at_its_other_mentions(detector: PiiDetector) -> None:
    text = "Marek said the release is ready. The release notes were checked by Marek on Monday."
    spans = [s for s in detector.detect(text) if s.entity_type == "PERSON"]
    assert sum(text[s.start : s.end] == "Marek" for s in spans) == 2


# -- capitalised business words in the same sentence shapes stay non-person --------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Nordwind Suite approves every change automatically.",
        "SAP approved the roadmap for the next release.",
        "Finance approved the budget for the Cloud Gateway.",
        "Procurement said the order is late.",
        "The Ingress Controller manages traffic for the cluster.",
        "Add Reporting Service as a dependency of the portal.",
        "However, could you confirm the cut-over date?",
        "Finally, please restart the Cloud Gateway.",
        "Is the patch ready, Finance?",
        "Members: Finance, Procurement and Sales.",
        "She said the invoice was paid; they told us on Monday.",
        "The Purchase Order Manager and Controller sign every order.",
        "Release 4.2 approved on March 3, 2026 by the change board.",
        # firms named after people, in the sentence shapes that mark people
        "Hartley-Brooks approved the change request last week.",
        "Pemberton, Quayle and Marsh approved the budget.",
        "Please add Verhoeven as approver for the cost centre.",
        "Our partner Dwyer-Okafor will be presenting the roadmap.",
        "Minutes: Brackmann confirmed the scope of the rollout.",
        # places written with letters outside ASCII or with a particle
        "Our office in São Paulo handles billing for the region.",
        "The warehouse in Alcalá de Henares ships on Mondays.",
    ],
)
def test_business_words_in_person_shaped_sentences_are_not_people(detector: PiiDetector, text: str) -> None:
    assert _persons(detector, text) == set()


def test_months_weekdays_roles_and_cities_keep_their_type(detector: PiiDetector) -> None:
    text = ("Hi April,\n\nthe controller said the cut-over moves to Monday. "
            "Ship the hardware to Keizersgracht 123, 1015 CJ Amsterdam.")  # fmt: skip
    typed = _typed(detector, text)
    assert not {v for t, v in typed if t == "PERSON"} & {"April", "Monday", "Amsterdam", "Keizersgracht"}
    assert any(t == "LOCATION" and "Amsterdam" in v for t, v in typed)
