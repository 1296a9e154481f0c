"""Answering units: lists with their lead-in, clauses of long sentences, boilerplate and placeholders
left out, yes/no and numeric questions answered by the sentence that states the value.
Real store, real model, real answerer; the texts are written for these tests.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from copilot.answering.answerer import (
    Answerer,
    Boilerplate,
    chunk_units,
    correct_spelling,
    coverage,
    heading_matches,
)
from copilot.core.redact import ResponseRedactor, load_policy
from copilot.core.settings import Settings
from guardrails.citations import content_terms
from retrievers.access import AccessLevel, Principal
from retrievers.retriever import Retriever
from retrievers.schema import Chunk
from retrievers.stores.lancedb import LanceDBStore

P = Principal("u", "acme", AccessLevel.PARTNER)
PARTNER = int(AccessLevel.PARTNER)
TEMPLATE = "All work under this order follows the master services terms agreed between the parties."


def chunk(cid: str, text: str, doc: str = "d.md", title: str = "Service Handbook", section: str = "") -> Chunk:
    return Chunk(chunk_id=cid, doc_id=doc, tenant_id="acme", access_level=AccessLevel.PARTNER, doc_type="playbook",
                 title=title, version="1", position=0, text=text, index_text=text,
                 section_path=[title] + ([section] if section else []))


LADDER = chunk("lad", "Escalation ladder\n\nWhen an order is stuck, the planner escalates along this ladder.\n\n"
               "Shift supervisor on duty.\n\nPlant logistics manager.\n\nRegional operations director.",
               section="Escalation ladder")
LIMITS = chunk("lim", "Limits\n\nThe order import service accepts up to 2,500 lines per file. Files are archived "
               "for 30 days. Imports run every night at 02:00.", doc="notes-v2.md", title="Import Notes 4.2",
               section="Limits")
ISSUES = chunk("iss", "Known issues\n\n- IMP-17: Imports with empty lines stop early. Workaround: remove them.\n\n"
               "- IMP-21: Archived files cannot be re-imported.", doc="notes-v2.md", title="Import Notes 4.2",
               section="Known issues")
OVERVIEW = chunk("ovr", "Import Notes 4.2\n\nThese notes describe the new import functions, limits and known issues "
                 "of version 4.2.", doc="notes-v2.md", title="Import Notes 4.2")
ORDERS = [chunk(f"so{i}", f"Order {i}\n\nThe customer in order {i} receives {i + 2} pallets per week. {TEMPLATE}",
                doc=f"orders/{i}.md", title=f"Order {i}") for i in range(3)]
PLACEHOLDER = chunk("ph", "Contacts\n\nThe customer project manager is [Insert customer name] and signs every "
                    "acceptance certificate.", doc="tmpl.md", title="Order template")


@pytest.fixture(scope="module")
def answerer(embedder, tmp_path_factory):
    store = LanceDBStore(tmp_path_factory.mktemp("units") / "index")
    chunks = [LADDER, LIMITS, ISSUES, OVERVIEW, *ORDERS, PLACEHOLDER]
    store.upsert(chunks, np.asarray(embedder.encode([f"{c.title}\n{c.text}" for c in chunks])))
    return Answerer(Retriever(store, embedder), embedder, Settings(), scoper=None)


def ask(answerer, q):
    return answerer.answer(q, P, ResponseRedactor(P, load_policy(None), None))


def test_list_after_a_lead_in_is_one_unit():
    kinds = {(u[4], LADDER.text[u[0] : u[1]].split("\n")[0]) for u in chunk_units(LADDER)}
    assert ("list", "When an order is stuck, the planner escalates along this ladder.") in kinds


def test_long_sentence_offers_its_clauses():
    long = ("The supplier shall (a) deliver the goods within ten business days of each order, together with all "
            "documents needed for customs clearance and a packing list per pallet; (b) replace damaged goods at "
            "its own cost within five business days of a written complaint by the customer; and (c) keep stock "
            "for at least four weeks of average demand at its own warehouse.")
    units = chunk_units(chunk("long", long))
    clauses = [long[s:e] for s, e, *_rest in units if _rest[2] == "clause"]
    assert any(c.startswith("(b) replace damaged goods") for c in clauses)


def test_a_long_title_line_is_never_a_unit_but_the_text_under_it_is():
    text = ("Limits\n\nImports run every night.\n\n"
            "Installing the order import service on a private cluster with the command line\n\n"
            "The import service installs with one command and needs no database of its own.\n\n"
            "Effective date of the import contract 1 March 2026")
    units = [(u[2], u[4]) for u in chunk_units(chunk("title", text))]
    assert all(not t.startswith("Installing the order import service") for t, _ in units)
    assert ("The import service installs with one command and needs no database of its own.", "sentence") in units
    # A line that ends in a value, not a word, is kept: it states something.
    assert any(t == "Effective date of the import contract 1 March 2026" for t, _ in units)


def test_a_run_in_heading_opens_the_sentence_after_it_and_is_no_unit_alone():
    text = ("ARTICLE 7 LIABILITY. 7.3 Limitation of Liability. Neither party is liable for indirect damages "
            "arising from late deliveries. 7.4 Survival. This article survives the end of the order.\n\n"
            "Service Credits.")
    units = [u[2] for u in chunk_units(chunk("runin", text))]
    assert "ARTICLE 7 LIABILITY. 7.3 Limitation of Liability. Neither party is liable for indirect damages " \
           "arising from late deliveries." in units
    assert "7.4 Survival. This article survives the end of the order." in units
    # no heading stands alone, not even the one closing its paragraph
    assert not any(u in ("7.3 Limitation of Liability.", "ARTICLE 7 LIABILITY.", "Service Credits.") for u in units)
    # capitalised terms with a word in lower case make a sentence, not a heading
    assert [u[2] for u in chunk_units(chunk("plain", "The Supplier pays the Fees on time."))] == [
        "The Supplier pays the Fees on time."]


def test_placeholder_text_is_never_a_unit():
    assert all("Insert customer name" not in u[2] for u in chunk_units(PLACEHOLDER))


def test_coverage_and_heading_match():
    q = content_terms("Is the import limit in 4.2 still 2,000 lines?")
    nums = {t for t in q if any(ch.isdigit() for ch in t)}
    unit = content_terms("The order import service accepts up to 2,500 lines per file.")
    ctx = content_terms("Import Notes 4.2 Limits")
    assert coverage(q, nums, unit, ctx) > coverage(q, nums, unit, set())
    assert heading_matches(ISSUES, content_terms("Which known issues does 4.2 have?"))
    assert not heading_matches(OVERVIEW, content_terms("Which known issues does 4.2 have?"))


def test_list_question_gets_the_whole_ladder(answerer):
    ans = ask(answerer, "How does a planner escalate a stuck order?")
    assert not ans.refused
    for step in ("Shift supervisor", "Plant logistics manager", "Regional operations director"):
        assert step in ans.answer


def test_numeric_yes_no_question_gets_the_sentence_with_the_value(answerer):
    ans = ask(answerer, "Is the order import limit in 4.2 still 2,000 lines?")
    assert not ans.refused and "2,500 lines" in ans.answer


def test_known_issues_come_from_the_section_not_the_overview(answerer):
    ans = ask(answerer, "Which known issues does import 4.2 have?")
    assert "IMP-17" in ans.answer and "IMP-21" in ans.answer
    assert "These notes describe" not in ans.answer


def test_text_repeated_across_documents_is_boilerplate(answerer):
    bp = Boilerplate(answerer.retriever.store)
    assert bp.is_boilerplate(TEMPLATE, ["acme", "shared"], PARTNER)
    assert not bp.is_boilerplate("The customer in order 1 receives 3 pallets per week.", ["acme", "shared"], PARTNER)
    assert not bp.is_boilerplate(TEMPLATE, ["other-tenant"], PARTNER)  # counted only over tenants the caller reads
    ans = ask(answerer, "Which terms does the work under order 1 follow?")
    assert TEMPLATE not in ans.answer


def test_template_text_after_a_run_in_heading_is_still_boilerplate(embedder, tmp_path):
    store = LanceDBStore(tmp_path / "runin-bp")
    docs = [chunk(f"t{i}", f"Order {i}\n\nTerms. {TEMPLATE} The customer in order {i} receives {i + 2} pallets "
                  "per week.", doc=f"terms/{i}.md", title=f"Order {i}") for i in range(3)]
    store.upsert(docs, np.asarray(embedder.encode([c.text for c in docs])))
    answerer = Answerer(Retriever(store, embedder), embedder, Settings(), scoper=None)
    # the heading opens the template sentence, which stays template text
    assert any(u[2] == f"Terms. {TEMPLATE}" and u[5] > 0 for u in chunk_units(docs[1]))
    ans = ask(answerer, "Which terms does the work under order 1 follow?")
    assert TEMPLATE not in ans.answer


def test_boilerplate_follows_writes_to_the_store(embedder, tmp_path):
    # The unchanged-store shortcut (data version) must not hide a write: a sentence becomes
    # template text once a third document repeats it, and stops being one when it is removed.
    store = LanceDBStore(tmp_path / "bp")
    line = "Every delivery note is countersigned by the receiving warehouse lead on arrival."
    docs = [chunk(f"c{i}", f"Section {i}\n\n{line} Item {i} ships weekly.", doc=f"n{i}.md") for i in range(3)]
    store.upsert(docs[:2], np.asarray(embedder.encode([c.text for c in docs[:2]])))
    bp = Boilerplate(store)
    assert not bp.is_boilerplate(line, ["acme"], PARTNER)
    assert not bp.is_boilerplate(line, ["acme"], PARTNER)  # unchanged store: answered from the cached count
    store.upsert(docs[2:], np.asarray(embedder.encode([docs[2].text])))
    assert bp.is_boilerplate(line, ["acme"], PARTNER)
    store.delete_document("acme", "n2.md")
    assert not bp.is_boilerplate(line, ["acme"], PARTNER)


def test_lower_case_words_are_counted_per_tenant(answerer):
    from guardrails.text import stem

    stems = Boilerplate(answerer.retriever.store).lower_case_stems(["acme", "shared"], PARTNER)
    assert {stem("planner"), stem("supervisor"), stem("pallets")} <= stems
    assert stem("Plant") not in stems  # only ever written with a capital: could be a name
    assert Boilerplate(answerer.retriever.store).lower_case_stems(["other-tenant"], PARTNER) == frozenset()


def test_a_capitalised_role_the_index_writes_in_lower_case_does_not_refuse(answerer):
    # Asked within the ladder's document, whose passages never say "customer"; other documents of
    # the same index do, in lower case: "Customer" is a common word here, not a name to look for.
    def scoped(q):
        return answerer.answer(q, P, ResponseRedactor(P, load_policy(None), None), doc_ids=["d.md"])

    ans = scoped("As a Customer, how does a planner escalate a stuck order?")
    assert not ans.refused and "Regional operations director" in ans.answer
    assert scoped("As a Zanzibar planner, how does a planner escalate a stuck order?").refused


def test_typos_in_plain_words_become_the_index_words():
    from collections import Counter

    from copilot.answering.answerer import correct_spelling

    vocab = Counter({"cancel": 5, "the": 9, "invoice": 4, "order": 7, "ledger": 3, "ledgers": 1, "author": 2,
                     "australia": 1, "prod": 2})
    assert correct_spelling("how do i cancle the invoise order?", vocab) == "how do i cancel the invoice order?"
    # The most frequent of two words one edit away wins; a swap of neighbours is one edit.
    assert correct_spelling("which legder do I need", vocab) == "which ledger do I need"
    # Capitalised words (possible names), identifiers, short words and known words stay as typed.
    assert correct_spelling("Does Austria need an Auther?", vocab) == "Does Austria need an Auther?"
    assert correct_spelling("what is prob-2 and the gut plugin", vocab) == "what is prob-2 and the gut plugin"
    assert correct_spelling("cancle", Counter()) == "cancle"


def test_a_question_with_typos_is_answered_from_the_right_passage(answerer):
    ans = ask(answerer, "how does the planer escalats a stuk ordr?")
    assert not ans.refused and "Regional operations director" in ans.answer


def test_index_statistics_never_carry_words_from_a_level_above_the_callers(embedder, tmp_path):
    # Boilerplate counts, lower-case words and the typo dictionary are derived from documents:
    # a partner-level caller's view must not include an internal document's words or sentences.
    store = LanceDBStore(tmp_path / "levels")
    line = "Every delivery note is countersigned by the receiving warehouse lead on arrival."
    secret = "the quarterly hedging covenant triggers a recapitalisation clause"
    docs = [chunk(f"p{i}", f"Section {i}\n\n{line} Item {i} ships weekly.", doc=f"p{i}.md") for i in range(2)]
    docs.append(replace(chunk("i0", f"Board notes\n\n{line} Also, {secret}.", doc="board.md"),
                        access_level=AccessLevel.INTERNAL))
    store.upsert(docs, np.asarray(embedder.encode([c.text for c in docs])))
    bp = Boilerplate(store)
    assert bp.is_boilerplate(line, ["acme"], AccessLevel.INTERNAL)  # three documents at internal level
    assert not bp.is_boilerplate(line, ["acme"], PARTNER)  # only two the partner may read
    assert "recapitalisation" in bp.vocabulary(["acme"], AccessLevel.INTERNAL)
    assert "recapitalisation" not in bp.vocabulary(["acme"], PARTNER)
    from guardrails.text import stem

    assert stem("covenant") in bp.lower_case_stems(["acme"], AccessLevel.INTERNAL)
    assert stem("covenant") not in bp.lower_case_stems(["acme"], PARTNER)
    assert correct_spelling("what does the recapitalisaton clause say", bp.vocabulary(["acme"], PARTNER)) == (
        "what does the recapitalisaton clause say")


def test_units_of_two_unhashed_chunks_with_one_id_are_not_shared():
    # Chunks built without a content hash must not reuse each other's cached units.
    def make(text: str) -> Chunk:
        return Chunk(chunk_id="same-id", doc_id="d.md", tenant_id="acme", access_level=AccessLevel.PARTNER,
                     doc_type="guide", title="T", version="1", position=0, text=text, index_text=text,
                     section_path=["T"])

    first = [u[2] for u in chunk_units(make("The ledger closes on the fifth working day of each month."))]
    second = [u[2] for u in chunk_units(make("Refunds are approved by the finance lead within two days."))]
    assert first != second and any("Refunds" in u for u in second)


def test_one_answer_reads_the_store_version_once_for_boilerplate(answerer, monkeypatch):
    # Every unit of an answer is checked for boilerplate; reading the store's version per unit cost
    # about a sixth of an answer's CPU. The version is read once per candidate scan.
    bp = answerer.boilerplate
    bp.is_boilerplate(TEMPLATE, ["acme"], PARTNER)  # counts built
    reads = []
    store_cls = type(answerer.retriever.store)
    real = store_cls.data_version
    monkeypatch.setattr(store_cls, "data_version", property(lambda s: reads.append(1) or real.fget(s)))
    hits = answerer.retriever.search("Which terms does the work under order 1 follow?", P, k=8)
    cands = answerer._candidates(hits, "Which terms does the work under order 1 follow?", P)
    assert len(cands) > 3 and len(reads) <= 2
    assert all(TEMPLATE not in c.text for c, _ in cands)  # the one check still drops template text


def test_boilerplate_checker_agrees_with_is_boilerplate(answerer):
    bp = answerer.boilerplate
    check = bp.checker(["acme", "shared"], PARTNER)
    for text in (TEMPLATE, "The customer in order 1 receives 3 pallets per week.", ""):
        assert check(text) == bp.is_boilerplate(text, ["acme", "shared"], PARTNER)
    assert check(TEMPLATE) and not bp.checker(["other-tenant"], PARTNER)(TEMPLATE)
