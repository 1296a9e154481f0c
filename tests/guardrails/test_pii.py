"""PII detection with the real Presidio engine and the offline spaCy model (no mocks)."""

from __future__ import annotations

import pytest

from guardrails.pii import (
    REDACTED_ENTITY_TYPES,
    PiiDetector,
    default_presidio_detector,
    get_detector,
    merge_spans,
)
from guardrails.spans import PiiSpan


@pytest.fixture(scope="session")
def detector() -> PiiDetector:
    # get_detector() is process-wide, so test_redaction.py shares the same loaded engine.
    return get_detector()


def _found(detector: PiiDetector, text: str, value: str, entity_type: str | None = None) -> bool:
    start = text.index(value)
    end = start + len(value)
    return any(
        s.start <= start and end <= s.end and (entity_type is None or s.entity_type == entity_type)
        for s in detector.detect(text)
    )


def test_redacted_types_cover_the_required_set() -> None:
    required = {
        "PERSON",
        "EMAIL_ADDRESS",
        "PHONE_NUMBER",
        "IBAN_CODE",
        "CREDIT_CARD",
        "US_SSN",
        "LOCATION",
        "IP_ADDRESS",
    }
    assert required <= REDACTED_ENTITY_TYPES


def test_unknown_entity_type_rejected() -> None:
    with pytest.raises(ValueError, match="unsupported"):
        PiiDetector(entities=["PERSON", "FAVOURITE_COLOUR"])


@pytest.mark.parametrize(
    "email",
    ["canary-7f3a91@partner-example.com", "pii.canary+ticket42@acme-erp.example.org", "Jane.O'Neil@example.co.uk"],
)
def test_detects_canary_style_emails(detector: PiiDetector, email: str) -> None:
    text = f"For escalations write to {email} before Friday."
    assert _found(detector, text, email, "EMAIL_ADDRESS")


@pytest.mark.parametrize(
    "phone",
    [
        "+49 30 901820",
        "+44 20 7946 0958",
        "+33 1 42 68 53 00",
        "+31 20 624 1111",
        "+48 22 621 16 04",
        "+34 915 23 37 00",
        "+39 06 6988 4857",
        "+55 11 3095 9000",
        "+1 212 736 5000",
    ],
)
def test_detects_international_phones(detector: PiiDetector, phone: str) -> None:
    text = f"Call the project lead on {phone} if the cut-over slips."
    assert _found(detector, text, phone, "PHONE_NUMBER")


@pytest.mark.parametrize(
    "iban",
    [
        "DE89 3704 0044 0532 0130 00",
        "GB29 NWBK 6016 1331 9268 19",
        "NL91 ABNA 0417 1643 00",
        "FR14 2004 1010 0505 0001 3M02 606",
        "DE89370400440532013000",
    ],
)
def test_detects_ibans(detector: PiiDetector, iban: str) -> None:
    text = f"Please refund the deposit to {iban} within 14 days."
    assert _found(detector, text, iban, "IBAN_CODE")


def test_iban_with_bad_checksum_is_not_an_iban(detector: PiiDetector) -> None:
    text = "Reference DE00 3704 0044 0532 0130 00 is malformed."
    assert not any(s.entity_type == "IBAN_CODE" for s in detector.detect(text))


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("The workshop was run by Zoë Brandão from the Lisbon office.", "Zoë Brandão"),
        ("Łukasz Wiśniewski approved the change request yesterday.", "Łukasz Wiśniewski"),
        ("My name is Krisztián Szöllösy and I need access to the portal.", "Krisztián Szöllösy"),
        ("Please add Irenke Sörös as a beneficiary to my account.", "Irenke Sörös"),
    ],
)
def test_detects_non_ascii_names(detector: PiiDetector, text: str, name: str) -> None:
    spans = detector.detect(text)
    start = text.index(name)
    covering = [s for s in spans if s.entity_type == "PERSON" and s.start <= start < s.end]
    assert covering, spans
    assert covering[0].end >= start + len(name)


