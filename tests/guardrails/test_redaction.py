"""Redaction: placeholders, overlaps, clipping, reveal sets, index masks and the YAML policy."""

from __future__ import annotations

from pathlib import Path

import pytest

from guardrails.pii import PiiDetector, get_detector
from guardrails.redaction import (
    DEFAULT_POLICY_PATH,
    PlaceholderMap,
    RedactionPolicy,
    mask_for_index,
    redact,
    redact_question,
)
from guardrails.spans import PiiSpan


def _span(text: str, value: str, entity_type: str, occurrence: int = 0) -> PiiSpan:
    start = -1
    for _ in range(occurrence + 1):
        start = text.index(value, start + 1)
    return PiiSpan(entity_type, start, start + len(value), 0.9)


@pytest.fixture(scope="session")
def detector() -> PiiDetector:
    return get_detector()


# --- placeholders ------------------------------------------------------------------------------


def test_same_person_twice_gets_same_placeholder() -> None:
    text = "Zoë Brandão opened the ticket. Later zoë  brandão closed it."
    spans = [_span(text, "Zoë Brandão", "PERSON"), _span(text, "zoë  brandão", "PERSON")]
    assert redact(text, spans) == "<PERSON_1> opened the ticket. Later <PERSON_1> closed it."


def test_two_persons_get_numbered_placeholders() -> None:
    text = "Anna Berg handed over to Łukasz Wiśniewski; Anna Berg stays on call."
    spans = [
        _span(text, "Anna Berg", "PERSON"),
        _span(text, "Łukasz Wiśniewski", "PERSON"),
        _span(text, "Anna Berg", "PERSON", 1),
    ]
    assert redact(text, spans) == "<PERSON_1> handed over to <PERSON_2>; <PERSON_1> stays on call."


def test_placeholder_map_shared_across_parts_of_one_response() -> None:
    pmap = PlaceholderMap()
    answer = "Contact Jan de Vries."
    snippet = "Owner: Eva Lind. Backup: Jan de Vries."
    a = redact(answer, [_span(answer, "Jan de Vries", "PERSON")], placeholders=pmap)
    s = redact(
        snippet,
        [_span(snippet, "Eva Lind", "PERSON"), _span(snippet, "Jan de Vries", "PERSON")],
        placeholders=pmap,
    )
    assert a == "Contact <PERSON_1>."
    assert s == "Owner: <PERSON_2>. Backup: <PERSON_1>."
    assert len(pmap) == 2


def test_numbering_is_per_type() -> None:
    text = "Eva Lind, eva@example.com, Jan Berg, jan@example.com"
    spans = [
        _span(text, "Eva Lind", "PERSON"),
        _span(text, "eva@example.com", "EMAIL_ADDRESS"),
        _span(text, "Jan Berg", "PERSON"),
        _span(text, "jan@example.com", "EMAIL_ADDRESS"),
    ]
    assert redact(text, spans) == "<PERSON_1>, <EMAIL_ADDRESS_1>, <PERSON_2>, <EMAIL_ADDRESS_2>"


# --- overlaps, boundaries, clipping --------------------------------------------------------------


def test_overlapping_spans_replaced_once() -> None:
    text = "Mail jane.doe@example.com now"
    spans = [PiiSpan("PERSON", 5, 13, 0.85), PiiSpan("EMAIL_ADDRESS", 5, 25, 1.0), PiiSpan("PERSON", 10, 13, 0.4)]
    out = redact(text, spans)
    # The union is replaced once, typed after the span that starts first (the longer one on ties).
    assert out == "Mail <EMAIL_ADDRESS_1> now"
    assert "jane" not in out and "example" not in out


def test_nested_and_unsorted_spans() -> None:
    text = "abc SECRET-PART def"
    spans = [PiiSpan("LOCATION", 4, 15, 0.5), PiiSpan("PERSON", 7, 10, 0.9)][::-1]
    assert redact(text, spans) == "abc <LOCATION_1> def"


def test_spans_at_text_boundaries() -> None:
    text = "Anna Berg wrote to Eva Lind"
    spans = [_span(text, "Anna Berg", "PERSON"), _span(text, "Eva Lind", "PERSON")]
    assert spans[0].start == 0 and spans[1].end == len(text)
    assert redact(text, spans) == "<PERSON_1> wrote to <PERSON_2>"


