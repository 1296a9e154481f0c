"""Escalation notes: evidence-backed drafts, stored with a human (four-eyes) approval step.

A partner manager or consultant describes a customer issue; :class:`EscalationDrafter` retrieves,
for that principal only, evidence of the document types each section plan names (plans are data:
see :mod:`.plans`) and writes a note whose every factual sentence is copied from a cited chunk
(or, with an LLM, rewritten and kept only where the citation check confirms it).
:class:`EscalationService` stores drafts (``draft`` -> ``approved`` | ``rejected``) under the
access rule of :mod:`retrievers.access`, and emits ``escalation.*`` webhooks through the outbox.

Modules: ``model`` (request and note), ``markdown``, ``plans``, ``drafter``, ``rewrite`` (LLM),
``tables`` (ORM), ``service``, ``errors``, ``webhook`` (event payload).
"""

from copilot.governance.escalations.drafter import EscalationDrafter, ResponseRedactorLike, default_redactor
from copilot.governance.escalations.errors import Conflict, DraftError, Forbidden, NotFound
from copilot.governance.escalations.markdown import render_markdown
from copilot.governance.escalations.model import (
    APPROVER_ROLE,
    APPROVER_ROLES,
    DRAFTER_ROLES,
    GAP_TEXT,
    SECTION_TITLES,
    SEVERITIES,
    STATUS_APPROVED,
    STATUS_DRAFT,
    STATUS_REJECTED,
    STATUSES,
    DraftRequest,
    EvidenceItem,
    Note,
    NoteSection,
    NoteSentence,
    request_from_fields,
)
from copilot.governance.escalations.plans import SectionPlan, load_plans
from copilot.governance.escalations.rewrite import CompleteFn, rewrite_with_llm
from copilot.governance.escalations.service import DraftView, EscalationService, note_access
from copilot.governance.escalations.tables import EscalationDraft, EscalationTransition
from copilot.governance.escalations.webhook import event_payload

__all__ = [
    "APPROVER_ROLE", "APPROVER_ROLES", "DRAFTER_ROLES", "GAP_TEXT", "SECTION_TITLES", "SEVERITIES",
    "STATUSES", "STATUS_APPROVED", "STATUS_DRAFT", "STATUS_REJECTED", "CompleteFn", "Conflict", "DraftError",
    "DraftRequest", "DraftView", "EscalationDraft", "EscalationDrafter", "EscalationService",
    "EscalationTransition", "EvidenceItem", "Forbidden", "Note", "NoteSection", "NoteSentence", "NotFound",
    "ResponseRedactorLike", "SectionPlan", "default_redactor", "event_payload", "load_plans", "note_access",
    "render_markdown", "request_from_fields", "rewrite_with_llm",
]
