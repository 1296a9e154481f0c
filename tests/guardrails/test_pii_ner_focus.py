"""The entity model reads only sentences that could hold a name (``guardrails.pii.ner_focus``).

Real spaCy model and Presidio engine. Every sentence is written for these rules (no evaluation-set
text).
"""

from __future__ import annotations

import pytest

from guardrails.pii import PiiDetector, ner_focus
from guardrails.pii.ner_focus import MARGIN_WORDS, focus_text, may_hold_a_name, term_words


def _blank(text: str) -> bool:
    return not text.strip()


@pytest.mark.parametrize(
    "sentence",
    [
        "Priya will send the export tomorrow.",  # a given name opening the sentence
        "The export goes to Okonkwo before noon.",  # any capitalised word inside it
        "Attendees: Belinda, Kent and the vendor.",
        "Signed on behalf of the supplier: JOHN HARTLEY",  # a name in capitals
        "Zbigniew approved the change.",  # no English word
        "Forward the invoice to McDonald.",  # a capital inside after a surname's prefix
        "The form goes to Smith-McDonald and Okafor.",
        "Ask JoAnn for the key.",  # a given name with a capital inside
        "Update the ConfigMap and tell Okafor.",  # an identifier beside a name
    ],
)
def test_a_sentence_that_may_name_someone_is_read(sentence: str) -> None:
    assert may_hold_a_name(sentence)


@pytest.mark.parametrize(
    "sentence",
    [
        "Enter the value and save the form.",  # an opening common word
        "Returns the list of jobs.",  # an inflected one
        "Specifies the target folder.",
        "Note: The job runs every night.",  # opening a field
        "- Select the target folder.",  # opening a list item
        "Set the API URL in the RBAC policy.",  # acronyms
        "the export runs at 02:00 on 2026-03-01.",
        "Edit the ConfigMap of the LedgerSync operator.",  # identifiers in camel case
        "kind: CatalogSource",
    ],
)
def test_a_sentence_with_no_name_candidate_is_not_read(sentence: str) -> None:
    assert not may_hold_a_name(sentence)


def test_the_documents_own_subject_is_no_candidate_but_a_common_given_name_in_a_heading_is() -> None:
    terms = term_words(["Northwind Ledger administration guide", "Onboarding with Priya"])
    assert may_hold_a_name("Open the Northwind Ledger console.")
    assert not may_hold_a_name("Open the Northwind Ledger console.", terms)
    assert may_hold_a_name("Ask Priya for access.", terms)


def test_focus_blanks_unread_sentences_and_keeps_offsets_newlines_and_margins() -> None:
    plain = "The job runs every night and writes one file per ledger entry to the shared folder."
    text = f"{plain} {plain}\n\nMaria Kowalczyk owns the job. {plain}"
    out = focus_text(text)
    assert len(out) == len(text) and out.count("\n") == 2
    name_at = text.index("Maria")
    assert out[name_at : name_at + 29] == "Maria Kowalczyk owns the job."
    # the first sentence is blanked; the words either side of the read one are kept (across the
    # blank line), so the model sees the same neighbours as in the whole text
    assert _blank(out[: len(plain)])
    before = out[:name_at].split()
    after = out[name_at + 29 :].split()
    assert before == text[:name_at].split()[-MARGIN_WORDS:]
    assert after == text[name_at + 29 :].split()[:MARGIN_WORDS]
    assert focus_text(plain) == " " * len(plain)


@pytest.mark.parametrize("text", ["J. Smith will send the agenda.", "Please ask Dr. Baker for the key."])
def test_an_initial_or_title_before_a_full_stop_does_not_end_the_sentence(text: str) -> None:
    # "Smith" and "Baker" are English words: opening a sentence of their own they would not be read
    assert focus_text(text) == text


def test_a_text_made_only_of_candidates_is_read_whole() -> None:
    text = "Maria Kowalczyk owns the job. Okonkwo reviews it."
    assert focus_text(text) is text


_TEXTS = [
    # names among many sentences the model is not given
    "The job runs every night. It writes one file per ledger entry. The folder is shared.\n\n"
    "Escalate failures to Maria Kowalczyk in Warsaw. The retry starts after ten minutes. "
    "Logs are kept for thirty days.",
    "Enter the value. Save the form.\nThe reviewer, Tomasz Lewandowski, signs off before the release. "
    "Returns are handled by the service desk.",
    "Step 1. Open the settings page.\nStep 2. Choose the export format.\n"
    "Questions go to Ingrid Halvorsen or to the partner desk at Contoso in Oslo.",
    "Dear Mr Okafor,\nthe invoice is attached. The amount is due in thirty days.\nKind regards,\nLena Fischer",
    # identifiers in camel case around names, one with a surname's prefix
    "Edit the ConfigMap of the LedgerSync operator.\nkind: CatalogSource\n"
    "Restart the PostgreSQL pod. Then Siobhan McDonald checks the GitHub workflow with Rafael Duarte.",
]


def test_focused_detection_equals_whole_text_detection(detector: PiiDetector,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    """The spans found with the focused model are those found with the model reading every word."""
    focused = detector.detect_batch(_TEXTS)
    assert any(s.entity_type == "PERSON" for spans in focused for s in spans)
    assert any(focus_text(t) != t for t in _TEXTS)  # the focus did blank something
    monkeypatch.setattr(ner_focus, "focus_text", lambda text, terms=frozenset(): text)
    assert detector.detect_batch(_TEXTS) == focused



def test_the_model_finds_in_read_sentences_what_it_finds_in_the_whole_text(detector: PiiDetector) -> None:
    """Kept margins give the model the neighbours it reads: every entity of the whole text that lies in
    read text comes out the same (label and extent), and nothing else does."""
    nlp = detector.analyzer.nlp_engine.nlp["en"]
    docs = ner_focus.focused_docs(nlp, _TEXTS, [frozenset()] * len(_TEXTS), batch_size=4)
    for text, doc in zip(_TEXTS, docs, strict=True):
        seen = focus_text(text)
        whole = [(e.start_char, e.end_char, e.label_) for e in nlp(text).ents
                 if seen[e.start_char : e.end_char] == text[e.start_char : e.end_char]]  # fmt: skip
        assert whole, text
        assert [(e.start_char, e.end_char, e.label_) for e in doc.ents] == whole


@pytest.mark.parametrize(
    "text",
    ["", "   \n\n  ", "...!!!", "Ok.\n", "会议记录。张伟负责。", "x" * 5000 + " Maria " + "y" * 5000,
     "\n".join(["a."] * 300)],
)
def test_odd_text_keeps_its_length_and_newlines(text: str) -> None:
    out = focus_text(text)
    assert len(out) == len(text)
    assert [i for i, c in enumerate(out) if c == "\n"] == [i for i, c in enumerate(text) if c == "\n"]
    assert all(o == t or o == " " for o, t in zip(out, text, strict=True))
