"""A quoted sentence that another read document holds word for word is cited to that document too.
Real store, real model, real answerer; the guides are written for these tests."""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np
import pytest

from copilot.answering.answerer import Answerer
from copilot.answering.copies import exact_copies
from copilot.core.redact import ResponseRedactor, load_policy
from copilot.core.settings import Settings
from evals.answer_metrics import token_f1
from guardrails.citations import strip_citations
from retrievers.access import AccessLevel, Principal
from retrievers.retriever import Retriever
from retrievers.schema import Chunk, ScoredChunk
from retrievers.stores.lancedb import LanceDBStore

P = Principal("u", "acme", AccessLevel.PARTNER)
SHARED = ("The Orbit sync agent needs outbound access to the ledger service on port 8443 and a service "
          "account with read rights on every warehouse it mirrors.")


def chunk(cid: str, doc: str, title: str, section: str, text: str) -> Chunk:
    return Chunk(chunk_id=cid, doc_id=doc, tenant_id="acme", access_level=AccessLevel.PARTNER, doc_type="other",
                 title=title, version="1", position=0, text=text, index_text=text, section_path=[title, section])


# Two platform guides repeat the prerequisite; the second copy differs only in case and spacing.
CLOUD = chunk("cloud", "install-cloud.md", "Installing on the hosted platform", "Prerequisites",
              f"{SHARED}\n\nCreate the hosted project before you start the installer.")
ONPREM = chunk("onprem", "install-onprem.md", "Installing in your own data centre", "Prerequisites",
               f"{SHARED.replace('Orbit sync agent', 'orbit  sync agent')}\n\nOpen the firewall of the data "
               "centre to the installer host.")
# Nearly the same sentence, with a different port: not a copy, never cited for it.
LEGACY = chunk("legacy", "legacy.md", "Release history", "Older releases",
               "The Orbit sync agent needs outbound access to the ledger service on port 9443 and a service "
               "account with read rights on every warehouse it mirrors.")


@pytest.fixture(scope="module")
def store(embedder, tmp_path_factory):
    s = LanceDBStore(tmp_path_factory.mktemp("copy-cites") / "index")
    chunks = [CLOUD, ONPREM, LEGACY]
    s.upsert(chunks, np.asarray(embedder.encode([f"{c.title}\n{c.text}" for c in chunks])))
    return s


def ask(store, embedder, question, order, **settings):
    answerer = Answerer(Retriever(store, embedder), embedder, Settings(**settings), scoper=None)
    hits = [ScoredChunk(c, 1.0 - i / 10) for i, c in enumerate(order)]
    ans = answerer.extractive(question, P, hits, ResponseRedactor(P, load_policy(None), None), False)
    assert not ans.refused
    return ans


Q = "What network access and account does the Orbit sync agent need before installing?"


def test_a_sentence_repeated_in_another_read_guide_is_cited_to_both(store, embedder):
    ans = ask(store, embedder, Q, [CLOUD, ONPREM, LEGACY])
    docs = [c.doc_id for c in ans.citations]
    assert docs[0] == "install-cloud.md"
    assert "install-onprem.md" in docs
    # The quoted sentence carries both numbers; the copy's citation covers its own copy of the text.
    first = next(p for p in ans.sentences if "8443" in p)
    _, numbers = strip_citations(first)
    cited = {ans.citations[n - 1].doc_id for n in numbers}
    assert {"install-cloud.md", "install-onprem.md"} <= cited
    onprem = next(c for c in ans.citations if c.doc_id == "install-onprem.md")
    assert "port 8443" in onprem.snippet
    # A similar sentence that says something else (another port) is not a copy.
    assert "legacy.md" not in {ans.citations[n - 1].doc_id for n in numbers}


def test_copies_change_citations_only_not_the_answer_text(store, embedder):
    with_copies = ask(store, embedder, Q, [CLOUD, ONPREM, LEGACY])
    without = ask(store, embedder, Q, [CLOUD, ONPREM, LEGACY], answer_cite_copies=False)
    plain = lambda a: re.sub(r"\s*\[\d+\]", "", a.answer)  # noqa: E731
    assert plain(with_copies) == plain(without)
    assert token_f1(with_copies.answer, SHARED) == token_f1(without.answer, SHARED)
    assert len(with_copies.citations) > len(without.citations)
    assert "install-onprem.md" not in {c.doc_id for c in without.citations} or len(without.citations) > 1


def test_exact_copies_match_words_only_and_one_per_document(store, embedder):
    answerer = Answerer(Retriever(store, embedder), embedder, Settings(), scoper=None)
    hits = [ScoredChunk(c, 1.0 - i / 10) for i, c in enumerate([CLOUD, ONPREM, LEGACY])]
    cands, _, _ = answerer.score_units(Q, P, hits)
    unit = next(u for u, _ in cands if u.chunk.doc_id == "install-cloud.md" and "8443" in u.text)
    (found,) = exact_copies([unit], cands)
    assert [c.chunk.doc_id for c in found] == ["install-onprem.md"]
    # A unit of the only document holding it has no copies.
    other = next(u for u, _ in cands if "hosted project" in u.text)
    assert exact_copies([other], cands) == [[]]


def test_a_copy_the_asker_may_not_read_is_never_cited(embedder, tmp_path):
    """The copy of the prerequisite in an internal guide is cited for an internal reader only."""
    internal = replace(ONPREM, chunk_id="internal", doc_id="install-internal.md",
                       access_level=AccessLevel.INTERNAL)
    other_tenant = replace(ONPREM, chunk_id="tenant-b", doc_id="install-b.md", tenant_id="globex")
    s = LanceDBStore(tmp_path / "index")
    chunks = [CLOUD, internal, other_tenant]
    s.upsert(chunks, np.asarray(embedder.encode([f"{c.title}\n{c.text}" for c in chunks])))
    answerer = Answerer(Retriever(s, embedder), embedder, Settings(), scoper=None)
    staff = Principal("s", "acme", AccessLevel.INTERNAL)

    def cited(principal):
        hits = answerer.retriever.search(Q, principal, k=6)
        ans = answerer.extractive(Q, principal, hits, ResponseRedactor(principal, load_policy(None), None), False)
        assert not ans.refused
        return {c.doc_id for c in ans.citations}

    assert cited(P) == {"install-cloud.md"}
    assert cited(staff) == {"install-cloud.md", "install-internal.md"}
