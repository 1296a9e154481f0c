"""Running governance checks for a principal: input validation, the checks, review items.

Shared by the HTTP API and the CLI so both apply the same rules:

- a SOW comes from an upload (bytes + file name) or from the index by ``doc_id``; an
  indexed SOW is read only through the principal's access filter, so a document the
  principal may not see is "not found", exactly like one that does not exist;
- bad input raises :mod:`copilot.core.errors` domain errors (clear 4xx JSON in the API);
- every finding becomes an open review item in the principal's tenant (or the SOW's
  partner tenant when vendor staff act for it); stored text is redacted for logs.
"""

from __future__ import annotations

import hashlib
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from copilot.core.errors import BadRequest, NotFound, PayloadTooLarge, ServiceUnavailable, Unprocessable
from copilot.governance.checks.milestone import MilestoneChecker, UnknownMilestoneError
from copilot.governance.checks.models import ArtifactResult, Finding, MilestoneCheckResult, SowCheckResult
from copilot.governance.checks.sow import (
    NotASowError,
    SowChecker,
    SowDocument,
    clauses_from_parsed,
    document_from_chunks,
    load_rule_cues,
    looks_like_sow,
)
from copilot.governance.checks.templates import TemplateError, load_milestone_checklists, load_sow_template
from copilot.governance.reviews import NewReviewItem, ReviewQueue
from ingestion.parsing import ParseError, parse_bytes
from retrievers.access import SHARED_TENANT, AccessLevel, Principal, RecordAccess, access_filter
from retrievers.retriever import Retriever
from retrievers.schema import chunk_uuid

Redact = Callable[[str], str]


def _identity(text: str) -> str:
    return text


