"""Ingestion: parse -> permission tags -> chunk -> PII spans -> injection flag -> embed -> upsert.

Guarantees:
- fail closed: a file without manifest tags is rejected, never indexed with defaults;
- one bad file is reported and skipped, the rest of the batch goes on;
- per-document atomicity: a document's chunks are swapped in one store write, so a
  failure anywhere before or during it leaves that document's old chunks intact;
- idempotence: an unchanged document (same bytes, tags and pipeline settings) is
  skipped without writing anything.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np

from guardrails.redaction import resolve_overlaps
from guardrails.spans import PiiSpan
from ingestion.chunking import ChunkSpan, chunk_document
from ingestion.manifest import DocumentTags, Manifest, ManifestError, load_manifest
from ingestion.parsing import (
    DEFAULT_ARCHIVE_LIMITS,
    SUPPORTED_EXTENSIONS,
    ArchiveLimits,
    ParsedDocument,
    ParseError,
    parse_bytes,
)
from ingestion.sources import UPLOAD_ROOT, SourceLedger
from retrievers.embeddings import Embedder
from retrievers.schema import Chunk, chunk_uuid, sha256
from retrievers.stores.base import Store

PIPELINE_VERSION = "8"  # bump when chunking/parsing changes so re-ingest rewrites documents
UPLOAD_PREFIX = "uploads/"
# PII detection sees long texts in windows of this many characters (spaCy's max_length is
# 1,000,000 and its memory grows with the text), overlapping so an entity on a boundary is
# still seen whole in one window. spaCy holds the GIL while it processes a text, so short
# windows in small batches also keep one upload from stalling the server's other threads.
PII_WINDOW_CHARS = 20_000
PII_WINDOW_OVERLAP = 400
_GLOB_CHARS = set("*?[")

Progress = Callable[[str, int, int], None]  # (stage, done, total)


class PiiDetectorLike(Protocol):
    def detect_batch(
        self, texts: Sequence[str], batch_size: int = ..., contexts: Sequence[Sequence[str]] | None = ...
    ) -> list[list[PiiSpan]]: ...


class IngestError(ValueError):
    """One document could not be ingested; the message is safe to show to the uploader."""


@dataclass
class FileOutcome:
    path: str
    status: str  # written | skipped | rejected | failed | missing
    chunks: int = 0
    reason: str = ""


@dataclass
class IngestReport:
    files: int = 0
    documents_written: int = 0
    documents_skipped: int = 0
    chunks_written: int = 0
    chunks_skipped: int = 0
    deleted: list[str] = field(default_factory=list)
    # Documents a prune would remove (listed on a dry run, removed with confirmation).
    prune_planned: list[str] = field(default_factory=list)
    outcomes: list[FileOutcome] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def rejected(self) -> list[FileOutcome]:
        return [o for o in self.outcomes if o.status in ("rejected", "failed", "missing")]

    def as_dict(self) -> dict:
        return {
            "files": self.files,
            "documents_written": self.documents_written,
            "documents_skipped": self.documents_skipped,
            "chunks_written": self.chunks_written,
            "chunks_skipped": self.chunks_skipped,
            "rejected": [{"path": o.path, "reason": o.reason} for o in self.rejected],
            "deleted": self.deleted,
            "prune_planned": self.prune_planned,
            "seconds": round(self.seconds, 2),
        }


@dataclass
class _Prepared:
    rel: str
    tags: DocumentTags
    doc_hash: str
    chunks: list[Chunk]
    embed_texts: list[list[str]]  # per chunk: the windows the dense model sees


@dataclass
class PreparedUpload:
    """One upload's chunks and their vectors, ready for the store write."""

    doc_id: str
    chunks: list[Chunk]
    vectors: list[np.ndarray]  # per chunk, its window vectors


# (data, doc_id, tags, doc_hash, progress) -> the upload's chunks and vectors
PrepareUpload = Callable[[bytes, str, DocumentTags, str, Progress | None], PreparedUpload]


@dataclass
class _Parsed:
    rel: str
    data: bytes
    tags: DocumentTags
    superseded: bool
    doc_hash: str
    parsed: ParsedDocument


def embed_text(chunk: Chunk) -> str:
    """What the dense model sees: title and section give context; the body is redacted."""
    head = " > ".join([chunk.title, *chunk.section_path][:4])
    return f"{head}\n{chunk.index_text}"


