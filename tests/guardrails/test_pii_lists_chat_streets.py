"""Names in comma lists, one-line chat and task sentences; Italian and Spanish street forms; bank codes
after a payment word; street spans that stop before a date; record labels that are no names.

Real Presidio engine and spaCy model. Every sentence is written for these rules (no evaluation-set
text); values are synthetic.
"""

from __future__ import annotations

import pytest

from guardrails.pii import PiiDetector
from tests.guardrails.pii_probe import overlaps as _covered
from tests.guardrails.pii_probe import overlaps as _flagged


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("Attendees: Ana, Piotr, Hollis.", ["Ana", "Piotr", "Hollis"]),  # no "and" before the last item
        ("Participants: Ana Kowalski, Piotr Nowak, Hollis Grant\nAgenda: cut-over", ["Ana Kowalski", "Hollis Grant"]),
        ("Apologies: Marta, Jonas", ["Marta", "Jonas"]),
    ],
)
def test_people_lists_without_and(detector: PiiDetector, text: str, names: list[str]) -> None:
    for name in names:
        assert _covered(detector, text, name, "PERSON"), (name, detector.detect(text))


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Piotr: I'll send it after lunch", "Piotr"),  # one chat line spoken in the first person
        ("Hollis: I’m on the bridge call now", "Hollis"),
        ("Ana will own the cutover", "Ana"),  # one given name before a modal and a task verb
        ("Notes from Monday. Ravi should chase the vendor for the keys.", "Ravi"),
    ],
)
def test_chat_lines_and_task_sentences(detector: PiiDetector, text: str, name: str) -> None:
    assert _covered(detector, text, name, "PERSON"), detector.detect(text)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Status: I think it is fixed", "Status"),  # a field whose value speaks is still a field
        ("- Right to work: verified", "Right"),  # a label before a colon is not a name
        ("Onboarding checklist:\n- Payroll setup: pending\n- Right to work: verified", "Right"),
        ("Attendees: Finance, Legal, Procurement.", "Finance"),  # departments are no people
    ],
)
def test_labels_and_departments_stay_unflagged(detector: PiiDetector, text: str, value: str) -> None:
    assert not _flagged(detector, text, value), detector.detect(text)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Indirizzo: via Garibaldi 7, Milano", "via Garibaldi 7, Milano"),  # lower-case Italian prefix
        ("Dirección de envío: calle de Alcalá 45, Madrid.", "calle de Alcalá 45, Madrid"),
    ],
)
def test_prefix_streets_with_number_and_city(detector: PiiDetector, text: str, value: str) -> None:
    start = text.index(value)
    spans = [s for s in detector.detect(text) if s.entity_type == "LOCATION"]
    # street, number and city in one span
    assert any(s.start <= start and start + len(value) <= s.end for s in spans), spans


@pytest.mark.parametrize(
    "text",
    ["The upgrade went via SAP 4, Release train B.", "We met via Teams 3, then again on Friday."],
)
def test_prefix_word_as_preposition_is_no_street(detector: PiiDetector, text: str) -> None:
    assert not [s for s in detector.detect(text) if s.entity_type == "LOCATION"], detector.detect(text)


def test_street_span_stops_before_a_date(detector: PiiDetector) -> None:
    text = "Passport sent to 12 Main Street on 2024-05-01"
    spans = [s for s in detector.detect(text) if s.entity_type == "LOCATION"]
    assert spans and all(s.end <= text.index(" on 2024") for s in spans), spans


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Please send the remittance INGBNL2A today", "INGBNL2A"),
        ("Refund paid to BNPAFRPPXXX yesterday.", "BNPAFRPPXXX"),
        ("Wire to NWBKGB2L for the March invoice", "NWBKGB2L"),
    ],
)
def test_bank_code_after_payment_word(detector: PiiDetector, text: str, value: str) -> None:
    assert _covered(detector, text, value, "SWIFT_CODE"), detector.detect(text)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("remittance ABCDXX2A", "ABCDXX2A"),  # XX is no ISO country: no bank code
        ("Payment REVERSED.", "REVERSED"),  # an upper-case word with a country-like part
        ("Transfer PLATFORM2 is the new integration.", "PLATFORM2"),
    ],
)
def test_codes_without_bank_structure_after_payment_word(detector: PiiDetector, text: str, value: str) -> None:
    assert not _flagged(detector, text, value), detector.detect(text)


def test_address_starts_after_its_label_and_the_sentence_before(detector: PiiDetector) -> None:
    text = "Onboarding: DOB 14/07/1994. Passport no. K1234567. Address: Rue des Lilas 4, 75011 Paris."
    spans = detector.detect(text)
    assert _covered(detector, text, "K1234567", "PASSPORT"), spans  # not swallowed by the address
    loc = [s for s in spans if s.entity_type == "LOCATION"]
    assert loc and all(s.start >= text.index("Rue des") for s in loc), loc


@pytest.mark.parametrize(
    "text",
    ["Nimbus will draft the release notes automatically.", "Relay will send the reminder at noon."],
)
def test_product_before_modal_and_system_verb_is_no_person(detector: PiiDetector, text: str) -> None:
    assert not [s for s in detector.detect(text) if s.entity_type == "PERSON"], detector.detect(text)
