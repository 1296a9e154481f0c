"""Our permission-aware retriever as a LlamaIndex ``BaseRetriever``.

Teams that build their own LlamaIndex query engines can plug the copilot's index
in without bypassing the access rule: the adapter is bound to one
:class:`~retrievers.access.Principal` (built by the caller from credentials,
exactly as the API does) and every call goes through ``Retriever.search``, so
the store pre-filter and the re-check apply unchanged.

Node text is the chunk's redacted ``index_text`` by default, because a query
engine usually forwards node text to an LLM and personal data must not reach
one; ``redacted=False`` gives the stored reader text for callers that only show
it to the entitled principal.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from llama_index.core.retrievers import BaseRetriever
from llama_index.core.schema import NodeRelationship, NodeWithScore, QueryBundle, RelatedNodeInfo, TextNode

from retrievers.access import Principal
from retrievers.retriever import Mode, Retriever
from retrievers.schema import ScoredChunk

# Identifiers and offsets are useful to the caller but noise to an LLM or an embedder.
_HIDDEN_FROM_MODELS = ["chunk_id", "tenant_id", "access_level", "char_start", "char_end", "score_source"]


class PermissionAwareRetriever(BaseRetriever):
    """A LlamaIndex retriever over our index for one fixed principal."""

    def __init__(
        self,
        retriever: Retriever,
        principal: Principal,
        *,
        k: int = 5,
        mode: Mode = "hybrid",
        doc_ids: Sequence[str] | None = None,
        now: datetime | None = None,
        redacted: bool = True,
        **kwargs: Any,
    ) -> None:
        if k <= 0:
            raise ValueError("k must be positive")
        self._retriever = retriever
        self._principal = principal
        self._k = k
        self._mode: Mode = mode
        self._doc_ids = list(doc_ids) if doc_ids is not None else None
        self._now = now
        self._redacted = redacted
        super().__init__(**kwargs)

    @property
    def principal(self) -> Principal:
        return self._principal

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        hits = self._retriever.search(
            query_bundle.query_str,
            self._principal,
            k=self._k,
            mode=self._mode,
            doc_ids=self._doc_ids,
            now=self._now,
        )
        return [self._node(h) for h in hits]

    def _node(self, hit: ScoredChunk) -> NodeWithScore:
        c = hit.chunk
        node = TextNode(
            id_=c.chunk_id,
            text=c.index_text if self._redacted else c.text,
            metadata={
                "doc_id": c.doc_id,
                "title": c.title,
                "section": c.section,
                "page": c.page,
                "chunk_id": c.chunk_id,
                "doc_type": str(c.doc_type),
                "version": c.version,
                "tenant_id": c.tenant_id,
                "access_level": c.access_level.label,
                "char_start": c.char_start,
                "char_end": c.char_end,
                "score_source": hit.source,
            },
            excluded_llm_metadata_keys=list(_HIDDEN_FROM_MODELS),
            excluded_embed_metadata_keys=list(_HIDDEN_FROM_MODELS),
            relationships={NodeRelationship.SOURCE: RelatedNodeInfo(node_id=c.doc_id)},
        )
        return NodeWithScore(node=node, score=float(hit.score))