@dataclass
class GovernanceChecks:
    """The SOW and milestone checks over one index, with the templates of one folder."""

    retriever: Retriever
    templates_dir: Path
    queue: ReviewQueue | None = None
    max_sow_bytes: int = 5 * 1024 * 1024

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._sow: tuple[int, SowChecker] | None = None
        self._milestone: tuple[int, MilestoneChecker] | None = None

    # -- checkers (rebuilt when a template file changes) ------------------------------------
    def sow_checker(self) -> SowChecker:
        try:
            template = load_sow_template(self.templates_dir)
            cues = load_rule_cues(self.templates_dir)
        except TemplateError as exc:
            raise ServiceUnavailable(f"the SOW template is not available: {exc}") from None
        key = hash((id(template), id(cues)))
        with self._lock:
            if self._sow is None or self._sow[0] != key:
                self._sow = (key, SowChecker(template, self.retriever.embedder, cues=cues))
            return self._sow[1]

    def milestone_checker(self) -> MilestoneChecker:
        try:
            checklists = load_milestone_checklists(self.templates_dir)
        except TemplateError as exc:
            raise ServiceUnavailable(f"the milestone checklists are not available: {exc}") from None
        with self._lock:
            if self._milestone is None or self._milestone[0] != id(checklists):
                self._milestone = (id(checklists), MilestoneChecker(checklists, self.retriever))
            return self._milestone[1]

    def require_visible_template(self, doc_id: str, principal: Principal) -> None:
        """A check reveals its template's rules; a caller who may not read the indexed template
        cannot run it (404, like a missing template). A template that is not indexed is plain
        configuration and open to every authenticated caller."""
        store = self.retriever.store
        if store.list_documents(access_filter(principal, doc_ids=[doc_id])):
            return
        vendor = Principal("template-check", SHARED_TENANT, AccessLevel.RESTRICTED)
        if store.list_documents(access_filter(vendor, doc_ids=[doc_id])):
            raise NotFound("no check template is visible to you")

    # -- SOW input ---------------------------------------------------------------------------
    def sow_from_upload(self, data: bytes, filename: str) -> SowDocument:
        """Parse an uploaded SOW; raises a 4xx domain error for empty, unreadable or non-SOW files."""
        name = Path(filename or "").name
        if not name:
            raise BadRequest("the uploaded SOW needs a file name with an extension (.md, .txt, .html, .docx, .pdf)")
        if len(data) > self.max_sow_bytes:
            raise PayloadTooLarge(f"the SOW is {len(data):,} bytes; the limit is {self.max_sow_bytes:,}")
        if not data.strip():
            raise BadRequest(f"{name}: the SOW is empty", code="empty_document")
        try:
            parsed = parse_bytes(data, name)
        except ParseError as exc:
            raise BadRequest(str(exc), code="unreadable_document") from None
        doc_id = f"upload:{name}"
        doc = SowDocument(doc_id, parsed.title or name, parsed.text, clauses_from_parsed(parsed),
                          hashlib.sha256(data).hexdigest())
        self._require_sow(doc)
        return doc

    def sow_from_index(self, doc_id: str, principal: Principal) -> tuple[SowDocument, str]:
        """An indexed SOW the principal may see, rebuilt from its chunks; returns (document, tenant)."""
        doc_id = (doc_id or "").strip()
        if not doc_id:
            raise BadRequest("doc_id is empty")
        store = self.retriever.store
        flt = access_filter(principal, doc_ids=[doc_id])
        infos = [d for d in store.list_documents(flt) if d.doc_id == doc_id]
        if not infos:
            raise NotFound(f"no document {doc_id!r} is visible to you")
        # The principal's own tenant first when the same path exists in several visible tenants.
        info = sorted(infos, key=lambda d: (d.tenant_id != principal.tenant_id, d.tenant_id))[0]
        if info.doc_type not in ("sow", "other"):
            raise Unprocessable(f"{doc_id} is a {info.doc_type.replace('_', ' ')}, not a statement of work",
                                code="not_a_sow")
        ids = [chunk_uuid(info.tenant_id, info.doc_id, info.version, i) for i in range(info.chunks)]
        chunks = [c for c in store.get_chunks(ids, flt) if c.tenant_id == info.tenant_id]
        if not chunks:
            raise NotFound(f"no document {doc_id!r} is visible to you")
        doc = document_from_chunks(doc_id, chunks)
        self._require_sow(doc)
        return doc, info.tenant_id

    @staticmethod
    def _require_sow(doc: SowDocument) -> None:
        if not doc.clauses:
            raise BadRequest(f"{doc.doc_id}: no clauses could be read from the SOW", code="empty_document")
        if not looks_like_sow(doc.text):
            raise Unprocessable(
                f"{doc.doc_id} does not look like a statement of work (no scope, services, milestones, "
                "acceptance or fees); upload the SOW itself", code="not_a_sow")

    def record_access(self, tenant_id: str, doc_ids: list[str], principal: Principal) -> RecordAccess:
        """The access of a finding citing ``doc_ids``: the highest level among them. A cited id that
        is not indexed (an uploaded SOW) is the caller's own text and gets the caller's level."""
        ids = sorted({d for d in doc_ids if d})
        levels: dict[str, AccessLevel] = {}
        if ids:
            for info in self.retriever.store.list_documents(access_filter(principal, doc_ids=ids)):
                levels[info.doc_id] = max(levels.get(info.doc_id, AccessLevel.PUBLIC), info.access_level)
        return RecordAccess.from_evidence(tenant_id, [(d, levels.get(d, principal.access_level)) for d in ids])

    # -- running ---------------------------------------------------------------------------------
    def check_sow(self, doc: SowDocument, principal: Principal, *, tenant_id: str | None = None,
                  redact: Redact = _identity, store_redact: Redact = _identity) -> SowCheckResult:
        """Findings for one SOW; each becomes an open review item. ``redact`` applies to returned
        clause text, ``store_redact`` to what the review queue stores."""
        self.require_visible_template(self.sow_checker().template.doc_id, principal)
        try:
            findings = self.sow_checker().check(doc)
        except NotASowError as exc:
            raise BadRequest(str(exc), code="empty_document") from None
        check_id = uuid.uuid4().hex
        item_tenant = tenant_id if tenant_id and tenant_id != SHARED_TENANT else principal.tenant_id
        ids: list[str] = []
        if self.queue is not None and findings:
            items = [self._sow_item(doc, f, store_redact) for f in findings]
            for it, f in zip(items, findings, strict=True):
                cited = [doc.doc_id, f.template_citation.doc_id, f.sow_citation.doc_id if f.sow_citation else ""]
                it.access = self.record_access(item_tenant, cited, principal)
            ids = self.queue.submit(principal, item_tenant, "sow", check_id, store_redact(doc.doc_id), items).ids
        out = []
        for f in findings:
            f = f.model_copy()
            if f.clause_text:
                f.clause_text = redact(f.clause_text)
            out.append(f)
        return SowCheckResult(check_id=check_id, doc_id=doc.doc_id, title=doc.title, clauses=len(doc.clauses),
                              rules_checked=sorted(self.sow_checker().template.rules), findings=out,
                              review_item_ids=ids)

    @staticmethod
    def _sow_item(doc: SowDocument, f: Finding, store_redact: Redact) -> NewReviewItem:
        stored = f.model_dump()
        stored["clause_text"] = store_redact(f.clause_text) if f.clause_text else None
        where = f" in '{f.sow_citation.section.split(' > ')[-1]}'" if f.sow_citation else ""
        return NewReviewItem(
            finding_key=f"sow|{doc.doc_id}|{doc.doc_hash}|{f.rule_id}|{f.kind}|"
                        f"{f.sow_citation.char_start if f.sow_citation else ''}",
            rule_id=f.rule_id, severity=f.severity,
            summary=store_redact(f"{doc.doc_id}: {f.rule_id} {f.rule_title}{where}: {f.message}")[:2000],
            finding=stored,
        )

    def check_milestone(self, project: str, milestone: str, principal: Principal, *,
                        redact: Redact = _identity, store_redact: Redact = _identity) -> MilestoneCheckResult:
        """Evidence status of every artifact; missing and ambiguous ones become open review items."""
        project = (project or "").strip()
        if len(project) < 3:
            raise BadRequest("project must name the project (its code or name, at least 3 characters)")
        checker = self.milestone_checker()
        self.require_visible_template(checker.checklists.doc_id, principal)
        try:
            ms, n_docs, results = checker.check(project, milestone, principal)
        except UnknownMilestoneError as exc:
            raise Unprocessable(str(exc), code="unknown_milestone") from None
        check_id = uuid.uuid4().hex
        subject = store_redact(f"{project}/{ms.milestone_id}")  # caller-typed: stored redacted
        open_items = [r for r in results if r.status != "found"]
        ids: list[str] = []
        if self.queue is not None and open_items:
            items = [self._milestone_item(project, ms.milestone_id, r, store_redact) for r in open_items]
            for it, r in zip(items, open_items, strict=True):
                cited = [r.template_citation.doc_id, r.citation.doc_id if r.citation else ""]
                it.access = self.record_access(principal.tenant_id, cited, principal)
            ids = self.queue.submit(principal, principal.tenant_id, "milestone", check_id, subject, items).ids
            for r, rid in zip(open_items, ids, strict=True):
                r.review_item_id = rid
        for r in results:
            if r.evidence_text:
                r.evidence_text = redact(r.evidence_text)
            r.reason = redact(r.reason)
        return MilestoneCheckResult(check_id=check_id, project=project, milestone=ms.milestone_id,
                                    milestone_title=ms.title, project_documents=n_docs, artifacts=results,
                                    review_item_ids=ids)

    @staticmethod
    def _milestone_item(project: str, milestone: str, r: ArtifactResult, store_redact: Redact) -> NewReviewItem:
        stored = r.model_dump()
        stored["evidence_text"] = store_redact(r.evidence_text) if r.evidence_text else None
        stored["reason"] = store_redact(r.reason)
        cited = r.citation.doc_id if r.citation else ""
        return NewReviewItem(
            finding_key=f"milestone|{project.casefold()}|{milestone}|{r.artifact_id}|{r.status}|{cited}",
            rule_id=r.artifact_id, severity="high" if r.status == "missing" else "medium",
            summary=store_redact(f"{project} {milestone}: {r.name} is {r.status} ({r.reason})")[:2000],
            finding=stored,
        )
