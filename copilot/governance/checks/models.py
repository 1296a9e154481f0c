"""Result models of the governance checks (also the API response bodies)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

Severity = Literal["low", "medium", "high", "critical"]
SEVERITIES: tuple[str, ...] = ("low", "medium", "high", "critical")
ArtifactStatus = Literal["found", "missing", "ambiguous"]


class Citation(BaseModel):
    """Where a statement comes from: a document, its section and (for SOW clauses) a character span."""

    doc_id: str
    title: str | None = None
    section: str = ""
    char_start: int | None = None
    char_end: int | None = None
    chunk_id: str | None = None


class Finding(BaseModel):
    """One deviation of a SOW from the approved scope language. A finding is a question for a
    reviewer, not a verdict."""

    finding_id: str
    rule_id: str
    rule_title: str
    rule_text: str
    severity: Severity
    kind: Literal["deviation", "missing"]
    message: str
    clause_text: str | None = None
    similarity: float | None = Field(default=None, description="cosine similarity of the clause to the rule text")
    sow_citation: Citation | None = None
    template_citation: Citation


class SowCheckResult(BaseModel):
    check_id: str
    doc_id: str
    title: str | None = None
    clauses: int
    rules_checked: list[str]
    findings: list[Finding]
    review_item_ids: list[str] = Field(default_factory=list)


class ArtifactResult(BaseModel):
    artifact_id: str
    name: str
    status: ArtifactStatus
    reason: str
    signature_required: bool = False
    citation: Citation | None = None
    evidence_text: str | None = None
    template_citation: Citation
    review_item_id: str | None = None


class MilestoneCheckResult(BaseModel):
    check_id: str
    project: str
    milestone: str
    milestone_title: str
    project_documents: int = Field(description="visible documents that name the project")
    artifacts: list[ArtifactResult]
    review_item_ids: list[str] = Field(default_factory=list)

    @property
    def missing(self) -> list[str]:
        return [a.artifact_id for a in self.artifacts if a.status == "missing"]