def test_out_of_range_spans_are_clipped() -> None:
    # A span computed on the whole document, applied to a chunk that cuts it.
    text = "Berg signed the order"
    spans = [PiiSpan("PERSON", -5, 4, 0.9), PiiSpan("PERSON", 16, 40, 0.9), PiiSpan("PERSON", 50, 60, 0.9)]
    assert redact(text, spans) == "<PERSON_1> signed the <PERSON_2>"
    assert mask_for_index(text, spans) == "<PERSON> signed the <PERSON>"


def test_empty_and_degenerate_spans() -> None:
    assert redact("", [PiiSpan("PERSON", 0, 3, 0.9)]) == ""
    assert redact("nothing here", []) == "nothing here"
    assert redact("abc", [PiiSpan("PERSON", 2, 2, 0.9), PiiSpan("PERSON", 3, 1, 0.9)]) == "abc"


def test_non_ascii_offsets() -> None:
    text = "Grüße von Łukasz Wiśniewski 👋 aus Kraków, tel. +48 22 621 16 04."
    spans = [
        _span(text, "Łukasz Wiśniewski", "PERSON"),
        _span(text, "Kraków", "LOCATION"),
        _span(text, "+48 22 621 16 04", "PHONE_NUMBER"),
    ]
    assert redact(text, spans) == "Grüße von <PERSON_1> 👋 aus <LOCATION_1>, tel. <PHONE_NUMBER_1>."


# --- reveal -------------------------------------------------------------------------------------


def test_reveal_set_keeps_revealed_types() -> None:
    text = "Eva Lind <eva@example.com> +44 20 7946 0958"
    spans = [
        _span(text, "Eva Lind", "PERSON"),
        _span(text, "eva@example.com", "EMAIL_ADDRESS"),
        _span(text, "+44 20 7946 0958", "PHONE_NUMBER"),
    ]
    assert redact(text, spans, reveal=frozenset({"PERSON", "EMAIL_ADDRESS"})) == (
        "Eva Lind <eva@example.com> <PHONE_NUMBER_1>"
    )
    assert redact(text, spans) == "<PERSON_1> <<EMAIL_ADDRESS_1>> <PHONE_NUMBER_1>"


def test_reveal_fails_closed_on_overlap() -> None:
    # A revealed span overlapping a hidden one must not uncover the hidden part.
    text = "Call Eva at +44 20 7946 0958"
    spans = [PiiSpan("PERSON", 5, 20, 0.5), PiiSpan("PHONE_NUMBER", 12, 28, 0.9)]
    out = redact(text, spans, reveal=frozenset({"PERSON"}))
    assert "7946" not in out and out.endswith("<PHONE_NUMBER_1>")


# --- mask_for_index ------------------------------------------------------------------------------


def test_mask_for_index_is_deterministic_and_unnumbered() -> None:
    text = "Anna Berg and Eva Lind met at 12 Baker Street."
    spans = [
        _span(text, "Anna Berg", "PERSON"),
        _span(text, "Eva Lind", "PERSON"),
        _span(text, "12 Baker Street", "LOCATION"),
    ]
    first = mask_for_index(text, spans)
    assert first == "<PERSON> and <PERSON> met at <LOCATION>."
    assert mask_for_index(text, list(reversed(spans))) == first
    assert mask_for_index(text, spans) == first


def test_mask_for_index_with_real_detector(detector: PiiDetector) -> None:
    text = "Escalate to Zoë Brandão (zoe.brandao@example.pt, +351 21 123 4567)."
    a = mask_for_index(text, detector.detect(text))
    b = mask_for_index(text, detector.detect(text))
    assert a == b
    assert "Zoë" not in a and "zoe.brandao" not in a and "4567" not in a
    assert "<EMAIL_ADDRESS>" in a


# --- questions ----------------------------------------------------------------------------------


def test_redact_question(detector: PiiDetector) -> None:
    q = "Why was the refund to DE89 3704 0044 0532 0130 00 for Łukasz Wiśniewski rejected?"
    out = redact_question(q, detector)
    assert "DE89" not in out and "Łukasz" not in out and "Wiśniewski" not in out
    assert "<IBAN_CODE_1>" in out and "<PERSON_1>" in out
    assert out.startswith("Why was the refund to") and out.endswith("rejected?")


