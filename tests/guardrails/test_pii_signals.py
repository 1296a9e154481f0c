"""The general precision signals of the PII detector, each with the case it must still catch.

Real Presidio engine and spaCy model; texts are written for these rules (no evaluation-set text).
"""

from __future__ import annotations

import pytest

from guardrails.pii import PiiDetector, get_detector
from guardrails.pii.postprocess import TextFacts
from guardrails.pii.recognizers.contact import WEAK_PHONE_SCORE, phone_score


@pytest.fixture(scope="module")
def detector() -> PiiDetector:
    return get_detector()


def _typed(detector: PiiDetector, text: str, context: list[str] | None = None) -> set[tuple[str, str]]:
    return {(s.entity_type, text[s.start : s.end]) for s in detector.detect(text, context=context)}


def _persons(detector: PiiDetector, text: str, context: list[str] | None = None) -> set[str]:
    return {v for t, v in _typed(detector, text, context) if t == "PERSON"}


# -- UI words and procedure steps in product documentation ------------------------------------------

GUIDE = """Creating a role

1. Click Create Role and define a name for the role.
2. Select Add Member, then click Save.
3. Click View to open the role. Create a second role in the same way.

To install the plugin, click Install on the plugin page. After you install the plugin, you can
view it, load it again or create another one; click Create whenever you need one.
Contact Ana Ruiz (ana.ruiz@example.org) if the install fails.
"""


def test_ui_words_in_procedure_steps_are_not_people(detector: PiiDetector) -> None:
    persons = _persons(detector, GUIDE, context=["Creating a role"])
    assert not persons & {"Click", "Create", "Create Role", "Click Create Role", "Add Member", "Save", "View",
                          "Click View", "Install", "Select"}  # fmt: skip
    # The one real person of the guide is still found.
    assert "Ana Ruiz" in persons


def test_words_the_text_writes_in_lower_case_are_common_words(detector: PiiDetector) -> None:
    text = (
        "The Ingress Controller routes traffic. Deploy the ingress controller before the portal; "
        "the controller needs the ingress class."
    )
    assert _persons(detector, text) == set()


def test_a_name_in_an_email_address_does_not_make_it_a_common_word() -> None:
    facts = TextFacts.of("Write to anna.ruiz@example.org or see https://example.org/ruiz/profile today.")
    assert "anna" not in facts.lower_words and "ruiz" not in facts.lower_words
    assert "today" in facts.lower_words


def test_name_after_add_is_still_a_person(detector: PiiDetector) -> None:
    # "add" opens procedure steps, but what follows it here is a person, not a UI element.
    assert "Andrea Ólafsdóttir" in _persons(detector, "I want to add Andrea Ólafsdóttir as a beneficiary.")


def test_heading_words_are_not_people_unless_a_strong_cue_says_so(detector: PiiDetector) -> None:
    headings = ["Enabling user authentication with Microsoft Azure", "Orchestrator compatibility"]
    text = "Sign-in works with Microsoft Azure\n\nThe guide for Orchestrator lists the versions."
    assert _persons(detector, text, context=headings) == set()
    # A strong cue (role label, salutation) keeps a name even when a heading holds it.
    assert "Priya Nair" in _persons(detector, "Dear Priya Nair,\nthe upgrade is done.", context=["Priya Nair"])


def test_field_label_after_a_name_cue_is_not_a_name(detector: PiiDetector) -> None:
    text = "The table shows:\n\nName: Name of the plugin\n\nKind: Type of the entity"
    assert _persons(detector, text) == set()


def test_cue_inside_a_longer_word_is_no_cue(detector: PiiDetector) -> None:
    text = "secretRef:\n  userKey: POSTGRES_USER\n  userAgent: Mozilla"
    assert _persons(detector, text) == set()


# -- organisations named after people -----------------------------------------------------------------


@pytest.mark.parametrize(
    "text, org",
    [
        ("Please check the invoice before replying to Ford, Smith and Lane.", "Ford"),
        ("The audit was done by Kowalczyk i syn s.c. last year.", "Kowalczyk"),
        ("Approved by Hervás y Perales S.L. after review.", "Hervás"),
        ("Escalated to Florentina Gil Cortés S.Com. yesterday.", "Florentina Gil Cortés"),
        ("Thanks to Keer Group for the quick turnaround.", "Keer"),
    ],
)
def test_firms_named_after_people_are_organisations(detector: PiiDetector, text: str, org: str) -> None:
    assert not any(org in p or p in org for p in _persons(detector, text))


