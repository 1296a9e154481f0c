"""Questions naming an identifier or a proper name the evidence never mentions are refused."""

from __future__ import annotations

from copilot.answering.answerer import uncovered_specifics
from retrievers.access import AccessLevel
from retrievers.schema import Chunk, ScoredChunk


def hit(text: str, title: str = "Alder Partner Agreement") -> ScoredChunk:
    c = Chunk(chunk_id="c", doc_id="d.md", tenant_id="alder", access_level=AccessLevel.PARTNER, doc_type="contract",
              title=title, version="1", position=0, text=text, index_text=text, section_path=["Service Levels"])
    return ScoredChunk(c, 1.0)


SLA = hit("A P1 ticket receives a first response within 30 minutes. Release 2026.1 adds a planner.")


def test_codes_and_names_present_in_evidence_pass():
    assert uncovered_specifics("What response does a P1 ticket get?", [SLA]) == []
    assert uncovered_specifics("What does release 2026.1 add for Alder partners?", [SLA]) == []
    assert uncovered_specifics("What does the agreement say about service levels?", [SLA]) == []


def test_missing_identifier_or_name_is_reported():
    assert uncovered_specifics("What response does a P2 ticket get?", [SLA]) == ["P2"]
    assert uncovered_specifics("What are the highlights of release 2027.1?", [SLA]) == ["2027.1"]
    assert uncovered_specifics("What P1 response time has Birch Digital got?", [SLA]) == ["Birch", "Digital"]
    assert uncovered_specifics("Which region hosts tenants for customers in Australia?", [SLA]) == ["Australia"]


def test_sentence_initial_capital_and_generic_acronyms_are_not_names():
    assert uncovered_specifics("Which SLA applies to a P1 ticket in the ERP?", [SLA]) == []
    assert uncovered_specifics("Response times for P1 tickets?", [SLA]) == []


def test_misspelt_names_still_match_but_identifiers_do_not():
    assert uncovered_specifics("What response does a P1 ticket get under the Servce Levels?", [SLA]) == []
    assert uncovered_specifics("What does the Alder Partner Agrement say?", [SLA]) == []
    assert uncovered_specifics("Which region hosts tenants for customers in Austria?", [hit("Tenants in Australia.")]) \
        == ["Austria"]
    assert uncovered_specifics("What about P3?", [SLA]) == ["P3"]


def test_pronoun_contractions_are_not_names():
    assert uncovered_specifics("I'm new here: what response does a P1 ticket get?", [SLA]) == []
    assert uncovered_specifics("What response does a P1 ticket get, now that I've asked twice?", [SLA]) == []
    assert uncovered_specifics("What does Birch's agreement say about P1?", [SLA]) == ["Birch"]


def test_one_swapped_or_changed_letter_is_a_typo_of_a_long_word():
    assert uncovered_specifics("What response does a P1 ticket get under the Sevrice Levels?", [SLA]) == []
    assert uncovered_specifics("What is in the Alder Partner Agreemant?", [SLA]) == []
    # Two edits on a name is another name, and short names must match exactly.
    assert uncovered_specifics("Which region hosts tenants for customers in Austria?", [hit("Tenants in Australia.")]) \
        == ["Austria"]
    assert uncovered_specifics("What P1 response does Alter get?", [SLA]) == ["Alter"]


def test_capitalised_common_words_of_the_own_index_are_not_names():
    common = frozenset({"financ", "account", "lead", "digit"})  # stems the index writes in lower case
    q = "As a Finance Accounting Lead, what response does a P1 ticket get?"
    assert uncovered_specifics(q, [SLA]) == ["Finance", "Accounting", "Lead"]
    assert uncovered_specifics(q, [SLA], common) == []
    # A real name next to a common word is still missing; identifiers are never exempt.
    assert uncovered_specifics("What P1 response time has Birch Digital got?", [SLA], common) == ["Birch"]
    assert uncovered_specifics("What response does a P2 ticket get?", [SLA], frozenset({"p2"})) == ["P2"]