@pytest.mark.parametrize(
    "card",
    [
        "4111 1111 1111 1111",  # Visa 16
        "4000000000000000006",  # Visa 19 digits
        "2221 0000 0000 0009",  # Mastercard 2-series
        "180000000000002",  # JCB 15 digits
        "501800000009",  # Maestro 12 digits
        "378282246310005",  # Amex
    ],
)
def test_detects_card_numbers_the_default_misses(detector: PiiDetector, card: str) -> None:
    text = f"The customer paid with card {card} last week."
    assert _found(detector, text, card, "CREDIT_CARD")


def test_luhn_invalid_number_is_not_a_card(detector: PiiDetector) -> None:
    text = "Order 4111 1111 1111 1112 was shipped."
    assert not any(s.entity_type == "CREDIT_CARD" for s in detector.detect(text))


def test_street_address_block(detector: PiiDetector) -> None:
    text = "Billing address: Sara Schwarz\n    28245 Puruntie 82 Apt. 595\n   LAPPEENRANTA\n    53650"
    spans = detector.detect(text)
    loc = [s for s in spans if s.entity_type == "LOCATION"]
    assert loc and loc[0].start <= text.index("28245") and loc[-1].end >= text.index("53650") + 5
    assert _found(detector, text, "Sara Schwarz", "PERSON")


def test_us_ssn_and_ip(detector: PiiDetector) -> None:
    text = "SSN 536-22-8726 logged in from 192.168.14.7 at noon."
    types = {s.entity_type for s in detector.detect(text)}
    assert {"US_SSN", "IP_ADDRESS"} <= types


@pytest.mark.parametrize(
    "text",
    [
        "The SLA guarantees 99.9% availability for the API gateway and a P1 response time of 30 minutes.",
        "Release 2024.2 moves the posting engine to the new ledger service; see section 4.3 for the upgrade.",
        "Incident tickets are closed automatically after 14 days without a customer reply.",
    ],
)
def test_no_detection_in_plain_technical_text(detector: PiiDetector, text: str) -> None:
    assert detector.detect(text) == []


def test_empty_and_whitespace(detector: PiiDetector) -> None:
    assert detector.detect("") == []
    assert detector.detect("   \n") == []
    assert detector.detect_batch(["", "Write to ops@example.com", "  "])[0] == []


def test_batch_matches_single(detector: PiiDetector) -> None:
    texts = [
        "Zoë Brandão called from +44 20 7946 0958.",
        "The SLA is 99.9%.",
        "",
        "Refund to NL91 ABNA 0417 1643 00, contact Łukasz Wiśniewski.",
    ]
    assert detector.detect_batch(texts, batch_size=2) == [detector.detect(t) for t in texts]


def test_spans_are_sorted_and_non_overlapping(detector: PiiDetector) -> None:
    text = (
        "Dear Mr. Jonas Keller, your card 4111 1111 1111 1111 and IBAN DE89 3704 0044 0532 0130 00 are on file; "
        "we will call +49 30 901820 or write to jonas.keller@example.de. Jonas Keller lives at 12 Baker Street."
    )
    spans = detector.detect(text)
    assert spans
    for a, b in zip(spans, spans[1:], strict=False):
        assert a.end <= b.start
    assert all(0 <= s.start < s.end <= len(text) for s in spans)
    # Both mentions of the person are found.
    persons = [text[s.start : s.end] for s in spans if s.entity_type == "PERSON"]
    assert sum("Jonas Keller" in p for p in persons) >= 2


def test_entity_subset(detector: PiiDetector) -> None:
    only_email = PiiDetector(entities=["EMAIL_ADDRESS"])
    text = "Zoë Brandão <zoe@example.pt>"
    assert {s.entity_type for s in only_email.detect(text)} == {"EMAIL_ADDRESS"}


def test_detectors_of_any_configuration_share_one_engine(detector: PiiDetector) -> None:
    """Allow-terms, entity subsets and thresholds never load a second spaCy pipeline."""
    configured = PiiDetector(entities=["PERSON"], score_threshold=0.6, allow_terms=["Northwind Ledger"])
    assert configured.analyzer is detector.analyzer
    # The shared engine still applies each detector's own settings around the call.
    text = "Northwind Ledger release notes. Contact Jane Roe at jane.roe@example.com."
    assert {s.entity_type for s in configured.detect(text)} == {"PERSON"}
    assert "EMAIL_ADDRESS" in {s.entity_type for s in detector.detect(text)}
    assert all(text[s.start : s.end] != "Northwind Ledger" for s in configured.detect(text))


