"""The retrieval systems an evaluation compares: ours in each mode, and baselines.

Every system answers ``search(case, k)`` with located hits (document + character range
in the parsed document text), so one set of metrics scores them all. Latency is measured
by the runner around ``search`` and includes query embedding and query handling.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from evals.dataset import DocumentTexts, EvalCase
from evals.metrics import Item
from retrievers.embeddings import model_lexicon
from retrievers.query import MentionScoper, QueryPlan
from retrievers.retriever import Retriever
from retrievers.schema import ScoredChunk


@dataclass
class Hit:
    item: Item
    text: str
    score: float
    chunk: ScoredChunk | None = None


class System(Protocol):
    name: str
    description: str

    def search(self, case: EvalCase, k: int) -> list[Hit]: ...

    def doc_ranges(self) -> dict[str, list[tuple[int, int]]]: ...


class OurSystem:
    """The product retriever in one mode, optionally with query handling and rerank."""

    def __init__(
        self, name: str, retriever: Retriever, mode: str, *, query_handling: bool = True, rerank: bool = False,
        description: str = "", min_scope_score: float = 0.25,
    ):
        self.name = name
        self.retriever = retriever
        self.mode = mode
        self.query_handling = query_handling
        self.rerank = rerank
        self.description = description or f"ours, {mode}" + (" + query handling" if query_handling else "")
        # The index does not change mid-run: titles are listed once.
        self._scoper = MentionScoper(retriever.store, ttl=float("inf"), min_scope_score=min_scope_score,
                                     lexicon=model_lexicon(retriever.embedder))
        self._ranges: dict[str, list[tuple[int, int]]] | None = None
        self.last_plan: QueryPlan | None = None

    def plan(self, case: EvalCase) -> QueryPlan:
        if case.doc_scope is not None or not self.query_handling:
            return QueryPlan(query=case.question, text=case.question, doc_ids=case.doc_scope)
        return self._scoper.plan(case.question, case.principal)

    def search(self, case: EvalCase, k: int) -> list[Hit]:
        plan = self.plan(case)
        self.last_plan = plan
        hits = self.retriever.search(
            plan.text, case.principal, k=k, mode=self.mode,  # type: ignore[arg-type]
            doc_ids=plan.doc_ids, rerank=self.rerank,
        )
        return [Hit(Item(h.chunk.doc_id, h.chunk.char_start, h.chunk.char_end), h.chunk.text, h.score, h)
                for h in hits]

    def doc_ranges(self) -> dict[str, list[tuple[int, int]]]:
        if self._ranges is None:
            ranges: dict[str, list[tuple[int, int]]] = {}
            for chunks, _ in self.retriever.store.iter_all():
                for c in chunks:
                    ranges.setdefault(c.doc_id, []).append((c.char_start, c.char_end))
            self._ranges = ranges
        return self._ranges


def _offset(node: object, name: str) -> int:
    return int(getattr(node, name, None) or 0)


class LlamaIndexNaive:
    """A naive LlamaIndex pipeline: ``VectorStoreIndex.from_documents`` with its defaults
    (SentenceSplitter 1024/200 tokens), the same embedding model, top-k by cosine.

    It is fed the same parsed document text as our ingestion (so offsets are comparable),
    has no access control (leaks are counted, not prevented) and applies a document scope
    with a metadata filter on ``doc_id``. The built index is persisted and reused.
    """

    name = "llamaindex"
    description = "naive LlamaIndex VectorStoreIndex (defaults, same model)"

    def __init__(self, doc_ids: Sequence[str], texts: DocumentTexts, cache_dir: Path, model_path: str | None = None):
        from llama_index.core import Document, Settings, StorageContext, VectorStoreIndex, load_index_from_storage
        from llama_index.embeddings.huggingface import HuggingFaceEmbedding

        from retrievers.embeddings import default_model_path

        Settings.llm = None  # type: ignore[assignment]  # LlamaIndex accepts None: no LLM
        Settings.embed_model = HuggingFaceEmbedding(model_name=model_path or default_model_path(), device="cpu")
        docs = []
        for d in sorted(doc_ids):
            text = texts.parsed(d)
            if text is not None:
                docs.append(Document(text=text, id_=d, metadata={"doc_id": d},
                                     excluded_embed_metadata_keys=["doc_id"], excluded_llm_metadata_keys=["doc_id"]))
        sig = hashlib.sha256(json.dumps([[x.id_, hashlib.sha256(x.text.encode()).hexdigest()] for x in docs])
                             .encode()).hexdigest()[:16]
        persist = cache_dir / f"llamaindex-{sig}"
        if (persist / "docstore.json").is_file():
            self.index = load_index_from_storage(StorageContext.from_defaults(persist_dir=str(persist)))
        else:
            self.index = VectorStoreIndex.from_documents(docs, show_progress=False)
            self.index.storage_context.persist(persist_dir=str(persist))
        self._ranges: dict[str, list[tuple[int, int]]] | None = None

    def search(self, case: EvalCase, k: int) -> list[Hit]:
        from llama_index.core.vector_stores import FilterCondition, MetadataFilter, MetadataFilters

        filters = None
        if case.doc_scope:
            filters = MetadataFilters(
                filters=[MetadataFilter(key="doc_id", value=d) for d in case.doc_scope],
                condition=FilterCondition.OR,
            )
        nodes = self.index.as_retriever(similarity_top_k=k, filters=filters).retrieve(case.question)
        out = []
        for n in nodes:
            node = n.node
            doc = node.metadata.get("doc_id") or node.ref_doc_id or ""
            out.append(Hit(Item(doc, _offset(node, "start_char_idx"), _offset(node, "end_char_idx")),
                           node.get_content(), float(n.score or 0.0)))
        return out

    def doc_ranges(self) -> dict[str, list[tuple[int, int]]]:
        if self._ranges is None:
            ranges: dict[str, list[tuple[int, int]]] = {}
            for node in self.index.docstore.docs.values():
                doc = node.metadata.get("doc_id") or node.ref_doc_id or ""
                ranges.setdefault(doc, []).append((_offset(node, "start_char_idx"), _offset(node, "end_char_idx")))
            self._ranges = ranges
        return self._ranges


class PlainBM25:
    """The published baseline: bm25s (defaults) over 250-word chunks with 50-word overlap.

    Chunks are cut from the same parsed text as our ingestion (so offsets are comparable) and
    searched only among the documents the case's principal may see (listed through the access
    rule) and, when given, the case's document scope.
    """

    name = "bm25-plain"
    description = "baseline: bm25s defaults over 250-word chunks, 50-word overlap (shared/BASELINES.md)"

    def __init__(self, retriever: Retriever, texts: DocumentTexts, words: int = 250, overlap: int = 50):
        import re

        import bm25s

        self.retriever = retriever
        self._chunks: list[tuple[str, int, int, str]] = []  # doc, start, end, text
        doc_ids = sorted({d for _, d in retriever.store.document_hashes()})
        step = words - overlap
        for d in doc_ids:
            text = texts.parsed(d)
            if not text:
                continue
            spans = [(m.start(), m.end()) for m in re.finditer(r"\S+", text)]
            for i in range(0, max(1, len(spans) - overlap), step):
                piece = spans[i : i + words]
                if not piece:
                    break
                a, b = piece[0][0], piece[-1][1]
                self._chunks.append((d, a, b, text[a:b]))
        self._bm25 = bm25s.BM25()
        self._bm25.index(bm25s.tokenize([c[3] for c in self._chunks], show_progress=False), show_progress=False)
        self._visible: dict[tuple, set[str]] = {}
        self._ranges: dict[str, list[tuple[int, int]]] | None = None

    def _allowed(self, case: EvalCase) -> set[str]:
        from retrievers.access import access_filter

        p = case.principal
        key = (p.tenant_id, int(p.access_level), p.acting_for)
        if key not in self._visible:
            self._visible[key] = {x.doc_id for x in self.retriever.store.list_documents(access_filter(p))}
        allowed = self._visible[key]
        return allowed & set(case.doc_scope) if case.doc_scope else allowed

    def search(self, case: EvalCase, k: int) -> list[Hit]:
        import bm25s
        import numpy as np

        allowed = self._allowed(case)
        scores = self._bm25.get_scores(bm25s.tokenize([case.question], show_progress=False, return_ids=False)[0])
        order = np.argsort(-scores, kind="stable")
        out = []
        for i in order:
            d, a, b, text = self._chunks[int(i)]
            if d in allowed:
                out.append(Hit(Item(d, a, b), text, float(scores[i])))
                if len(out) >= k:
                    break
        return out

    def doc_ranges(self) -> dict[str, list[tuple[int, int]]]:
        if self._ranges is None:
            ranges: dict[str, list[tuple[int, int]]] = {}
            for d, a, b, _ in self._chunks:
                ranges.setdefault(d, []).append((a, b))
            self._ranges = ranges
        return self._ranges