def test_people_listed_with_full_names_are_still_people(detector: PiiDetector) -> None:
    persons = _persons(detector, "Attendees were Ana Ruiz, Jan de Vries and Priya Nair.")
    assert {"Ana Ruiz", "Priya Nair"} <= persons


def test_a_surname_list_followed_by_a_full_name_is_not_a_firm(detector: PiiDetector) -> None:
    text = "Key users sign off in the workshop; if Samuel is unavailable, Amanda Gamble approves."
    assert "Samuel" in _persons(detector, text)


# -- names with their personal details -----------------------------------------------------------------


@pytest.mark.parametrize(
    "text, name",
    [
        ("Background check completed for Curtis Rivera (national identifier on file).", "Curtis Rivera"),
        ("The guarantor, Hedda Siering, born 06.03.1971, accepts the clause.", "Hedda Siering"),
        ("Please reach Primitivo Menendez-Gomez at alondra@example.net about the run.", "Primitivo Menendez-Gomez"),
        ("If Margaud is unavailable, the deputy approves the transport.", "Margaud"),
    ],
)
def test_names_next_to_their_personal_details(detector: PiiDetector, text: str, name: str) -> None:
    assert name in _persons(detector, text)


def test_birth_cue_does_not_cut_a_name_in_a_title(detector: PiiDetector) -> None:
    # "ne" at the end of "Heyne" is no "née".
    text = "Maartje Heyne Implementation Playbook\n\nRun the reconciliation report."
    assert not _persons(detector, text, context=["Maartje Heyne Implementation Playbook"])


# -- numbers: phones need evidence beyond their shape ---------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Invoice 341-6858-7831 over EUR 4,000 is disputed.",  # Italian mobile grouping, but hyphens
        "Posting 04848472615 was reversed yesterday.",  # a trunk 0 and a valid length, nothing else
        "Reference 006-6692-7118 belongs to phase two.",  # 00 would split a country code
        "Contact Anna Ruiz about 741-7559-3184.",  # the number is the topic, not the way to reach her
        "Call me on 0612 345 678. Budget line 4512263552 is unchanged.",  # the cue is one sentence back
    ],
)
def test_order_numbers_with_phone_shapes_are_not_phones(detector: PiiDetector, text: str) -> None:
    phones = {v for t, v in _typed(detector, text) if t == "PHONE_NUMBER"}
    assert not phones - {"0612 345 678"}


@pytest.mark.parametrize(
    "text, phone",
    [
        ("Caller Michael Hart (387-742-5211) reports a blocked login.", "387-742-5211"),
        ("Please reach Yatan Bath at yatan@example.net or 3161626077 about payroll.", "3161626077"),
        ("Personal Info:\nPhone:\n60-56-85-91\n", "60-56-85-91"),
        ("Head office 07700 063 966-Fax", "07700 063 966"),
        ("Call me on 0612 345 678. Budget line 4512263552 is unchanged.", "0612 345 678"),
        ("Call her after 4 pm on 020 7946 0958.", "020 7946 0958"),
        ("Dial 0044 20 7946 0958 from abroad.", "0044 20 7946 0958"),
    ],
)
def test_phones_with_evidence_are_found(detector: PiiDetector, text: str, phone: str) -> None:
    assert ("PHONE_NUMBER", phone) in _typed(detector, text)


def test_shape_only_phone_scores_weak() -> None:
    assert phone_score("04848472615", "Posting ") == WEAK_PHONE_SCORE
    assert phone_score("04848472615", "Mobile: ") > WEAK_PHONE_SCORE
    assert phone_score("006-6692-7118", "Reference ") == 0.0


# -- identifiers need their cue right before them -------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "The employee id field shows SO 277238274 for the test user.",
        "The identity card scan for case SO 620210345 is missing.",
        "Social security costs rose; reference 123456789 is pending.",
    ],
)
def test_numbers_far_from_an_id_cue_are_not_identifiers(detector: PiiDetector, text: str) -> None:
    assert not {t for t, _ in _typed(detector, text)} & {"NATIONAL_ID", "US_SSN"}


def test_id_cue_right_before_its_value_still_counts(detector: PiiDetector) -> None:
    assert ("NATIONAL_ID", "111222333") in _typed(detector, "Employee BSN: 111222333, order 4500012345.")
    assert ("US_SSN", "536-22-1234") in _typed(detector, "SSN 536-22-1234 on file.")
    assert ("US_SSN", "536221234") in _typed(detector, "Her SSN: 536221234, order 4500012345.")