def test_merge_spans_priority_and_adjacency() -> None:
    spans = [
        PiiSpan("PERSON", 0, 10, 0.85),
        PiiSpan("EMAIL_ADDRESS", 5, 20, 1.0),
        PiiSpan("LOCATION", 20, 25, 0.6),  # touching: merged, e-mail has priority
        PiiSpan("PERSON", 30, 35, 0.5),
    ]
    assert merge_spans(spans) == [PiiSpan("EMAIL_ADDRESS", 0, 25, 1.0), PiiSpan("PERSON", 30, 35, 0.5)]


def test_merge_keeps_longer_type_without_validated_identifier() -> None:
    # "224 4966" looks like a phone number but is part of a street address.
    spans = [PiiSpan("PHONE_NUMBER", 0, 8, 0.4), PiiSpan("LOCATION", 4, 20, 0.55)]
    assert merge_spans(spans) == [PiiSpan("LOCATION", 0, 20, 0.55)]


def test_timestamps_are_not_phone_numbers(detector: PiiDetector) -> None:
    text = "Date: 2003-08-28 12:13:52, call back requested by the customer."
    assert not [s for s in detector.detect(text) if s.entity_type == "PHONE_NUMBER"]


def test_merge_joins_address_lines() -> None:
    text = "12 Baker Street,\n London"
    spans = [PiiSpan("LOCATION", 0, 15, 0.6), PiiSpan("LOCATION", 18, 24, 0.85)]
    assert merge_spans(spans, text) == [PiiSpan("LOCATION", 0, 24, 0.85)]


def test_default_presidio_detector_runs_on_same_model() -> None:
    det = default_presidio_detector(["EMAIL_ADDRESS", "CREDIT_CARD"])
    text = "Mail ops@example.com, card 4000000000000000006."
    spans = det.detect(text)
    assert [s.entity_type for s in spans] == ["EMAIL_ADDRESS"]  # the 19-digit Visa is a known miss


@pytest.mark.parametrize(
    "text",
    [
        "Invoices are posted to General Ledger at month end and cleared with Accounts Payable.",
        "Open the report from Sales Order Processing and send it to Customer Service.",
    ],
)
def test_erp_module_names_are_not_persons(detector: PiiDetector, text: str) -> None:
    assert not [s for s in detector.detect(text) if s.entity_type == "PERSON"]


@pytest.mark.parametrize(
    "text,value",
    [
        ("Reach Zoë at zoe.brandao@quillon-erp.example for P1 calls.", "zoe.brandao@quillon-erp.example"),
        ("Escalate to ops-lead@intranet.local after 18:00.", "ops-lead@intranet.local"),
        ("Mail j.smith+erp@hawthorn-consulting.test today.", "j.smith+erp@hawthorn-consulting.test"),
    ],
)
def test_emails_on_reserved_or_internal_domains_are_detected(detector, text, value):
    start = text.index(value)
    spans = detector.detect(text)
    assert any(s.entity_type == "EMAIL_ADDRESS" and s.start <= start and s.end >= start + len(value) for s in spans)


@pytest.mark.parametrize(
    "text",
    [
        "Marlow Consulting GmbH delivers the Fenwick Foods AG rollout with its own staff.",
        "P2 incidents receive a response within 4 business hours; P3 within 2 days.",
        "This agreement is governed by the laws of England and Wales.",
        "Clause 14.2(b) caps liability at USD 250,000; see section 3.1.4 and ticket RITM0012345.",
        "Release 2025.3.1187 fixes INC0037564 and order 4500012345 dated 2025-03-14 for EUR 12,500.00.",
        "Approved by both parties, the reconciliation sheet is signed off.",
    ],
)
def test_business_mode_leaves_company_product_and_place_names(detector: PiiDetector, text: str) -> None:
    assert detector.business_documents
    assert detector.detect(text) == []


