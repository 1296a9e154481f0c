"""The answerer reads every passage it retrieved: the passages of the top document that the
within-document expansion adds are read after the pool's first few, and used to push the pool's
later passages past a five-passage cap, so an answer in another guide at pool rank 4 was never
read. Real parser (unit splitting), store, model and answerer; the texts are written for this test."""

from __future__ import annotations

import numpy as np
import pytest

from copilot.answering.answerer import EXPAND_AFTER, Answerer
from copilot.core.redact import ResponseRedactor, load_policy
from copilot.core.settings import Settings
from retrievers.access import AccessLevel, Principal
from retrievers.retriever import Retriever
from retrievers.schema import Chunk, ScoredChunk
from retrievers.stores.lancedb import LanceDBStore

P = Principal("u", "acme", AccessLevel.PARTNER)
QUESTION = "How long are invoice records retained?"
# One billing guide with many invoice passages, none of which says how long records are kept.
BILLING = [
    "Creating invoices\n\nInvoices are created from confirmed orders by the nightly billing run.",
    "Invoice numbers\n\nInvoice numbers start with the prefix of the fiscal year they belong to.",
    "Invoice layout\n\nThe invoice layout can be changed per tenant from the template settings.",
    "Invoice reminders\n\nA reminder is sent to the customer when an invoice is fourteen days overdue.",
    "Invoice exports\n\nInvoice exports are written as CSV files to the finance share every Monday.",
    "Invoice corrections\n\nA corrected invoice replaces the original and keeps its invoice number.",
]
ANSWER = "Retention\n\nInvoice records are retained for seven years after the fiscal year closes."


def chunk(cid: str, doc: str, text: str, title: str, position: int) -> Chunk:
    return Chunk(chunk_id=cid, doc_id=doc, tenant_id="acme", access_level=AccessLevel.PARTNER,
                 doc_type="guide", title=title, version="1", position=position, text=text, index_text=text,
                 section_path=[title, text.split("\n", 1)[0]])


BILLING_CHUNKS = [chunk(f"billing-{i}", "billing.md", t, "Billing Guide", i) for i, t in enumerate(BILLING)]
ANSWER_CHUNK = chunk("records-0", "records.md", ANSWER, "Records Policy", 0)


@pytest.fixture(scope="module")
def answerer(embedder, tmp_path_factory):
    chunks = [*BILLING_CHUNKS, ANSWER_CHUNK]
    store = LanceDBStore(tmp_path_factory.mktemp("reads-every-passage") / "index")
    store.upsert(chunks, np.asarray(embedder.encode([c.text for c in chunks])))
    return Answerer(Retriever(store, embedder), embedder, Settings(), scoper=None)


def read_hits(answerer: Answerer) -> list[ScoredChunk]:
    # The pool: three billing passages, then the answer at rank 4 (as a pool ranking may put it);
    # the expansion then adds the billing guide's best other passages after EXPAND_AFTER. The
    # pool's three are the ones the guide's own search ranks last, so the expansion adds two new ones.
    within = answerer.retriever.search(QUESTION, P, k=len(BILLING), doc_ids=["billing.md"])
    first = [h.chunk for h in within[-3:]]
    pool = [ScoredChunk(c, 1.0 - i * 0.1) for i, c in enumerate([*first, ANSWER_CHUNK])]
    return answerer.expand_within_document(QUESTION, P, pool)


def test_the_expansion_pushes_the_pool_answer_past_five_passages(answerer):
    hits = read_hits(answerer)
    ids = [h.chunk.chunk_id for h in hits]
    assert ids.index("records-0") >= 5  # the situation the change is about
    # ... behind the billing guide's own passages the expansion inserted after EXPAND_AFTER.
    assert all(i.startswith("billing-") for i in ids[EXPAND_AFTER : ids.index("records-0")])


def test_an_answer_behind_the_expanded_passages_is_read_and_cited(answerer):
    hits = read_hits(answerer)
    ans = answerer.extractive(QUESTION, P, hits, ResponseRedactor(P, load_policy(None), None), False)
    assert not ans.refused
    assert ans.citations[0].doc_id == "records.md"
    assert "seven years" in ans.answer
    cands, _, _ = answerer.score_units(QUESTION, P, hits)
    assert any(u.chunk.chunk_id == "records-0" for u, _ in cands)
