"""A one-sentence answer takes the next sentence of its paragraph when both stay short: the first
sentence often names the subject and the next holds the detail. Real parser, store, model and
answerer; the texts are written for these tests."""

from __future__ import annotations

import numpy as np
import pytest

from copilot.answering.answerer import FOLLOW_CHARS, Answerer, Sentence, chunk_units
from copilot.core.redact import ResponseRedactor, load_policy
from copilot.core.settings import Settings
from retrievers.access import AccessLevel, Principal
from retrievers.retriever import Retriever
from retrievers.schema import Chunk
from retrievers.stores.lancedb import LanceDBStore

P = Principal("u", "acme", AccessLevel.PARTNER)

RETENTION = (
    "Audit log retention\n\n"
    "Audit logs are kept for a limited period on the archive server. "
    "Ninety days after creation they are deleted without notice.\n\n"
    "Exports of the audit log can be scheduled weekly."
)
POINTER = (
    "Backups\n\n"
    "Nightly backups of the ledger database run at midnight. "
    "For more information, see Configuring backup storage.\n\n"
    "Backups are encrypted at rest."
)


def chunk(cid: str, text: str, title: str) -> Chunk:
    return Chunk(chunk_id=cid, doc_id=f"{cid}.md", tenant_id="acme", access_level=AccessLevel.PARTNER,
                 doc_type="guide", title=title, version="1", position=0, text=text, index_text=text,
                 section_path=[title])


def unit(c: Chunk, starts_with: str) -> Sentence:
    s, e, flat, masked, kind, lead_end = next(u for u in chunk_units(c) if u[2].startswith(starts_with))
    return Sentence(0, c, s, e, flat, masked, kind, lead_end)


@pytest.fixture(scope="module")
def answerer(embedder, tmp_path_factory):
    store = LanceDBStore(tmp_path_factory.mktemp("follower") / "index")
    chunks = [chunk("retention", RETENTION, "Audit Guide"), chunk("backup", POINTER, "Backup Guide")]
    store.upsert(chunks, np.asarray(embedder.encode([f"{c.title}\n{c.text}" for c in chunks])))
    return Answerer(Retriever(store, embedder), embedder, Settings(), scoper=None)


def test_the_next_sentence_of_the_paragraph_joins(answerer):
    c = chunk("retention", RETENTION, "Audit Guide")
    joined = answerer.with_follower(unit(c, "Audit logs are kept"), P)
    assert joined.text == ("Audit logs are kept for a limited period on the archive server. "
                           "Ninety days after creation they are deleted without notice.")
    assert c.text[joined.start : joined.end].endswith("without notice.")


def test_no_follower_across_a_paragraph_break_or_from_a_cross_reference(answerer):
    c = chunk("retention", RETENTION, "Audit Guide")
    last = unit(c, "Ninety days")
    assert answerer.with_follower(last, P) == last  # the next sentence opens a new paragraph
    b = chunk("backup", POINTER, "Backup Guide")
    first = unit(b, "Nightly backups")
    assert answerer.with_follower(first, P) == first  # "For more information, see ..." answers nothing


def test_no_follower_when_the_two_sentences_are_long(answerer):
    long_first = "The archive server keeps audit logs " + "of every tenant and every workspace " * 9 + "for a period."
    assert len(long_first) < FOLLOW_CHARS < len(long_first) + 60
    c = chunk("long", f"Retention\n\n{long_first} Ninety days after creation they are deleted.", "Audit Guide")
    first = unit(c, "The archive server")
    assert answerer.with_follower(first, P) == first


def test_a_one_sentence_answer_carries_the_detail_that_follows(answerer):
    ans = answerer.answer("How long are audit logs kept?", P, ResponseRedactor(P, load_policy(None), None))
    assert not ans.refused
    assert "limited period" in ans.answer and "Ninety days" in ans.answer
    assert len(ans.citations) == 1