def embed_windows(chunk: Chunk, embedder: Embedder, overlap: float = 0.25) -> list[str]:
    """The texts one chunk is embedded as: one, or overlapping windows when it is too long.

    A chunk longer than the model's window would be silently truncated (the dense side would
    only see its head), so a long chunk is embedded as windows of the body, each carrying the
    title/section head; the store keeps every window's vector and scores the chunk by its best
    one. Full-text search always sees the whole chunk.
    """
    whole = embed_text(chunk)
    n_tokens = embedder.count_tokens(whole)
    if n_tokens <= embedder.max_tokens:
        return [whole]
    head = whole[: whole.index("\n") + 1]
    head_tokens = embedder.count_tokens(head)
    words = chunk.index_text.split()
    # Window sizes come from this chunk's own tokens per word (no tokenizer call per window).
    per_word = max(1.0, (n_tokens - head_tokens) / max(1, len(words)))
    budget = embedder.max_tokens - head_tokens - 4
    size = max(16, int(budget / per_word))
    step = max(8, int(size * (1 - overlap)))
    out = []
    for i in range(0, len(words), step):
        out.append(head + " ".join(words[i : i + size]))
        if i + size >= len(words):
            break
    return out


def pool_windows(vectors: np.ndarray, counts: Sequence[int]) -> np.ndarray:
    """One L2-normalised vector per chunk: the mean of its window vectors."""
    if all(c == 1 for c in counts):
        return vectors
    out = np.empty((len(counts), vectors.shape[1]), dtype=np.float32)
    offset = 0
    for i, c in enumerate(counts):
        v = vectors[offset : offset + c].mean(axis=0)
        out[i] = v / (np.linalg.norm(v) or 1.0)
        offset += c
    return out


def embed_chunks(
    embedder: Embedder, windows: Sequence[Sequence[str]], batch_size: int | None = None,
    progress: Progress | None = None, encoded: dict[str, np.ndarray] | None = None,
) -> list[np.ndarray]:
    """Encode per-chunk windows (from :func:`embed_windows`): per chunk, an (n_windows, dim) array.

    One ``encode`` call per model batch: the embedder's lock is taken per call, so a big
    document never holds the model for longer than one batch and memory stays bounded.
    Texts found in ``encoded`` (encoded ahead, see :class:`_AheadEncoder`) are not encoded again.
    """
    known = encoded or {}
    flat = [t for w in windows for t in w]
    # Texts of similar length share a batch (as ``SentenceTransformer.encode`` orders them): a
    # batch is padded to its longest text, so mixing a chunk's short last window with full
    # windows makes the model compute padding. Each text's vector does not depend on its batch.
    todo = sorted(dict.fromkeys(t for t in flat if t not in known), key=len)
    step = max(1, batch_size or getattr(embedder, "batch_size", 64) or 64)
    fresh: dict[str, np.ndarray] = {}
    for lo in range(0, len(todo), step):
        batch = todo[lo : lo + step]
        fresh.update(zip(batch, embedder.encode(batch, batch_size=step), strict=True))
        if progress is not None:
            progress("embedding", min(len(todo), lo + step), len(todo))
    if not flat:
        return []
    vecs = np.stack([fresh[t] if t in fresh else known[t] for t in flat]).astype(np.float32, copy=False)
    out = []
    offset = 0
    for w in windows:
        out.append(vecs[offset : offset + len(w)])
        offset += len(w)
    return out


# A batch is padded to its longest text: a text shorter than this share of the longest one
# starts a batch of its own rather than be padded up.
BATCH_LENGTH_SHARE = 0.8


def length_batches(texts: Sequence[str], batch_size: int, share: float = BATCH_LENGTH_SHARE) -> list[list[str]]:
    """``texts`` in batches of at most ``batch_size`` texts of similar length, longest first.

    A chunk's windows are full except its last one; batched as they come, a run of chunks
    was padded by a sixth of its tokens. Length in characters stands in for tokens (windows are
    cut by words): what matters is only which texts share a batch.
    """
    out: list[list[str]] = []
    for t in sorted(texts, key=len, reverse=True):
        if not out or len(out[-1]) >= batch_size or len(t) < share * len(out[-1][0]):
            out.append([])
        out[-1].append(t)
    return out


