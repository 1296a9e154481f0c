"""Request and response models of the HTTP API (with OpenAPI examples).

Request models forbid unknown fields: a body that tries to name a tenant, level or
roles is rejected with 422, because the principal comes only from credentials.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_DOC_ID_RE = re.compile(r"^[^\x00-\x1f\x7f]{1,500}$")


def _clean_text(value: str, what: str) -> str:
    if _CONTROL_RE.search(value):
        raise ValueError(f"{what} contains control characters")
    if not value.strip():
        raise ValueError(f"{what} must not be empty")
    return value.strip()


def _clean_doc_ids(value: list[str] | None) -> list[str] | None:
    if value is None:
        return None
    for d in value:
        if not _DOC_ID_RE.match(d):
            raise ValueError("doc_ids must be 1-500 printable characters each")
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SearchRequest(_Strict):
    query: str = Field(min_length=1, max_length=2000, description="Question or keywords")
    k: int = Field(default=10, ge=1, le=50, description="Number of results (at most 50)")
    mode: Literal["hybrid", "dense", "fulltext"] = "hybrid"
    doc_ids: list[str] | None = Field(
        default=None, max_length=100,
        description="Optional scope: only these documents (ids you cannot see behave like absent ones)",
    )

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"query": "cutover go/no-go criteria", "k": 5, "mode": "hybrid"}]},
    )

    @field_validator("query")
    @classmethod
    def _q(cls, v: str) -> str:
        return _clean_text(v, "query")

    @field_validator("doc_ids")
    @classmethod
    def _d(cls, v: list[str] | None) -> list[str] | None:
        return _clean_doc_ids(v)


class SearchHit(BaseModel):
    rank: int
    chunk_id: str
    doc_id: str
    title: str
    section: str
    page: int | None
    char_start: int
    char_end: int
    score: float
    doc_type: str
    snippet: str = Field(description="Chunk text with personal data redacted for this caller")


class SearchResponse(BaseModel):
    results: list[SearchHit]
    trace_id: str
    latency_ms: float

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "results": [
                        {
                            "rank": 1, "chunk_id": "3f0c...", "doc_id": "guides/go-live-runbook.md",
                            "title": "Go-live Runbook", "section": "Go/no-go", "page": None, "char_start": 812,
                            "char_end": 1630, "score": 0.0328, "doc_type": "playbook",
                            "snippet": "The go/no-go meeting is chaired by <PERSON_1> ...",
                        }
                    ],
                    "trace_id": "9b1d3c0e5a7f4e2c8d6b1a2f3e4d5c6b",
                    "latency_ms": 41.2,
                }
            ]
        }
    )


class AskRequest(_Strict):
    question: str = Field(min_length=1, max_length=2000)
    doc_ids: list[str] | None = Field(default=None, max_length=100)

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"question": "Who chairs the go/no-go meeting before cutover?"}]},
    )

    @field_validator("question")
    @classmethod
    def _q(cls, v: str) -> str:
        return _clean_text(v, "question")

    @field_validator("doc_ids")
    @classmethod
    def _d(cls, v: list[str] | None) -> list[str] | None:
        return _clean_doc_ids(v)


class CitationOut(BaseModel):
    n: int
    doc_id: str
    title: str
    section: str
    page: int | None
    chunk_id: str
    char_start: int
    char_end: int
    snippet: str


class AskResponse(BaseModel):
    answer: str
    citations: list[CitationOut]
    grounded: bool
    refused: bool
    mode: str
    confidence: float
    removed_sentences: int = 0
    latency_ms: float
    trace_id: str

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "answer": "The go/no-go meeting is held 48 hours before cutover and chaired by the partner's "
                    "engagement lead [1].",
                    "citations": [
                        {
                            "n": 1, "doc_id": "guides/go-live-runbook.md",
                            "title": "Go-live Runbook", "section": "Go/no-go", "page": None,
                            "chunk_id": "3f0c...", "char_start": 812, "char_end": 930,
                            "snippet": "The go/no-go meeting is held 48 hours before cutover ...",
                        }
                    ],
                    "grounded": True, "refused": False, "mode": "extractive", "confidence": 0.71,
                    "removed_sentences": 0, "latency_ms": 84.0, "trace_id": "9b1d3c0e5a7f4e2c8d6b1a2f3e4d5c6b",
                }
            ]
        }
    )


class DocumentOut(BaseModel):
    doc_id: str
    tenant_id: str
    title: str
    doc_type: str
    access_level: str
    version: str
    chunks: int


class DocumentList(BaseModel):
    documents: list[DocumentOut]


class UploadResult(BaseModel):
    doc_id: str
    status: str
    chunks: int


class JobLinks(BaseModel):
    self: str
    events: str


class JobAccepted(BaseModel):
    """``POST /v1/documents`` answer (202): the upload is stored and queued for ingestion."""

    job_id: str
    status: Literal["queued"]
    doc_id: str
    links: JobLinks


class JobProgress(BaseModel):
    done: int
    total: int


class JobError(BaseModel):
    code: str
    message: str


class JobOut(BaseModel):
    """An upload job: ``status`` queued → running → succeeded | failed; ``stage`` says where it is."""

    model_config = ConfigDict(json_schema_extra={"example": {
        "job_id": "5f0c…", "status": "running", "stage": "embedding", "doc_id": "uploads/partner/notes.md",
        "file_name": "notes.md", "size_bytes": 204800, "progress": {"done": 128, "total": 212}, "attempts": 1,
        "created_at": "2026-12-01T17:00:00+00:00", "updated_at": "2026-12-01T17:00:03+00:00",
        "result": None, "error": None, "note": None}})

    job_id: str
    status: Literal["queued", "running", "succeeded", "failed"]
    stage: str
    doc_id: str
    file_name: str
    size_bytes: int
    progress: JobProgress
    attempts: int
    created_at: str | None
    updated_at: str | None
    result: UploadResult | None = None
    error: JobError | None = None
    note: str | None = None


class FeedbackRequest(_Strict):
    trace_id: str = Field(min_length=8, max_length=64, pattern=r"^[0-9a-f]+$")
    rating: Literal["up", "down"]
    comment: str = Field(default="", max_length=2000)

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"trace_id": "9b1d3c0e5a7f4e2c8d6b1a2f3e4d5c6b", "rating": "up", "comment": "spot on"}]
        },
    )

    @field_validator("comment")
    @classmethod
    def _c(cls, v: str) -> str:
        if _CONTROL_RE.search(v):
            raise ValueError("comment contains control characters")
        return v


class FeedbackResult(BaseModel):
    status: Literal["recorded", "changed", "unchanged"] = Field(
        description="recorded: first vote; changed: replaced a different vote; unchanged: same vote again"
    )
    trace_id: str
    rating: Literal["up", "down"] = Field(description="The caller's current vote on this answer")


class FeedbackVote(BaseModel):
    trace_id: str
    rating: Literal["up", "down"] | None = Field(description="The caller's current vote; null before the first")


class ErrorDetail(BaseModel):
    code: str
    message: str


class ErrorResponse(BaseModel):
    error: ErrorDetail


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    s: {"model": ErrorResponse, "description": d}
    for s, d in {
        400: "Bad request",
        401: "Missing or invalid credentials",
        403: "Not allowed for this principal",
        404: "Not found (or not visible to this principal)",
        413: "Request body too large",
        415: "Unsupported content type",
        422: "Invalid request body",
        429: "Rate limit exceeded",
    }.items()
}