def test_business_mode_still_finds_people_and_their_later_mentions(detector: PiiDetector) -> None:
    text = "Escalate to Maeve Gallagher (maeve.g@birch.example). Gallagher approves P1 credits."
    spans = detector.detect(text)
    got = {(s.entity_type, text[s.start : s.end]) for s in spans}
    assert ("PERSON", "Maeve Gallagher") in got and ("EMAIL_ADDRESS", "maeve.g@birch.example") in got
    assert ("PERSON", "Gallagher") in got
    # a street address is still a location
    addr = "Ship to 28 Harbour Road, Dublin 2, Ireland."
    assert any(s.entity_type == "LOCATION" for s in detector.detect(addr))


# --- coverage of the identifier types (values are synthetic and checksum-valid) ---------------


@pytest.mark.parametrize(
    ("text", "value", "entity_type"),
    [
        ("Employee record: date of birth 14.03.1979, start date 2024-01-02.", "14.03.1979", "DATE_OF_BIRTH"),
        ("The guarantor, born on 3 August 1965, signs below.", "3 August 1965", "DATE_OF_BIRTH"),
        ("National insurance number AB 12 34 56 C is on file.", "AB 12 34 56 C", "NATIONAL_ID"),
        ("Steuer-ID 65929970489 fehlt in der Lohnabrechnung.", "65929970489", "NATIONAL_ID"),
        ("Numéro de sécurité sociale 2 55 08 14 168 025 38.", "2 55 08 14 168 025 38", "NATIONAL_ID"),
        ("Her BSN 111222333 was missing from the export.", "111222333", "NATIONAL_ID"),
        ("Aadhaar 2345 6789 0124 verified.", "2345 6789 0124", "NATIONAL_ID"),
        ("PAN ABCPE1234F was provided for the invoice.", "ABCPE1234F", "NATIONAL_ID"),
        ("DNI 12345678Z and NIE X1234567L were checked.", "12345678Z", "NATIONAL_ID"),
        ("Passport no. C01X00T47 was shown at the gate.", "C01X00T47", "PASSPORT"),
        ("Driving licence MORGA753116SM9IJ expires next year.", "MORGA753116SM9IJ", "DRIVER_LICENSE"),
        ("Pay to IBAN DE89 3704 0044 0532 0130 00 (BIC COBADEFFXXX).", "COBADEFFXXX", "SWIFT_CODE"),
        ("SSN 536-22-8726 was redacted.", "536-22-8726", "US_SSN"),
    ],
)
def test_identifier_types(detector: PiiDetector, text: str, value: str, entity_type: str) -> None:
    assert _found(detector, text, value, entity_type), detector.detect(text)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Send the contract to Jan Visser, Kerkstraat 12, 1017 GC Amsterdam.", "Kerkstraat 12, 1017 GC Amsterdam"),
        ("Lieferadresse: Hauptstraße 5, 10115 Berlin.", "Hauptstraße 5, 10115 Berlin"),
        ("Dirección: Calle Mayor 3, 28013 Madrid.", "Calle Mayor 3, 28013 Madrid"),
        ("Ship to 221 Elm Street, Springfield, IL 62704.", "221 Elm Street, Springfield, IL 62704"),
    ],
)
def test_postal_address_is_one_span(detector: PiiDetector, text: str, value: str) -> None:
    start = text.index(value)
    spans = [s for s in detector.detect(text) if s.entity_type == "LOCATION"]
    assert any(s.start <= start and s.end >= start + len(value) for s in spans), spans


@pytest.mark.parametrize(
    "text",
    [
        "Build 2024-06-30 and version 10.4.2.1887 shipped; see INC0037564 and CHG0012345.",
        "Order 4500012345 and document 20240630 were posted on 30.06.2024.",
        "Invoice INV-2024-00017 for EUR 1,234,567.00 is due under clause 7.2.1.",
        "Purchase order 123-4567-8901 was approved.",
    ],
)
def test_structured_business_values_are_not_personal_data(detector: PiiDetector, text: str) -> None:
    assert detector.detect(text) == []


def test_phone_needs_format_evidence(detector: PiiDetector) -> None:
    # An eight-digit string is "valid" in some regions, but with no prefix, grouping or cue it is a number.
    assert not [s for s in detector.detect("The batch moved 20240615 rows.") if s.entity_type == "PHONE_NUMBER"]
    assert _found(detector, "Call me on 0612345678 tomorrow.", "0612345678", "PHONE_NUMBER")


