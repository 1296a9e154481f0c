"""Values next to their label's qualifier or in brackets: a cue with a bracketed qualifier before its
value ("document number (passport): X"), a document's name in brackets, which is a label and never a
person's name, a bank's code in brackets after the bank's name, a second phone number introduced by the
kind of its line ("mobile X, office Y"). Adversarial negatives beside them: upper-case words in brackets in
bank prose, line kinds before words that are no numbers.

Real Presidio engine and spaCy model; every sentence is written for these rules (no evaluation-set text).
"""

from __future__ import annotations

import pytest

from guardrails.pii import PiiDetector
from tests.guardrails.pii_probe import contains as _covered
from tests.guardrails.pii_probe import overlaps as _flagged


@pytest.mark.parametrize(
    ("text", "value", "entity_type"),
    [
        ("identity document number (passport): 812865707", "812865707", "PASSPORT"),
        ("Document number (driving licence): DL4471KX09.", "DL4471KX09", "DRIVER_LICENSE"),
        ("Bank: ING (INGBNL2A), IBAN NL91 ABNA 0417 1643 00.", "INGBNL2A", "SWIFT_CODE"),
        ("The supplier banks with Barclays (BARCGB22).", "BARCGB22", "SWIFT_CODE"),
        # a bank's code in brackets, prose after it
        ("Pay to Deutsche Bank (DEUTDEFF) via SEPA.", "DEUTDEFF", "SWIFT_CODE"),
        ("The beneficiary bank (COBADEFFXXX) confirmed receipt.", "COBADEFFXXX", "SWIFT_CODE"),
        ("Mobile 0612345678, office 010-1234567.", "010-1234567", "PHONE_NUMBER"),
        ("Reach Piet on +31 6 1234 5678 or home line 020-6123456.", "020-6123456", "PHONE_NUMBER"),
        # the whole number is masked: the area code's opening bracket, an extension
        ("Phone: (02199) 35181", "(02199) 35181", "PHONE_NUMBER"),
        ("Call me on 962.952.7601x89555 tomorrow.", "962.952.7601x89555", "PHONE_NUMBER"),
        ("Desk: +1 212 555 0147 ext. 23 (mornings).", "+1 212 555 0147 ext. 23", "PHONE_NUMBER"),
    ],
)
def test_values_after_qualifiers_and_in_brackets(detector: PiiDetector, text: str, value: str,
                                                 entity_type: str) -> None:  # fmt: skip
    assert _covered(detector, text, value, entity_type)


@pytest.mark.parametrize(
    ("text", "phrase", "entity_type"),
    [
        # a document's name in brackets before a colon is the value's label
        ("Travel document (passport): K00080636.", "passport", "PERSON"),
        ("identity document number (passport): 812865707", "passport", "PERSON"),
        ("Proof of address (iban): attached separately.", "iban", "PERSON"),
        # an upper-case word in brackets in a line about banking software, not about a bank
        ("The banking module (BANKCOMM) exports MT940 files.", "BANKCOMM", "SWIFT_CODE"),
        # an "x" that opens a word after a number is no extension
        ("Call 020 7946 0958 for the x-ray results.", "x-ray", "PHONE_NUMBER"),
        # a line kind before something that is no phone number
        ("Call Ana on 0612345678, office hours 9-17, order 4500123456.", "4500123456", "PHONE_NUMBER"),
        ("Mobile 0612345678; office move planned for 2026-05-01.", "2026-05-01", None),
    ],
)
def test_labels_and_prose_stay_text(detector: PiiDetector, text: str, phrase: str, entity_type: str | None) -> None:
    assert not _flagged(detector, text, phrase, entity_type)