class _AheadEncoder:
    """Encodes window texts on a worker thread while the caller goes on (PII detection of the
    rest of the document); :meth:`results` hands back what was encoded, by text."""

    def __init__(self, embedder: Embedder, batch_size: int):
        self.embedder = embedder
        self.batch_size = max(1, batch_size)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest-ahead")
        self._futures: list[Future[None]] = []
        self._out: dict[str, np.ndarray] = {}
        self._seen: set[str] = set()

    def submit(self, texts: Sequence[str]) -> None:
        new = [t for t in dict.fromkeys(texts) if t not in self._seen]
        self._seen.update(new)
        for batch in length_batches(new, self.batch_size):
            self._futures.append(self._pool.submit(self._encode, batch))

    def _encode(self, texts: list[str]) -> None:
        self._out.update(zip(texts, self.embedder.encode(texts, batch_size=self.batch_size), strict=True))

    def results(self) -> dict[str, np.ndarray]:
        """Wait for the submitted batches; a failed batch is just not in the result (encoded again later)."""
        for f in self._futures:
            # A failure is left to the final pass, which encodes whatever is missing (or fails there).
            with contextlib.suppress(Exception):
                f.result()
        return self._out

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def settled_before(spans: Sequence[PiiSpan], next_start: int) -> int:
    """Offset before which the document's resolved PII spans can no longer change.

    Windows still to be scanned start at ``next_start``: their spans start there or later, and
    :func:`resolve_overlaps` merges a span only with the group of spans it overlaps, so the only
    groups they can change are those reaching past ``next_start``.
    """
    bound = next_start
    group_start, group_end = -1, -1
    for sp in sorted(spans, key=lambda x: (x.start, -x.end)):
        if group_start < 0 or sp.start >= group_end:
            if group_end > next_start:
                bound = min(bound, group_start)
            group_start, group_end = sp.start, sp.end
        else:
            group_end = max(group_end, sp.end)
    if group_end > next_start:
        bound = min(bound, group_start)
    return max(0, bound)