def test_titles_and_allow_list_keep_product_names(detector: PiiDetector) -> None:
    text = "Open Harper Nova and check the Harper Nova ledger before the upgrade."
    # Without context a two-word brand may look like a name; the corpus's titles say otherwise.
    spans = detector.detect(text, context=["Harper Nova Administration Guide"])
    assert not [s for s in spans if s.entity_type == "PERSON"]
    allow = PiiDetector(allow_terms=["Harper Nova"])
    assert not [s for s in allow.detect(text) if s.entity_type == "PERSON"]


def test_org_legal_form_is_not_a_person(detector: PiiDetector) -> None:
    text = "Thanks to Brandt Hoffmann GmbH & Co. KG for the pilot; Ana Ruiz (ana.ruiz@example.org) led it."
    got = {(s.entity_type, text[s.start : s.end]) for s in detector.detect(text)}
    assert ("PERSON", "Ana Ruiz") in got
    assert not any(t == "PERSON" and "Hoffmann" in v for t, v in got)


def test_text_over_spacy_max_length_is_windowed_quick(
    detector: PiiDetector, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same path at a smaller scale: spaCy's limit lowered, a text three windows long."""
    nlp = detector.analyzer.nlp_engine.nlp["en"]
    # The default window must stay under spaCy's real limit, or the full-size case below breaks.
    assert detector.window_chars < nlp.max_length
    monkeypatch.setattr(nlp, "max_length", 30_000)
    monkeypatch.setattr(detector, "window_chars", 20_000)
    filler = "The ledger was reconciled and the report was filed. " * 600  # ~31k characters each side
    text = filler + "Contact Jonas Keller at jonas.keller@example.de." + filler
    assert len(text) > nlp.max_length
    spans = detector.detect(text)
    email_at = text.index("jonas.keller@example.de")
    assert any(s.entity_type == "EMAIL_ADDRESS" and s.start == email_at for s in spans)
    assert any(s.entity_type == "PERSON" and text[s.start : s.end] == "Jonas Keller" for s in spans)
    assert all(0 <= s.start < s.end <= len(text) for s in spans)


@pytest.mark.slow
def test_text_over_spacy_max_length_is_windowed(detector: PiiDetector) -> None:
    filler = "The ledger was reconciled and the report was filed. " * 10_200  # ~0.53M characters each side
    text = filler + "Contact Jonas Keller at jonas.keller@example.de." + filler
    assert len(text) > 1_000_000
    spans = detector.detect(text)
    email_at = text.index("jonas.keller@example.de")
    assert any(s.entity_type == "EMAIL_ADDRESS" and s.start == email_at for s in spans)
    assert all(0 <= s.start < s.end <= len(text) for s in spans)


def test_windows_cover_text_and_overlap() -> None:
    from guardrails.pii.windowing import windows

    text = " ".join(f"w{i}" for i in range(5000))
    parts = windows(text, size=1000, overlap=100)
    assert parts[0][0] == 0 and parts[-1][0] + len(parts[-1][1]) == len(text)
    for (a, pa), (b, _) in zip(parts, parts[1:], strict=False):
        assert b < a + len(pa)  # consecutive windows overlap
        assert text[a : a + len(pa)] == pa


@pytest.mark.parametrize(
    "text,value",
    [
        ("Customer PAN: AB12345CDX on file.", "AB12345CDX"),
        ("The PAN field holds 1234AB5678 for the vendor.", "1234AB5678"),
        ("Vendor PAN ABCPD1234E is stored.", "ABCPD1234E"),
    ],
)
def test_indian_pan_values_are_national_ids(detector: PiiDetector, text: str, value: str) -> None:
    assert _found(detector, text, value, "NATIONAL_ID")


def test_pan_low_pattern_only_looks_inside_the_token(detector: PiiDetector) -> None:
    # Presidio's pattern looked ahead to the end of the line: a plain 10-letter word on a line with
    # a year (and the cue "pan") was taken for an identifier.
    text = "The pan of the project: processing starts in 2026 after approval."
    assert not detector.detect(text)
