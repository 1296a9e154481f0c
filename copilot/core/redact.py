"""The one place where text leaving the service is redacted.

Every answer, citation snippet, SSE event, search result, audit row and logged
question passes through a :class:`ResponseRedactor` made for one request: it knows
which entity types the principal's policy reveals (the default policy reveals
nothing) and keeps one :class:`PlaceholderMap`, so ``<PERSON_1>`` means the same
person everywhere in one response and nothing links placeholders across responses.

Chunk text is redacted with the spans stored at ingest (offsets into
``chunk.text``); free text (questions, comments, LLM output) is re-detected.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from guardrails.redaction import PlaceholderMap, RedactionPolicy, redact
from guardrails.spans import PiiSpan
from retrievers.access import Principal
from retrievers.schema import Chunk


@lru_cache(maxsize=8)
def _policy_from(path: str | None) -> RedactionPolicy:
    if path is None:
        return RedactionPolicy.default()
    return RedactionPolicy.from_yaml(Path(path))


def load_policy(path: Path | str | None) -> RedactionPolicy:
    """The configured reveal policy; without one nothing is revealed."""
    return _policy_from(str(path) if path else None)


def shift_spans(spans: Sequence[PiiSpan], start: int, end: int) -> list[PiiSpan]:
    """Spans touching [start, end) re-based to that slice (overlaps are kept, clipped later)."""
    return [
        PiiSpan(s.entity_type, s.start - start, s.end - start, s.score)
        for s in spans
        if s.end > start and s.start < end
    ]


# Safety net under the detector: e-mail addresses are unambiguous, and a detector that validates
# top-level domains misses reserved ones such as ``.example`` or internal ``.local`` hosts.
_EMAIL_RE = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")


def safety_net_spans(text: str) -> list[PiiSpan]:
    """Spans every outgoing text gets in addition to stored or detected ones."""
    return [PiiSpan("EMAIL_ADDRESS", m.start(), m.end(), 1.0) for m in _EMAIL_RE.finditer(text)]


def collapse_ws(text: str) -> str:
    return " ".join(text.split())


class ResponseRedactor:
    """Redacts everything of one response for one principal."""

    def __init__(self, principal: Principal, policy: RedactionPolicy, detector: Any | None):
        self.reveal = policy.revealed_types(principal.access_level.label, principal.roles)
        self.detector = detector
        self.placeholders = PlaceholderMap()
        self._detected: dict[str, list[PiiSpan]] = {}

    def _detect(self, text: str) -> list[PiiSpan]:
        if text not in self._detected:
            found = list(self.detector.detect(text)) if self.detector is not None else []
            self._detected[text] = found + safety_net_spans(text)
        return self._detected[text]

    def chunk_slice(self, chunk: Chunk, start: int = 0, end: int | None = None) -> str:
        """``chunk.text[start:end]`` redacted with the chunk's stored spans; whitespace collapsed."""
        end = len(chunk.text) if end is None else end
        piece = chunk.text[start:end]
        spans = shift_spans(chunk.pii_spans, start, end) + safety_net_spans(piece)
        return collapse_ws(redact(piece, spans, reveal=self.reveal, placeholders=self.placeholders))

    def chunk_text(self, chunk: Chunk) -> str:
        return self.chunk_slice(chunk)

    def free_text(self, text: str) -> str:
        """Text without stored spans (questions, comments, generated answers): detect, then redact."""
        if not text:
            return text
        return redact(text, self._detect(text), reveal=self.reveal, placeholders=self.placeholders)

    def for_log(self, text: str) -> str:
        """Logged text (audit rows): nothing is ever revealed, whatever the principal may see."""
        if not text:
            return text
        return redact(text, self._detect(text), placeholders=PlaceholderMap())


def known_value_spans(text: str, known: Mapping[str, str]) -> list[PiiSpan]:
    """Spans of personal-data values already found in indexed documents (value -> entity type).

    A name the detector misses in a short question ("Tobias Engström contact details")
    is still masked when ingestion found that exact value in a document.
    """
    spans = []
    for value, etype in known.items():
        start = text.find(value)
        while start >= 0:
            spans.append(PiiSpan(etype, start, start + len(value), 1.0))
            start = text.find(value, start + 1)
    return spans


def redact_for_log(text: str, detector: Any | None, known: Mapping[str, str] | None = None) -> str:
    """Redact text for the audit log or other logs: detected spans, values known from the index and
    the safety net; nothing revealed."""
    if not text:
        return text
    spans = (list(detector.detect(text)) if detector is not None else []) + safety_net_spans(text)
    if known:
        spans += known_value_spans(text, known)
    return redact(text, spans, placeholders=PlaceholderMap())
