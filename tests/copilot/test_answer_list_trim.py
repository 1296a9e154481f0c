"""A list answer ends at its last item that holds a word of the question: the parser reads short
lines after a lead-in as items, so a list can run on into the next section's title and text.
Real parser, store, model and answerer; the texts are written for these tests."""

from __future__ import annotations

import numpy as np
import pytest

from copilot.answering.answerer import Answerer, Sentence, chunk_units, trim_list
from copilot.core.redact import ResponseRedactor, load_policy
from copilot.core.settings import Settings
from guardrails.citations import content_terms
from retrievers.access import AccessLevel, Principal
from retrievers.retriever import Retriever
from retrievers.schema import Chunk
from retrievers.stores.lancedb import LanceDBStore

P = Principal("u", "acme", AccessLevel.PARTNER)

# The list's lead-in announces two prerequisites; the short lines after them are the next section.
CONNECTOR = (
    "Installing the ledger connector\n\n"
    "Before you install the ledger connector, make sure that:\n\n"
    "The ledger service is running on the host.\n\n"
    "A connector licence key is stored in the vault.\n\n"
    "Monitoring dashboards\n\n"
    "Dashboards refresh every minute.\n\n"
    "Charts keep thirty days of data.\n\n"
    "Alerts go to the on-call mailbox."
)


def chunk(cid: str, text: str, title: str) -> Chunk:
    return Chunk(chunk_id=cid, doc_id=f"{cid}.md", tenant_id="acme", access_level=AccessLevel.PARTNER,
                 doc_type="guide", title=title, version="1", position=0, text=text, index_text=text,
                 section_path=[title])


def the_list(c: Chunk) -> Sentence:
    s, e, flat, masked, kind, lead_end = next(u for u in chunk_units(c) if u[4] == "list")
    return Sentence(0, c, s, e, flat, masked, kind, lead_end)


def test_the_list_ends_at_its_last_item_holding_a_question_word():
    c = chunk("connector", CONNECTOR, "Connector Guide")
    lst = the_list(c)
    assert "Alerts go to" in lst.text  # the parser's list runs on into the next section
    cut = trim_list(lst, content_terms("What must be in place before I install the ledger connector?"))
    assert cut.text.endswith("A connector licence key is stored in the vault.")
    assert cut.text.startswith("Before you install the ledger connector")
    assert c.text[cut.start : cut.end].endswith("stored in the vault.")


def test_a_list_stays_whole_when_no_item_or_its_last_item_holds_a_question_word():
    lst = the_list(chunk("connector", CONNECTOR, "Connector Guide"))
    # Only the lead-in holds the question's words: the whole list is the answer its lead-in promised.
    assert trim_list(lst, content_terms("What must I check before I install it?")) == lst
    # The last item holds a question word: nothing to cut.
    assert trim_list(lst, content_terms("Who receives the alerts?")) == lst
    # Sentences are never cut.
    s, e, flat, masked, kind, lead_end = next(u for u in chunk_units(lst.chunk) if u[4] == "sentence")
    sent = Sentence(0, lst.chunk, s, e, flat, masked, kind, lead_end)
    assert trim_list(sent, content_terms("ledger connector vault")) == sent


@pytest.fixture(scope="module")
def answerer(embedder, tmp_path_factory):
    store = LanceDBStore(tmp_path_factory.mktemp("listtrim") / "index")
    chunks = [chunk("connector", CONNECTOR, "Connector Guide")]
    store.upsert(chunks, np.asarray(embedder.encode([f"{c.title}\n{c.text}" for c in chunks])))
    return Answerer(Retriever(store, embedder), embedder, Settings(), scoper=None)


def test_the_answer_keeps_the_prerequisites_and_leaves_the_next_section_out(answerer):
    ans = answerer.answer("What must be in place before I install the ledger connector?", P,
                          ResponseRedactor(P, load_policy(None), None))
    assert not ans.refused
    assert "licence key" in ans.answer
    assert "Alerts go to" not in ans.answer