def text_windows(text: str, size: int | None = None, overlap: int = PII_WINDOW_OVERLAP) -> list[int]:
    """Start offsets of overlapping windows covering ``text``; a window ends at a whitespace if it can."""
    size = size or PII_WINDOW_CHARS
    starts = [0]
    pos = 0
    while pos + size < len(text):
        end = pos + size
        cut = text.rfind(" ", pos + size // 2, end)
        nxt = (cut if cut > 0 else end) - overlap
        pos = max(pos + 1, nxt)
        starts.append(pos)
    return starts


def _clip_spans(spans: Sequence[PiiSpan], start: int, end: int) -> list[PiiSpan]:
    """Spans of the document that touch [start, end), re-based to the chunk and clipped to it."""
    out = []
    for s in spans:
        if s.end <= start or s.start >= end:
            continue
        out.append(PiiSpan(s.entity_type, max(s.start, start) - start, min(s.end, end) - start, s.score))
    return out


def _corpus_files(root: Path, manifest_path: Path, manifest: Manifest, report: IngestReport) -> list[tuple[Path, str]]:
    """The (path, relative path) of every file to ingest; manifest entries naming a missing file
    are reported (a literal path names one file: its absence is a mistake worth reporting)."""
    files = sorted(
        p for p in root.rglob("*")
        if p.is_file() and p.resolve() != manifest_path.resolve() and not p.name.startswith(".")
    )
    rels = [p.relative_to(root).as_posix() for p in files]
    present = set(rels)
    for entry in manifest.documents:
        if not (_GLOB_CHARS & set(entry.path)) and entry.path not in present:
            report.outcomes.append(FileOutcome(entry.path, "missing", reason="named in the manifest, file not found"))
    return [(p, r) for p, r in zip(files, rels, strict=True) if not manifest.is_excluded(r)]


class Ingestor:
    """Turns files plus tags into chunks in a :class:`Store`."""

    def __init__(
        self,
        store: Store,
        embedder: Embedder,
        *,
        detector: PiiDetectorLike | None = None,
        screen: Callable[[str], bool] | None = None,
        mask: Callable[[str, Sequence[PiiSpan]], str] | None = None,
        strict_pii: bool = False,
        max_file_bytes: int = 20 * 1024 * 1024,
        chunk_tokens: int = 200,
        overlap_tokens: int = 40,
        embed_batch: int = 64,
        ledger: SourceLedger | None = None,
        archive_limits: ArchiveLimits = DEFAULT_ARCHIVE_LIMITS,
    ):
        if strict_pii and (detector is None or mask is None):
            raise ValueError("strict PII mode needs a detector and a mask function")
        self.store = store
        self.embedder = embedder
        self.detector = detector
        self.screen = screen
        self.mask = mask
        self.strict_pii = strict_pii
        self.max_file_bytes = max_file_bytes
        # Chunks may be longer than the model's window: long ones are embedded as sub-windows.
        self.chunk_tokens = chunk_tokens
        self.overlap_tokens = overlap_tokens
        self.embed_batch = embed_batch
        self.ledger = ledger or SourceLedger(None)
        self.archive_limits = archive_limits
        # Anything that changes the stored chunks is part of every document's hash.
        self._settings_sig = json.dumps(
            [PIPELINE_VERSION, self.chunk_tokens, overlap_tokens, embedder.name, detector is not None,
             strict_pii, screen is not None]
        )

    # ---- one document --------------------------------------------------------
    def _doc_hash(self, data: bytes, tags: DocumentTags, superseded: bool) -> str:
        return sha256(data + tags.model_dump_json().encode() + self._settings_sig.encode() + bytes([superseded]))

    def _chunk_spans(self, rel: str, parsed: ParsedDocument) -> list[ChunkSpan]:
        spans = chunk_document(
            parsed, max_tokens=self.chunk_tokens, overlap_tokens=self.overlap_tokens,
            count_tokens=self.embedder.count_tokens,
        )
        if not spans:
            raise ParseError(f"{rel}: no text chunks could be made from the document")
        return spans

    def _heading_masks(self, parsed: ParsedDocument, doc_spans: Sequence[PiiSpan], upto: int | None = None,
                       ) -> dict[str, str]:
        """Masked text of every heading with PII (of the headings ending by ``upto``)."""
        heading_masks: dict[str, str] = {}
        if self.mask is not None:
            for b in parsed.blocks:
                if upto is not None and b.end > upto:
                    break
                hspans = _clip_spans(doc_spans, b.start, b.end) if b.is_title else []
                if hspans:
                    heading = parsed.text[b.start : b.end][:200]
                    heading_masks[heading] = self.mask(heading, hspans)
        return heading_masks

    def _prepare(
        self, rel: str, data: bytes, tags: DocumentTags, *, superseded: bool, doc_hash: str,
        parsed: ParsedDocument | None = None, pii: list[PiiSpan] | None = None,
        spans: Sequence[ChunkSpan] | None = None, first: int = 0, heading_masks: dict[str, str] | None = None,
        screen: bool = True,
    ) -> _Prepared:
        """The document's chunks and the texts they are embedded as.

        ``spans``/``first``/``heading_masks`` let the upload path build a run of chunks ahead of
        the rest of the document (with ``screen`` off: only their embedding texts are needed).
        """
        parsed = parsed or parse_bytes(data, rel, self.archive_limits)
        if spans is None:
            spans = self._chunk_spans(rel, parsed)
        doc_spans = pii or []
        # Headings become section paths and titles, which travel as metadata (citations,
        # full-text index): they are always masked, whatever the reader's entitlement.
        if heading_masks is None:
            heading_masks = self._heading_masks(parsed, doc_spans)

        def clean(value: str) -> str:
            return heading_masks.get(value, value)

        title = clean(tags.title or parsed.title or Path(rel).stem.replace("-", " ").replace("_", " "))
        chunks: list[Chunk] = []
        for pos, sp in enumerate(spans, start=first):
            text = parsed.text[sp.start : sp.end]
            cspans = _clip_spans(doc_spans, sp.start, sp.end)
            index_text = self.mask(text, cspans) if (self.mask and cspans) else text
            if self.strict_pii:
                text, cspans = index_text, []
            flagged = bool(self.screen(text)) if (self.screen and screen) else False
            chunks.append(
                Chunk(
                    chunk_id=chunk_uuid(tags.tenant_id, rel, tags.version, pos),
                    doc_id=rel, tenant_id=tags.tenant_id, access_level=tags.access_level,
                    doc_type=str(tags.doc_type), title=title, version=tags.version, position=pos,
                    text=text, index_text=index_text, section_path=[clean(x) for x in sp.section_path], page=sp.page,
                    char_start=sp.start, char_end=sp.end, approved=tags.approved, superseded=superseded,
                    valid_from=tags.valid_from_ts, valid_until=tags.valid_until_ts,
                    content_hash=sha256(text + "\x00" + index_text), doc_hash=doc_hash,
                    pii_spans=cspans, injection_flag=flagged,
                )
            )
        return _Prepared(rel, tags, doc_hash, chunks, [embed_windows(c, self.embedder) for c in chunks])

    def _detect(
        self, parsed: list[ParsedDocument], *, step: int = 4,
        settled: Callable[[int, list[PiiSpan]], None] | None = None,
    ) -> list[list[PiiSpan]]:
        """PII spans per document; long texts are scanned in bounded, overlapping windows.

        ``settled(offset, spans)`` (one document only) is called after each batch of windows with
        the offset before which the resolved spans are final (:func:`settled_before`) and those spans.
        """
        if self.detector is None:
            return [[] for _ in parsed]
        # A document's own title and headings tell the detector which capitalised phrases name the
        # product or the document (not a person).
        doc_contexts = [
            [t for t in [p.title, *(p.text[b.start : b.end][:200] for b in p.blocks if b.is_title)] if t]
            for p in parsed
        ]
        texts: list[str] = []
        contexts: list[list[str]] = []
        owners: list[tuple[int, int]] = []  # (document index, window offset)
        for i, p in enumerate(parsed):
            for st in text_windows(p.text):
                texts.append(p.text[st : st + PII_WINDOW_CHARS])  # text_windows spaces them by less
                contexts.append(doc_contexts[i])
                owners.append((i, st))
        out: list[list[PiiSpan]] = [[] for _ in parsed]
        # Bounded batches of windows: a 20 MB text never reaches spaCy in one piece.
        for lo in range(0, len(texts), step):
            found = self.detector.detect_batch(texts[lo : lo + step], contexts=contexts[lo : lo + step])
            for (i, off), spans in zip(owners[lo : lo + step], found, strict=True):
                out[i].extend(PiiSpan(s.entity_type, s.start + off, s.end + off, s.score) for s in spans)
            if settled is not None and len(parsed) == 1:
                nxt = owners[lo + step][1] if lo + step < len(owners) else len(parsed[0].text)
                resolved = resolve_overlaps(parsed[0].text, out[0])
                settled(settled_before(resolved, nxt), resolved)
        # Spans found twice in overlapping windows collapse into one.
        return [resolve_overlaps(p.text, o) if len(p.text) > PII_WINDOW_CHARS else o
                for o, p in zip(out, parsed, strict=True)]

    def _write(
        self, prepared: list[_Prepared], report: IngestReport, progress: Progress | None = None,
        encoded: dict[str, np.ndarray] | None = None,
    ) -> None:
        """Embed a group of documents in shared batches, then swap each document in one write."""
        windows = [w for p in prepared for w in p.embed_texts]
        try:
            vectors = embed_chunks(self.embedder, windows, batch_size=self.embed_batch, progress=progress,
                                   encoded=encoded)
        except Exception as exc:  # a model failure fails these documents, not the run
            for p in prepared:
                report.outcomes.append(FileOutcome(p.rel, "failed", reason=f"embedding failed: {exc}"))
            return
        groups = []
        offset = 0
        for p in prepared:
            groups.append((p, vectors[offset : offset + len(p.chunks)]))
            offset += len(p.chunks)
        replace_many = getattr(self.store, "replace_documents", None)
        if callable(replace_many) and len(groups) > 1:
            try:
                replace_many([(p.tags.tenant_id, p.rel, p.chunks, v) for p, v in groups])
            except Exception:
                pass  # one bad document must not fail the group: retry them one by one below
            else:
                for p, _ in groups:
                    report.documents_written += 1
                    report.chunks_written += len(p.chunks)
                    report.outcomes.append(FileOutcome(p.rel, "written", chunks=len(p.chunks)))
                return
        for p, vecs in groups:
            try:
                n = self.store.replace_document(p.tags.tenant_id, p.rel, p.chunks, vecs)
            except Exception as exc:
                report.outcomes.append(FileOutcome(p.rel, "failed", reason=f"index write failed: {exc}"))
                continue
            report.documents_written += 1
            report.chunks_written += n
            report.outcomes.append(FileOutcome(p.rel, "written", chunks=n))

    # ---- public API ----------------------------------------------------------
    def ingest_bytes(
        self, data: bytes, doc_id: str, tags: DocumentTags, progress: Progress | None = None,
        prepare: PrepareUpload | None = None,
    ) -> FileOutcome:
        """Ingest one uploaded document; raises IngestError with a clear message on bad input.

        ``progress(stage, done, total)`` is called as the document moves through parsing,
        PII detection and embedding (used by upload jobs). ``prepare`` does the CPU work
        (:meth:`prepare_upload` by default; an upload job may run it in a worker process):
        this method only checks the document against the index and writes the result.
        """
        if len(data) > self.max_file_bytes:
            raise IngestError(f"{doc_id}: file is {len(data):,} bytes; the limit is {self.max_file_bytes:,}")
        doc_hash = self._doc_hash(data, tags, False)
        if self.store.document_hashes(tags.tenant_id).get((tags.tenant_id, doc_id)) == doc_hash:
            return FileOutcome(doc_id, "skipped")
        owner = self.ledger.root_of(tags.tenant_id, doc_id)
        if owner not in (None, UPLOAD_ROOT) and (tags.tenant_id, doc_id) in self.store.document_hashes(tags.tenant_id):
            raise IngestError(f"{doc_id}: a document with this id was ingested from {owner}")
        ready = (prepare or self.prepare_upload)(data, doc_id, tags, doc_hash, progress)
        self.ledger.claim([(tags.tenant_id, doc_id)], UPLOAD_ROOT)
        try:
            # One store write swaps the document in: a failure leaves its old chunks intact.
            n = self.store.replace_document(tags.tenant_id, doc_id, ready.chunks, ready.vectors)
        except Exception as exc:
            raise IngestError(f"index write failed: {exc}") from None
        if tags.supersedes:
            self.store.set_superseded(tags.tenant_id, tags.supersedes, True)
        return FileOutcome(doc_id, "written", chunks=n)

    def prepare_upload(
        self, data: bytes, doc_id: str, tags: DocumentTags, doc_hash: str, progress: Progress | None = None,
    ) -> PreparedUpload:
        """Parse, chunk, detect PII, mask and embed one upload; touches neither store nor ledger,
        so it can run in another process (the result pickles)."""
        if progress:
            progress("parsing", 0, 1)
        ahead: _AheadEncoder | None = None
        try:
            parsed = parse_bytes(data, doc_id, self.archive_limits)
            if progress:
                progress("pii", 0, 1)
            chunk_spans = self._chunk_spans(doc_id, parsed)
            if self.detector is not None and len(parsed.text) > PII_WINDOW_CHARS:
                ahead = _AheadEncoder(self.embedder, self.embed_batch)
                pii = self._detect_ahead(doc_id, data, tags, doc_hash, parsed, chunk_spans, ahead, progress)
            else:
                pii = self._detect([parsed])[0]
            prepared = self._prepare(doc_id, data, tags, superseded=False, doc_hash=doc_hash, parsed=parsed, pii=pii,
                                     spans=chunk_spans)
            encoded = ahead.results() if ahead is not None else None
        except ParseError as exc:
            raise IngestError(str(exc)) from None
        finally:
            if ahead is not None:
                ahead.close()
        try:
            vectors = embed_chunks(self.embedder, prepared.embed_texts, batch_size=self.embed_batch,
                                   progress=progress, encoded=encoded)
        except Exception as exc:
            raise IngestError(f"embedding failed: {exc}") from None
        return PreparedUpload(doc_id, prepared.chunks, vectors)

    def _detect_ahead(
        self, rel: str, data: bytes, tags: DocumentTags, doc_hash: str, parsed: ParsedDocument,
        chunk_spans: list[ChunkSpan], ahead: _AheadEncoder, progress: Progress | None,
    ) -> list[PiiSpan]:
        """PII spans of one long document, window by window; meanwhile every chunk whose spans
        are settled is embedded ahead on a worker thread, so the model works while spaCy does.

        What is encoded ahead is only a cache by text: the chunks are built again from the final
        spans afterwards, and any text that came out differently is encoded then.
        """
        n_windows = len(text_windows(parsed.text))
        state = {"chunk": 0, "block": 0, "windows": 0}
        masks: dict[str, str] = {}

        def settled(bound: int, resolved: list[PiiSpan]) -> None:
            state["windows"] = min(n_windows, state["windows"] + 1)
            if progress:
                progress("pii", state["windows"], n_windows)
            # Heading masks of the headings before the bound are final: extend them once.
            b = state["block"]
            while b < len(parsed.blocks) and parsed.blocks[b].end <= bound:
                blk = parsed.blocks[b]
                hspans = _clip_spans(resolved, blk.start, blk.end) if (blk.is_title and self.mask) else []
                if hspans and self.mask is not None:
                    heading = parsed.text[blk.start : blk.end][:200]
                    masks[heading] = self.mask(heading, hspans)
                b += 1
            state["block"] = b
            i = j = state["chunk"]
            while j < len(chunk_spans) and chunk_spans[j].end <= bound:
                j += 1
            if j > i:
                part = self._prepare(rel, data, tags, superseded=False, doc_hash=doc_hash, parsed=parsed,
                                     pii=resolved, spans=chunk_spans[i:j], first=i, heading_masks=dict(masks),
                                     screen=False)
                ahead.submit([t for w in part.embed_texts for t in w])
                state["chunk"] = j

        return self._detect([parsed], step=1, settled=settled)[0]

    def ingest_corpus(
        self, root: Path, manifest_path: Path | None = None, *, prune: bool = False, confirm_prune: bool = False,
        progress: bool = True,
    ) -> IngestReport:
        """Ingest every file under ``root`` using the manifest's tags. Raises ManifestError only
        when the manifest itself is unusable (then nothing is touched).

        ``prune`` lists (in ``report.prune_planned``) the documents this root wrote earlier, of
        the tenants this run ingested, whose files are gone; only with ``confirm_prune`` are
        they deleted. Documents of other roots, other tenants and uploads are never touched.
        """
        t0 = time.perf_counter()
        root = root.resolve()
        if not root.is_dir():
            raise ManifestError(f"corpus folder not found: {root}")
        manifest_path = manifest_path or root / "manifest.yaml"
        manifest: Manifest = load_manifest(manifest_path)
        report = IngestReport()
        candidates = _corpus_files(root, manifest_path, manifest, report)
        report.files = len(candidates)
        superseded = manifest.superseded_ids([r for _, r in candidates])
        existing = self.store.document_hashes()
        seen: set[tuple[str, str]] = set()
        root_id = str(root)

        self._run_files(candidates, manifest, superseded, existing, seen, root, report, progress)

        if prune:
            self._prune(root_id, existing, seen, confirm_prune, report)
        optimize = getattr(self.store, "optimize", None)
        if callable(optimize) and (report.documents_written or report.deleted):
            optimize()
        report.seconds = time.perf_counter() - t0
        return report

    def _run_files(
        self, candidates: list[tuple[Path, str]], manifest: Manifest, superseded: set[tuple[str, str]], existing: dict,
        seen: set[tuple[str, str]], root: Path, report: IngestReport, progress: bool,
    ) -> None:
        """Parse, detect and embed the files; embedding of one batch overlaps parsing of the next."""
        root_id = str(root)
        bar = _progress(len(candidates), progress)
        parsed_batch: list[_Parsed] = []
        pending: list[_Prepared] = []
        pending_windows = 0
        # Embedding (torch, releases the GIL) runs on a worker thread while this thread
        # parses the next files, so parsing hides behind the model instead of adding to it.
        # One batch in flight at a time bounds memory.
        writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest-embed")
        in_flight: Future[None] | None = None

        def submit(batch: list[_Prepared]) -> None:
            nonlocal in_flight
            if in_flight is not None:
                in_flight.result()
            # Claims are written before the documents (see ingestion/sources.py).
            self.ledger.claim([(p.tags.tenant_id, p.rel) for p in batch], root_id)
            in_flight = writer.submit(self._write, batch, report)

        def flush_parsed() -> None:
            nonlocal pending_windows
            # PII detection runs over several documents at once (spaCy nlp.pipe batching).
            for outcome in self._prepare_batch(parsed_batch):
                if isinstance(outcome, FileOutcome):
                    report.outcomes.append(outcome)
                else:
                    pending.append(outcome)
                    pending_windows += sum(len(w) for w in outcome.embed_texts)
            parsed_batch.clear()

        try:
            for path, rel in candidates:
                bar.set_postfix_str(rel[-40:], refresh=False)
                outcome = self._one_file(path, rel, manifest, superseded, existing, seen, root)
                if isinstance(outcome, FileOutcome):
                    if outcome.status == "skipped":
                        report.documents_skipped += 1
                    report.outcomes.append(outcome)
                else:
                    parsed_batch.append(outcome)
                    # Until the model has work the first batch is kept small: parsing and PII
                    # detection before the first embedding are time the model waits.
                    started = in_flight is not None
                    if len(parsed_batch) >= (16 if started else 4):
                        flush_parsed()
                    # Embed across documents so small files still fill model batches. Counted in
                    # the texts the model sees (a long chunk is several windows): the first group
                    # goes as soon as it fills one model batch, so the model starts early.
                    if pending_windows >= self.embed_batch * (4 if started else 1):
                        submit(list(pending))
                        pending.clear()
                        pending_windows = 0
                bar.update(1)
            flush_parsed()
            if pending:
                submit(list(pending))
            if in_flight is not None:
                in_flight.result()
        finally:
            writer.shutdown(wait=True)
            bar.close()

    def _prune(
        self, root_id: str, existing: dict, seen: set[tuple[str, str]], confirm: bool, report: IngestReport
    ) -> None:
        """List (and with ``confirm`` delete) what this root wrote earlier, of the tenants of this
        run, whose files are gone; other roots, tenants and uploads are never touched."""
        run_tenants = {t for t, _ in seen}
        gone = sorted(
            key for key in self.ledger.documents_of(root_id)
            if key in existing and key not in seen and key[0] in run_tenants
        )
        report.prune_planned = [f"{t}:{d}" for t, d in gone]
        if confirm:
            for tenant_id, doc_id in gone:
                self.store.delete_document(tenant_id, doc_id)
                report.deleted.append(f"{tenant_id}:{doc_id}")
            self.ledger.release(gone)

    def _one_file(
        self, path: Path, rel: str, manifest: Manifest, superseded: set[tuple[str, str]],
        existing: dict[tuple[str, str], str], seen: set[tuple[str, str]], root: Path,
    ) -> FileOutcome | _Parsed:
        tags = manifest.resolve(rel)
        if tags is None:
            return FileOutcome(rel, "rejected", reason="no permission tags in the manifest (fail closed: not indexed)")
        if isinstance(tags, str):
            return FileOutcome(rel, "rejected", reason=tags)
        if rel.startswith(UPLOAD_PREFIX):
            # API uploads own this namespace (their ids carry the upload's level); a corpus
            # file there could collide with an upload the operator cannot see.
            return FileOutcome(rel, "rejected", reason=f"the folder {UPLOAD_PREFIX!r} is reserved for API uploads")
        if Path(rel).suffix.lower() not in SUPPORTED_EXTENSIONS:
            return FileOutcome(rel, "rejected", reason=f"unsupported file type {Path(rel).suffix or '(none)'!r}")
        size = path.stat().st_size
        if size > self.max_file_bytes:
            return FileOutcome(rel, "rejected", reason=f"file is {size:,} bytes; the limit is {self.max_file_bytes:,}")
        key = (tags.tenant_id, rel)
        owner = self.ledger.root_of(*key)
        if key in existing and owner is not None and owner != str(root):
            # Same tenant, same relative path, another root: never overwrite the other file.
            other = f"{owner}/{rel}" if owner != UPLOAD_ROOT else f"the API upload {rel}"
            return FileOutcome(
                rel, "rejected",
                reason=f"document id collision: {root / rel} and {other} (tenant {tags.tenant_id}) would share "
                f"document id {rel!r}; rename one of them or remove the other from the index first",
            )
        seen.add(key)
        data = path.read_bytes()
        is_superseded = key in superseded
        doc_hash = self._doc_hash(data, tags, is_superseded)
        if existing.get(key) == doc_hash:
            return FileOutcome(rel, "skipped")
        try:
            return _Parsed(rel, data, tags, is_superseded, doc_hash, parse_bytes(data, rel, self.archive_limits))
        except ParseError as exc:
            return FileOutcome(rel, "rejected", reason=str(exc))
        except Exception as exc:  # a bug or library failure on one file must not stop the batch
            return FileOutcome(rel, "failed", reason=f"{type(exc).__name__}: {exc}")

    def _prepare_batch(self, items: list[_Parsed]) -> list[FileOutcome | _Prepared]:
        try:
            pii: list[list[PiiSpan] | Exception] = list(self._detect([it.parsed for it in items]))
        except Exception:
            # One file can sink a batched call: retry each file alone so only that file fails
            # (a failing file is never indexed unscanned).
            pii = []
            for it in items:
                try:
                    pii.append(self._detect([it.parsed])[0])
                except Exception as exc:
                    pii.append(exc)
        out: list[FileOutcome | _Prepared] = []
        for it, spans in zip(items, pii, strict=True):
            if isinstance(spans, Exception):
                reason = f"PII detection failed: {type(spans).__name__}: {spans}"
                out.append(FileOutcome(it.rel, "failed", reason=reason))
                continue
            try:
                out.append(self._prepare(it.rel, it.data, it.tags, superseded=it.superseded, doc_hash=it.doc_hash,
                                         parsed=it.parsed, pii=spans))
            except ParseError as exc:
                out.append(FileOutcome(it.rel, "rejected", reason=str(exc)))
            except Exception as exc:
                out.append(FileOutcome(it.rel, "failed", reason=f"{type(exc).__name__}: {exc}"))
        return out


def _progress(total: int, enabled: bool):
    from tqdm import tqdm

    return tqdm(total=total, desc="ingest", unit="file", disable=not enabled, dynamic_ncols=True)


def vectors_for(embedder: Embedder, chunks: Sequence[Chunk]) -> np.ndarray:
    """One pooled vector per chunk, from the windows ingestion embeds (tools that want one a chunk)."""
    windows = [embed_windows(c, embedder) for c in chunks]
    vecs = embed_chunks(embedder, windows)
    if not vecs:
        return np.zeros((0, embedder.dim), dtype=np.float32)
    return pool_windows(np.concatenate(vecs), [len(w) for w in windows])