def test_redact_question_leaves_plain_question_alone(detector: PiiDetector) -> None:
    q = "What is the notice period for terminating the support SLA?"
    assert redact_question(q, detector) == q


# --- policy -------------------------------------------------------------------------------------


def test_default_policy_reveals_nothing() -> None:
    pol = RedactionPolicy.default()
    for level in ("public", "partner", "internal", "restricted"):
        assert pol.revealed_types(level, ["privacy_officer", "admin"]) == frozenset()


def test_example_policy_file() -> None:
    pol = RedactionPolicy.from_yaml(DEFAULT_POLICY_PATH)
    assert pol.revealed_types("restricted", ["privacy_officer"]) == {"PERSON", "EMAIL_ADDRESS"}
    assert pol.revealed_types("internal", ["privacy_officer"]) == frozenset()
    assert pol.revealed_types("restricted", ["consultant"]) == frozenset()
    assert pol.revealed_types("internal", ["support_lead"]) == {"PHONE_NUMBER"}
    assert pol.revealed_types("restricted", ["support_lead", "privacy_officer"]) == {
        "PERSON",
        "EMAIL_ADDRESS",
        "PHONE_NUMBER",
    }
    assert pol.revealed_types("partner", ["support_lead"]) == frozenset()


def test_policy_from_string_and_path(tmp_path: Path) -> None:
    src = """
reveal:
  - entity_types: [phone_number]
    min_level: Internal
  - entity_types: [LOCATION]
    roles: [logistics]
"""
    pol = RedactionPolicy.from_yaml(src)
    assert pol.revealed_types("internal", []) == {"PHONE_NUMBER"}
    assert pol.revealed_types("restricted", []) == {"PHONE_NUMBER"}
    assert pol.revealed_types("partner", []) == frozenset()
    assert pol.revealed_types("public", ["logistics"]) == {"LOCATION"}
    p = tmp_path / "policy.yaml"
    p.write_text(src, encoding="utf-8")
    assert RedactionPolicy.from_yaml(p) == pol
    assert RedactionPolicy.from_yaml(str(p)) == pol


def test_empty_policy_is_default() -> None:
    assert RedactionPolicy.from_yaml("") == RedactionPolicy.default()
    assert RedactionPolicy.from_yaml("reveal: []") == RedactionPolicy.default()


@pytest.mark.parametrize(
    ("src", "message"),
    [
        ("reveal: [entity_types: [PERSON", "not valid YAML"),
        ("- just\n- a list\n", "must be a mapping"),
        ("reveal: {entity_types: [PERSON]}", "must be a list"),
        ("reveal:\n  - entity_types: [PERSON]\n", "needs 'min_level' and/or 'roles'"),
        ("reveal:\n  - entity_types: []\n    roles: [x]\n", "non-empty list"),
        ("reveal:\n  - entity_types: PERSON\n    roles: [x]\n", "non-empty list"),
        ("reveal:\n  - entity_types: [PERSON]\n    min_level: secret\n", "unknown access level"),
        ("reveal:\n  - entity_types: [PERSON]\n    roles: admin\n", "'roles' must be a list"),
        ("reveal:\n  - entity_types: [PERSON]\n    role: [admin]\n", "unknown keys"),
        ("reveals: []", "unknown keys"),
    ],
)
def test_policy_errors_are_clear(src: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        RedactionPolicy.from_yaml(src)


def test_missing_policy_file(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="cannot read"):
        RedactionPolicy.from_yaml(tmp_path / "missing.yaml")


def test_unknown_level_rejected_at_lookup() -> None:
    with pytest.raises(ValueError, match="unknown access level"):
        RedactionPolicy.default().revealed_types("top-secret", [])


def test_policy_drives_redaction(detector: PiiDetector) -> None:
    pol = RedactionPolicy.from_yaml(DEFAULT_POLICY_PATH)
    text = "Data-subject request from Zoë Brandão, zoe.brandao@example.pt, phone +44 20 7946 0958."
    spans = detector.detect(text)
    officer = redact(text, spans, reveal=pol.revealed_types("restricted", ["privacy_officer"]))
    consultant = redact(text, spans, reveal=pol.revealed_types("partner", ["consultant"]))
    assert "Zoë Brandão" in officer and "zoe.brandao@example.pt" in officer and "7946" not in officer
    assert "Zoë" not in consultant and "zoe.brandao" not in consultant and "7946" not in consultant
