"""What a webhook receiver gets for an escalation event."""

from __future__ import annotations

from typing import Any

from copilot.governance.escalations.tables import EscalationDraft


def event_payload(row: EscalationDraft) -> dict[str, Any]:
    """The note (caller text redacted for storage, evidence redacted for its drafter) and its status."""
    return {
        "draft_id": row.id,
        "tenant_id": row.tenant_id,
        "access_level": row.access_level,
        "status": row.status,
        "customer": row.customer,
        "project_ref": row.project_ref,
        "severity": row.severity,
        "created_by": row.created_by,
        "decided_by": row.decided_by,
        "markdown": row.markdown,
        "evidence": [
            {k: e[k] for k in ("n", "doc_id", "title", "section", "page")} for e in row.note.get("evidence", [])
        ],
    }
