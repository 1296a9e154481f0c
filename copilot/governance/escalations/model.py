"""The escalation request and note model (plain dataclasses, no storage, no retrieval)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from copilot.governance.escalations.errors import DraftError

SEVERITIES = ("P1", "P2", "P3", "P4")
# Who may draft, and who may decide (never the drafter: see service.EscalationService).
DRAFTER_ROLES = ("partner_manager", "consultant", "vendor_staff", "support_lead")
APPROVER_ROLE = "partner_manager"
APPROVER_ROLES = (APPROVER_ROLE,)

STATUS_DRAFT = "draft"
STATUS_APPROVED = "approved"
STATUS_REJECTED = "rejected"
STATUSES = (STATUS_DRAFT, STATUS_APPROVED, STATUS_REJECTED)

SECTION_TITLES: dict[str, str] = {
    "summary": "Summary",
    "impact": "Impact",
    "contractual_basis": "Contractual basis",
    "sla_status": "SLA status",
    "scope_check": "Scope check",
    "proposed_actions": "Proposed actions",
    "escalation_path": "Escalation path",
}
# What a section says when the principal's documents hold nothing for it.
GAP_TEXT: dict[str, str] = {
    "impact": "No priority definition for {severity} found in the documents available to you.",
    "contractual_basis": "No contract obligations found in the documents available to you.",
    "sla_status": "No SLA clause for {severity} found in the documents available to you.",
    "scope_check": "No statement of work matching {project} found in the documents available to you.",
    "proposed_actions": "No relevant release notes or hand-over steps found in the documents available to you.",
    "escalation_path": "No escalation path found in the documents available to you.",
}


@dataclass(frozen=True)
class DraftRequest:
    """What the user tells us about the issue. Nothing here is treated as evidence."""

    customer: str
    project_ref: str
    summary: str
    severity: str
    observed_facts: tuple[str, ...] = ()

    def validated(self) -> DraftRequest:
        sev = self.severity.strip().upper()
        if sev not in SEVERITIES:
            raise DraftError(f"severity must be one of {', '.join(SEVERITIES)}, got {self.severity!r}")
        customer, ref, summary = self.customer.strip(), self.project_ref.strip(), self.summary.strip()
        if not customer or not summary:
            raise DraftError("customer and summary are required")
        facts = tuple(f.strip() for f in self.observed_facts if f and f.strip())
        if len(facts) > 20 or any(len(f) > 1000 for f in facts) or len(summary) > 2000:
            raise DraftError("too many or too long observed facts (at most 20, 1000 characters each)")
        return DraftRequest(customer, ref, summary, sev, facts)

    def mapped(self, fn: Any) -> DraftRequest:
        """The same request with every caller-typed text passed through ``fn`` (e.g. redaction)."""
        return DraftRequest(
            fn(self.customer), fn(self.project_ref), fn(self.summary), self.severity,
            tuple(fn(f) for f in self.observed_facts),
        )

    @classmethod
    def from_stored(cls, data: dict[str, Any]) -> DraftRequest:
        return cls(**{**data, "observed_facts": tuple(data.get("observed_facts", ()))})


@dataclass
class NoteSentence:
    """One sentence of the note. ``kind``: evidence (cited), reported (the user's words) or gap."""

    text: str
    kind: Literal["evidence", "reported", "gap"]
    citations: list[int] = field(default_factory=list)
    label: str | None = None  # e.g. "Excluded": where the sentence stands in its document


@dataclass
class NoteSection:
    key: str
    title: str
    sentences: list[NoteSentence] = field(default_factory=list)


@dataclass
class EvidenceItem:
    """A cited chunk, as the reader sees it (snippet redacted for the drafting principal)."""

    n: int
    chunk_id: str
    doc_id: str
    tenant_id: str
    doc_type: str
    title: str
    section: str
    page: int | None
    snippet: str
    access_level: int = 0  # the chunk's level: the note's level is the highest of these


@dataclass
class Note:
    sections: list[NoteSection]
    evidence: list[EvidenceItem]
    mode: Literal["extractive", "generative"]
    notices: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Note:
        return cls(
            sections=[
                NoteSection(s["key"], s["title"], [NoteSentence(**x) for x in s["sentences"]])
                for s in data["sections"]
            ],
            evidence=[EvidenceItem(**e) for e in data["evidence"]],
            mode=data.get("mode", "extractive"),
            notices=list(data.get("notices", [])),
        )


def request_from_fields(data: dict[str, Any] | Iterable[tuple[str, Any]]) -> DraftRequest:
    """Build a :class:`DraftRequest` from API/chat fields (observed facts as a list or newline text)."""
    d = dict(data)
    facts = d.get("observed_facts") or []
    if isinstance(facts, str):
        facts = [ln.strip(" -*\t") for ln in facts.splitlines()]
    return DraftRequest(
        customer=str(d.get("customer") or ""),
        project_ref=str(d.get("project_ref") or ""),
        summary=str(d.get("summary") or ""),
        severity=str(d.get("severity") or ""),
        observed_facts=tuple(str(f) for f in facts if str(f).strip()),
    )
