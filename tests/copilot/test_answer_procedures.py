"""Answering units of documentation: a numbered procedure flattened into one paragraph is one list
with its lead-in, and a cross-reference ("For more information, see ...") never stands in for the
answer it points to. Real store, real model, real answerer; the texts are written for these tests.
"""

from __future__ import annotations

import numpy as np
import pytest

from copilot.answering.answerer import Answerer, chunk_units
from copilot.core.redact import ResponseRedactor, load_policy
from copilot.core.settings import Settings
from guardrails import text as _text
from retrievers.access import AccessLevel, Principal
from retrievers.retriever import Retriever
from retrievers.schema import Chunk
from retrievers.stores.lancedb import LanceDBStore

P = Principal("u", "acme", AccessLevel.PARTNER)


def chunk(cid: str, text: str, title: str, section: str = "") -> Chunk:
    return Chunk(chunk_id=cid, doc_id=f"{cid}.md", tenant_id="acme", access_level=AccessLevel.PARTNER,
                 doc_type="guide", title=title, version="1", position=0, text=text, index_text=text,
                 section_path=[title] + ([section] if section else []))


PROCEDURE = chunk(
    "proc",
    "Approval rules\n\nApproval rules decide who signs off a purchase order. An administrator sets up approval "
    "rules by taking the following steps: 1. Enable the approval module for the company. 2. Define approval "
    "levels by combining the following methods: * The administrator enters the levels in the settings page. "
    "* The administrator imports the levels from a spreadsheet.",
    "Purchasing Guide", "Approval rules",
)
ARCHIVE = chunk(
    "arch",
    "Archiving\n\nClosed purchase orders are archived after 90 days. For more information about archiving "
    "purchase orders, see Archiving purchase orders in the Purchasing Guide. Archived orders stay searchable "
    "but cannot be edited.",
    "Purchasing Guide", "Archiving",
)


def test_a_flattened_numbered_procedure_is_split_into_its_steps():
    body = PROCEDURE.text
    kinds = [(b.kind, body[b.start : b.end]) for b in _text.blocks(body)]
    assert ("item", "Enable the approval module for the company.") in kinds
    # The lead-in sentence no longer carries the first step's number.
    assert all(not t.rstrip().endswith(": 1.") for _, t in kinds)


def test_the_procedure_is_one_unit_with_its_lead_in():
    lists = [flat for _, _, flat, _, kind, _ in chunk_units(PROCEDURE) if kind == "list"]
    whole = [t for t in lists if "An administrator sets up approval rules by taking the following steps:" in t]
    assert whole and "Enable the approval module" in whole[0] and "imports the levels" in whole[0]
    sentences = [flat for _, _, flat, _, kind, _ in chunk_units(PROCEDURE) if kind == "sentence"]
    assert not any(s.endswith("steps: 1.") for s in sentences)


def test_numbers_that_do_not_count_up_from_one_are_not_a_list():
    body = "The release moved to version 4. 2 files changed. The limit is 3. 5 users were affected."
    assert [b.kind for b in _text.blocks(body)] == ["para"]


@pytest.fixture(scope="module")
def answerer(embedder, tmp_path_factory):
    store = LanceDBStore(tmp_path_factory.mktemp("procedures") / "index")
    chunks = [PROCEDURE, ARCHIVE]
    store.upsert(chunks, np.asarray(embedder.encode([f"{c.title}\n{c.text}" for c in chunks])))
    return Answerer(Retriever(store, embedder), embedder, Settings(), scoper=None)


def ask(answerer, q):
    return answerer.answer(q, P, ResponseRedactor(P, load_policy(None), None))


def test_a_procedure_question_gets_the_steps(answerer):
    ans = ask(answerer, "How does an administrator set up approval rules for purchase orders?")
    assert not ans.refused
    assert "Enable the approval module" in ans.answer and "Define approval levels" in ans.answer


def test_a_cross_reference_does_not_stand_in_for_the_answer(answerer):
    ans = ask(answerer, "When are purchase orders archived?")
    assert not ans.refused
    assert "archived after 90 days" in ans.answer
    assert "see Archiving purchase orders" not in ans.answer


def test_short_lines_after_a_lead_in_are_its_items_not_headings():
    text = ("Installing the client\n\nYou can install the order client with one of the following methods:\n\n"
            "The web console\n\nThe command line\n\n# Limits\n\nThe client accepts up to 500 lines per file.")
    lists = [flat for _, _, flat, _, kind, _ in chunk_units(chunk("inst", text, "Client Guide")) if kind == "list"]
    assert lists == ["You can install the order client with one of the following methods: The web console "
                     "The command line"]
