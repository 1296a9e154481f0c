"""/v1/documents: list what the caller may see; upload and delete as a tenant admin.

Uploads go only into the caller's own tenant, at or below the caller's level, under
``uploads/<file name>``. A document the caller cannot see answers 404 exactly like
an absent one, so the API is no existence oracle.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import PurePosixPath
from typing import Annotated

import anyio
from fastapi import APIRouter, File, Form, Request, UploadFile
from pydantic import ValidationError

from copilot.api.deps import CurrentPrincipal, State
from copilot.api.models import ERROR_RESPONSES, DocumentList, DocumentOut, UploadResult
from copilot.errors import Conflict, Forbidden, NotFound, Unprocessable, UnsupportedMediaType
from ingestion.manifest import DocumentTags
from ingestion.parsing import SUPPORTED_EXTENSIONS
from ingestion.pipeline import UPLOAD_PREFIX, IngestError
from retrievers.access import AccessLevel, Principal, access_filter

router = APIRouter(tags=["documents"])

ADMIN_ROLE = "tenant_admin"
_SAFE_NAME_RE = re.compile(r"[^A-Za-z0-9._-]+")


def _require_admin(principal: Principal) -> None:
    if not principal.has_role(ADMIN_ROLE):
        raise Forbidden("managing documents needs the tenant_admin role")


def _doc_out(d) -> DocumentOut:  # type: ignore[no-untyped-def]
    return DocumentOut(
        doc_id=d.doc_id, tenant_id=d.tenant_id, title=d.title, doc_type=d.doc_type,
        access_level=AccessLevel(int(d.access_level)).label, version=d.version, chunks=d.chunks,
    )


@router.get("/v1/documents", response_model=DocumentList, responses=ERROR_RESPONSES)
def list_documents(principal: CurrentPrincipal, state: State, request: Request) -> DocumentList:
    """Every current, approved document the caller may see."""
    assert state.services is not None
    docs = state.services.store.list_documents(access_filter(principal))
    request.state.audit = {"details": {"documents": len(docs)}}
    return DocumentList(documents=[_doc_out(d) for d in docs])


@router.post("/v1/documents", response_model=UploadResult, status_code=201, responses=ERROR_RESPONSES)
async def upload_document(
    principal: CurrentPrincipal,
    state: State,
    request: Request,
    file: Annotated[UploadFile, File(description="PDF, DOCX, Markdown, HTML or TXT")],
    access_level: Annotated[str, Form(description="Document level: public|partner|internal|restricted")],
    doc_type: Annotated[str, Form(description="playbook|contract|sow|release_note|policy|template|other")] = "other",
    title: Annotated[str | None, Form(max_length=300)] = None,
    version: Annotated[str, Form(max_length=64)] = "1",
    valid_from: Annotated[date | None, Form()] = None,
    valid_until: Annotated[date | None, Form()] = None,
    tenant_id: Annotated[str | None, Form(description="Optional; must be your own tenant")] = None,
    replace: Annotated[bool, Form(description="Replace an upload with the same name")] = False,
) -> UploadResult:
    """Upload one document into the caller's tenant (role tenant_admin)."""
    _require_admin(principal)
    if tenant_id is not None and tenant_id != principal.tenant_id:
        raise Forbidden("documents can only be uploaded into your own tenant")
    try:
        level = AccessLevel.parse(access_level)
    except ValueError as exc:
        raise Unprocessable(str(exc)) from None
    if level > principal.access_level:
        raise Forbidden("documents can only be uploaded at or below your own access level")
    name = PurePosixPath(file.filename or "").name
    suffix = PurePosixPath(name).suffix.lower()
    if suffix not in SUPPORTED_EXTENSIONS:
        raise UnsupportedMediaType(
            f"unsupported file type {suffix or '(none)'!r}; use one of {', '.join(sorted(SUPPORTED_EXTENSIONS))}"
        )
    safe = _SAFE_NAME_RE.sub("-", PurePosixPath(name).stem).strip("-.")[:120] or "document"
    doc_id = f"{UPLOAD_PREFIX}{safe}{suffix}"
    try:
        tags = DocumentTags(
            tenant_id=principal.tenant_id, access_level=level, doc_type=doc_type,  # type: ignore[arg-type]
            title=title, version=version,
            valid_from=valid_from, valid_until=valid_until,
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(x) for x in first.get("loc", ()))
        raise Unprocessable(f"{loc or 'tags'}: {first.get('msg', 'invalid value')}") from None
    data = await file.read()
    assert state.services is not None
    store = state.services.store
    existing = store.document_hashes(principal.tenant_id)
    if (principal.tenant_id, doc_id) in existing and not replace:
        raise Conflict(f"{doc_id} already exists; send replace=true to replace it")
    try:
        outcome = await anyio.to_thread.run_sync(state.services.ingestor.ingest_bytes, data, doc_id, tags)
    except IngestError as exc:
        raise Unprocessable(str(exc), code="document_rejected") from None
    request.state.audit = {
        "details": {"doc_id": doc_id, "status": outcome.status, "chunks": outcome.chunks, "level": level.label}
    }
    return UploadResult(doc_id=doc_id, status=outcome.status, chunks=outcome.chunks)


@router.delete("/v1/documents/{doc_id:path}", status_code=204, responses=ERROR_RESPONSES)
def delete_document(doc_id: str, principal: CurrentPrincipal, state: State, request: Request) -> None:
    """Delete a document of the caller's own tenant (role tenant_admin)."""
    _require_admin(principal)
    assert state.services is not None
    store = state.services.store
    visible = {(d.tenant_id, d.doc_id) for d in store.list_documents(access_filter(principal))}
    own = (principal.tenant_id, doc_id)
    if own not in visible:
        # Absent, hidden and other-tenant documents look the same.
        raise NotFound("no such document")
    removed = store.delete_document(principal.tenant_id, doc_id)
    request.state.audit = {"details": {"doc_id": doc_id, "chunks_removed": removed}}
