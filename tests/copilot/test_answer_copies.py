"""A paragraph repeated in sibling guides is cited from the guide whose headings fit the question.
Real store, real model, real answerer; the guides are written for these tests."""

from __future__ import annotations

import numpy as np
import pytest

from copilot.answering.answerer import NEAR_DUPLICATE, Answerer
from copilot.answering.copies import copy_groups, prefer_fitting_copies
from copilot.core.redact import ResponseRedactor, load_policy
from copilot.core.settings import Settings
from guardrails.citations import content_terms
from retrievers.access import AccessLevel, Principal
from retrievers.retriever import Retriever
from retrievers.schema import Chunk, ScoredChunk
from retrievers.stores.lancedb import LanceDBStore

P = Principal("u", "acme", AccessLevel.PARTNER)
SHARED = ("Lumen plug-ins give the planning portal a forecasting view with curated demand templates, "
          "guided what-if scenarios and a weekly accuracy report.")


def chunk(cid: str, doc: str, title: str, section: str, text: str) -> Chunk:
    return Chunk(chunk_id=cid, doc_id=doc, tenant_id="acme", access_level=AccessLevel.PARTNER, doc_type="other",
                 title=title, version="1", position=0, text=text, index_text=text, section_path=[title, section])


INSTALL = chunk("inst", "configure.md", "Configuring plug-ins", "Installing the Lumen plug-ins",
                f"{SHARED}\n\nThe installer needs a service account with write access to the portal database.")
USING = chunk("use", "using.md", "Working with plug-ins", "Using the Lumen plug-ins",
              f"{SHARED}\n\nOpen the forecasting view from the portal menu and pick a demand template.")
OTHER = chunk("oth", "release.md", "Release notes", "Lumen changes",
              "The weekly accuracy report now also lists the ten items with the largest forecast error.")


@pytest.fixture(scope="module")
def answerer(embedder, tmp_path_factory):
    store = LanceDBStore(tmp_path_factory.mktemp("copies") / "index")
    chunks = [INSTALL, USING, OTHER]
    store.upsert(chunks, np.asarray(embedder.encode([f"{c.title}\n{c.text}" for c in chunks])))
    return Answerer(Retriever(store, embedder), embedder, Settings(), scoper=None)


def cited_docs(answerer, question, order):
    hits = [ScoredChunk(c, 1.0 - i / 10) for i, c in enumerate(order)]
    ans = answerer.extractive(question, P, hits, ResponseRedactor(P, load_policy(None), None), False)
    assert not ans.refused
    return [c.doc_id for c in ans.citations]


def test_repeated_paragraph_is_cited_from_the_guide_whose_headings_fit(answerer):
    # A long question: one heading word is a small share of its words, and the "using" guide
    # ranks first; its copy of the paragraph reads exactly the same.
    q = ("Our team is setting up the planning portal for the regional planners and the guide tells us to "
         "install the Lumen plug-ins: what do they give the portal and its planners?")
    assert cited_docs(answerer, q, [USING, OTHER, INSTALL])[0] == "configure.md"
    assert cited_docs(answerer, q, [INSTALL, OTHER, USING])[0] == "configure.md"
    q = ("Our team is setting up the planning portal for the regional planners and the guide tells us to "
         "work with the Lumen plug-ins: what do they give the portal and its planners?")
    assert cited_docs(answerer, q, [INSTALL, OTHER, USING])[0] == "using.md"


def test_headings_that_do_not_tell_copies_apart_keep_the_ranked_order(answerer):
    q = "What do the Lumen plug-ins give the planning portal?"
    assert cited_docs(answerer, q, [USING, INSTALL, OTHER])[0] == "using.md"
    assert cited_docs(answerer, q, [INSTALL, USING, OTHER])[0] == "configure.md"


class _Unit:
    def __init__(self, c: Chunk):
        self.chunk = c


def test_only_copies_in_different_documents_are_regrouped():
    same_doc = chunk("inst2", "configure.md", "Configuring plug-ins", "Using the Lumen plug-ins", SHARED)
    units = [_Unit(INSTALL), _Unit(same_doc), _Unit(USING), _Unit(OTHER)]
    v = np.array([[1.0, 0.0], [1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    groups = copy_groups(units, v, NEAR_DUPLICATE)
    assert groups == [[0, 1, 2]]
    assert copy_groups(units[:2], v[:2], NEAR_DUPLICATE) == []  # one document: not copies across guides
    scores = np.array([0.5, 0.7, 0.6, 0.9])
    out = prefer_fitting_copies(units, scores, v, content_terms("How do I install Lumen?"), NEAR_DUPLICATE)
    assert out[0] == 0.7 and out[1] < 0.7 and out[2] < 0.7  # the fitting copy takes the group's best score
    assert out[3] == 0.9  # a unit outside every group is untouched
    assert list(scores) == [0.5, 0.7, 0.6, 0.9]  # the caller's array is not changed
