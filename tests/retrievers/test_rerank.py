"""Sentence-level rerank stage: a chunk counts by its best sentence, fused with the first stage."""

from __future__ import annotations

from retrievers.access import AccessLevel, Principal
from retrievers.rerank import SentenceReranker, load_reranker
from retrievers.retriever import Retriever
from retrievers.schema import Chunk, ScoredChunk, chunk_uuid
from retrievers.stores.lancedb import LanceDBStore

BOILER = (
    "This Agreement constitutes the entire agreement between the parties. Notices shall be given in writing to the "
    "addresses set out above. Headings are for convenience only and do not affect interpretation. "
)


def mk(pos: int, text: str, index_text: str | None = None) -> Chunk:
    return Chunk(chunk_id=chunk_uuid("alder", "c.txt", "1", pos), doc_id="c.txt", tenant_id="alder",
                 access_level=AccessLevel.PARTNER, doc_type="contract", title="Supply Agreement", version="1",
                 position=pos, text=text, index_text=index_text or text)


def test_a_chunk_with_the_one_sentence_asked_about_moves_up(embedder):
    # First-stage fused order 0, 1, 2 (close scores); only chunk 2 states what is asked.
    hits = [
        ScoredChunk(mk(0, BOILER * 2), 0.0, "hybrid", ranks={"dense": 1, "fulltext": 3}),
        ScoredChunk(mk(1, BOILER + "Payment terms are net thirty days from the invoice date."), 0.0, "hybrid",
                    ranks={"dense": 3, "fulltext": 1}),
        ScoredChunk(mk(2, BOILER + "The Distributor shall not sell products that compete with the Products in the "
                          "Territory during the term. " + BOILER), 0.0, "hybrid", ranks={"dense": 2, "fulltext": 2}),
        ScoredChunk(mk(3, "Schedule A lists the products and prices."), 0.0, "hybrid", ranks={"dense": 4}),
    ]
    rr = SentenceReranker(embedder, candidates=3)
    out = rr.rerank("Does this agreement restrict the distributor from selling competing products?", hits, k=4)
    assert out[0].chunk.position == 2
    assert out[0].ranks["sentence"] == 1 and out[0].source == "rerank"
    assert [h.chunk.position for h in out][3] == 3  # beyond the candidates: first-stage order, untouched
    assert {h.chunk.chunk_id for h in out} <= {h.chunk.chunk_id for h in hits}  # never adds chunks
    assert len(rr.rerank("competing products", hits, k=2)) == 2
    assert rr.rerank("anything", [], k=3) == []


def test_only_redacted_index_text_is_embedded(embedder):
    raw = "Notices go to Jane Canary at jane.canary@example.com, who approves all competing product sales."
    masked = "Notices go to <PERSON> at <EMAIL_ADDRESS>, who approves all competing product sales."
    rr = SentenceReranker(embedder)
    rr.rerank("who approves competing sales", [ScoredChunk(mk(0, raw, masked), 0.0, "hybrid")], k=1)
    cached = " ".join(rr.vectors._items)
    assert "Canary" not in cached and "example.com" not in cached and "<PERSON>" in cached


def test_retriever_rerank_flag_uses_the_stage_within_the_access_filter(tmp_path, embedder):
    store = LanceDBStore(tmp_path / "idx", dim=embedder.dim)
    texts = [BOILER * 2, BOILER + "The Distributor shall not sell competing products in the Territory."]
    chunks = [mk(i, t) for i, t in enumerate(texts)]
    store.replace_document("alder", "c.txt", chunks, embedder.encode(texts))
    other = Chunk(chunk_id=chunk_uuid("birch", "c.txt", "1", 0), doc_id="c.txt", tenant_id="birch",
                  access_level=AccessLevel.PARTNER, doc_type="contract", title="Supply Agreement", version="1",
                  position=0, text="Birch may not sell competing products.",
                  index_text="Birch may not sell competing products.")
    store.replace_document("birch", "c.txt", [other], embedder.encode([other.text]))
    r = Retriever(store, embedder, reranker=load_reranker(None, embedder))
    hits = r.search("competing products", Principal("u", "alder", AccessLevel.PARTNER), k=5, rerank=True)
    assert hits and all(h.chunk.tenant_id == "alder" for h in hits)
    assert hits[0].chunk.position == 1 and "sentence" in hits[0].ranks
