"""Names and bank codes told by layout rather than a cue word: a name alone in brackets, an initial
and a surname, a bank code written beside its IBAN or in a table row labelled with the code's name.
Adversarial negatives: bracketed labels, list labels ("A. Scope"), a letter after a capitalised word
("Appendix B."), upper-case words beside an IBAN-less line.

Real Presidio engine and spaCy model. Every sentence is written for these rules (no evaluation-set
text).
"""

from __future__ import annotations

import pytest

from guardrails.pii import PiiDetector
from tests.guardrails.pii_probe import contains as _covered
from tests.guardrails.pii_probe import overlaps as _flagged


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Owner [Ingrid Solberg]; due Friday.", "Ingrid Solberg"),
        ("Taken by (Kasia Nowak).", "Kasia Nowak"),
        ("Escalation owner [Bogdan]; deputy [K. Lindqvist].", "K. Lindqvist"),
        ("Present: Ruth, Amara, J. Okafor", "J. Okafor"),
        ("For the quote, contact H. Verbeek on the usual line.", "H. Verbeek"),
        ("Prepared by R. Castellanos.", "R. Castellanos"),
    ],
)
def test_names_in_brackets_and_initialled(detector: PiiDetector, text: str, name: str) -> None:
    assert _covered(detector, text, name, "PERSON")


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("Licences (SAP) and support (external) are billed (monthly).", "SAP"),
        ("Licences (SAP) and support (external) are billed (monthly).", "external"),
        ("Priority [High]; status [Open]; area [Billing].", "High"),
        ("Export the ledger (General Ledger Accounts) first.", "General Ledger"),
        # feature and setting names in brackets have a name's shape; the model does not read them as persons
        ("The setting (Auto Post) is off by default.", "Auto Post"),
        ("Version 2.1 (Beta Channel) ships in May.", "Beta Channel"),
        ("See Appendix B. Customers must countersign it.", "Customers"),
        ("B. Payment Terms\nInvoices are due in 30 days.", "Payment"),
        ("Run the job on node 3 A. Kernel logs are kept.", "Kernel"),
    ],
)
def test_bracketed_labels_and_list_letters_stay_text(detector: PiiDetector, text: str, phrase: str) -> None:
    assert not _flagged(detector, text, phrase, "PERSON")


@pytest.mark.parametrize(
    ("text", "code"),
    [
        # an account and its bank's code as a pair, a lower-case word after them
        ("Refunds go to DE89370400440532013000 / COBADEFFXXX from next month.", "COBADEFFXXX"),
        ("Payout account GB29NWBK60161331926819 / NWBKGB2L as agreed.", "NWBKGB2L"),
        # a change record's row labelled with the code's name: old and new code in their cells
        ("field | before | after\nswift | DEUTDEFF500 | COBADEFFXXX", "DEUTDEFF500"),
        ("field | before | after\nswift | DEUTDEFF500 | COBADEFFXXX", "COBADEFFXXX"),
        ("bic;old;new\nbic;INGBNL2A;RABONL2U", "RABONL2U"),
    ],
)
def test_bank_codes_beside_their_account_or_in_a_labelled_row(detector: PiiDetector, text: str, code: str) -> None:
    assert _covered(detector, text, code, "SWIFT_CODE")


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("STATUS | DELIVERED | INVOICED", "DELIVERED"),
        ("The team NOTIFIED customers about the SOFTWARE update.", "SOFTWARE"),
        ("field | before | after\nstatus | RECEIVED | APPROVED", "APPROVED"),
    ],
)
def test_upper_case_words_are_no_bank_codes(detector: PiiDetector, text: str, word: str) -> None:
    assert not _flagged(detector, text, word, "SWIFT_CODE")
