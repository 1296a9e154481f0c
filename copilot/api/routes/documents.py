"""/v1/documents: list what the caller may see; upload and delete as a tenant admin.

Uploads go only into the caller's own tenant, at or below the caller's level, under
``uploads/<level>/<file name>``: the level is part of the id, so an upload can never
collide with a document above the uploader's level (a hidden document behaves exactly
like an absent one). ``POST`` stores the file and answers 202 with a job id at once;
ingestion runs in the background (``GET /v1/jobs/{id}``, copilot/core/jobs.py).
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import PurePosixPath
from typing import Annotated

import anyio
from fastapi import APIRouter, File, Form, Request, Response, UploadFile
from pydantic import ValidationError

from copilot.api.deps import CurrentPrincipal, State
from copilot.api.models import ERROR_RESPONSES, DocumentList, DocumentOut, JobAccepted
from copilot.api.state import AppState
from copilot.core.errors import Conflict, Forbidden, NotFound, Unprocessable, UnsupportedMediaType
from ingestion.manifest import DocumentTags
from ingestion.parsing import SUPPORTED_EXTENSIONS, ZIP_FORMATS, ParseError, check_archive
from ingestion.pipeline import UPLOAD_PREFIX
from retrievers.access import AccessLevel, Principal, access_filter, can_manage_document

router = APIRouter(tags=["documents"])

ADMIN_ROLE = "tenant_admin"
_SAFE_NAME_RE = re.compile(r"[^A-Za-z0-9._-]+")


def _require_admin(principal: Principal) -> None:
    if not principal.has_role(ADMIN_ROLE):
        raise Forbidden("managing documents needs the tenant_admin role")


def _manageable(store, principal: Principal, doc_id: str) -> list:
    """The stored documents with this id that the caller may see and manage, own tenant first.

    Decided by :func:`retrievers.access.can_manage_document`; anything else (absent, hidden,
    above the caller's level, another tenant's) is left out, so it behaves exactly like a missing id.
    """
    seen = store.list_documents(access_filter(principal, doc_ids=[doc_id]))
    ok = [d for d in seen if can_manage_document(principal, d, (ADMIN_ROLE,))]
    return sorted(ok, key=lambda d: d.tenant_id != principal.tenant_id)


def _doc_out(d) -> DocumentOut:
    return DocumentOut(
        doc_id=d.doc_id, tenant_id=d.tenant_id, title=d.title, doc_type=d.doc_type,
        access_level=AccessLevel(int(d.access_level)).label, version=d.version, chunks=d.chunks,
    )


def upload_doc_id(file_name: str, level: AccessLevel) -> str:
    """``uploads/<level>/<safe name>``: ids of different levels can never collide."""
    name = PurePosixPath(file_name).name
    suffix = PurePosixPath(name).suffix.lower()
    safe = _SAFE_NAME_RE.sub("-", PurePosixPath(name).stem).strip("-.")[:120] or "document"
    return f"{UPLOAD_PREFIX}{level.label}/{safe}{suffix}"


@router.get("/v1/documents", response_model=DocumentList, responses=ERROR_RESPONSES)
def list_documents(principal: CurrentPrincipal, state: State, request: Request) -> DocumentList:
    """Every current, approved document the caller may see."""
    docs = state.services.store.list_documents(access_filter(principal))
    request.state.audit = {"details": {"documents": len(docs)}}
    return DocumentList(documents=[_doc_out(d) for d in docs])


async def _check_content(state: AppState, name: str, suffix: str, data: bytes) -> None:
    """Refuse an empty, oversized or bomb-like file before anything is stored (422 document_rejected)."""
    if not data.strip():
        raise Unprocessable(f"{name}: the file is empty", code="document_rejected")
    limit = state.services.settings.max_file_mb * 1024 * 1024
    if len(data) > limit:
        raise Unprocessable(f"{name}: file is {len(data):,} bytes; the limit is {int(limit):,}",
                            code="document_rejected")
    if suffix in ZIP_FORMATS:
        # Checked here, before anything is stored: a decompression bomb is refused at once.
        from copilot.core.services import archive_limits

        try:
            await anyio.to_thread.run_sync(check_archive, data, name, archive_limits(state.services.settings))
        except ParseError as exc:
            raise Unprocessable(str(exc), code="document_rejected") from None


@router.post("/v1/documents", response_model=JobAccepted, status_code=202, responses=ERROR_RESPONSES)
async def upload_document(
    principal: CurrentPrincipal,
    state: State,
    request: Request,
    response: Response,
    file: Annotated[UploadFile, File(description="PDF, DOCX, Markdown, HTML or TXT")],
    access_level: Annotated[str, Form(description="Document level: public|partner|internal|restricted")],
    doc_type: Annotated[str, Form(description="playbook|contract|sow|release_note|policy|template|other")] = "other",
    title: Annotated[str | None, Form(max_length=300)] = None,
    version: Annotated[str, Form(max_length=64)] = "1",
    valid_from: Annotated[date | None, Form()] = None,
    valid_until: Annotated[date | None, Form()] = None,
    tenant_id: Annotated[str | None, Form(description="Optional; must be your own tenant")] = None,
    replace: Annotated[bool, Form(description="Replace your upload with the same name and level")] = False,
) -> JobAccepted:
    """Queue one document for ingestion into the caller's tenant (role tenant_admin).

    Answers 202 with a job id as soon as the file is stored; follow ``GET /v1/jobs/{job_id}``
    (or its ``/events`` stream) for progress and the result or a clear error.
    """
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
    doc_id = upload_doc_id(name, level)
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
    await _check_content(state, name, suffix, data)
    # The id's namespace is the upload's level, which the caller may see: only documents
    # the caller is entitled to can be found here, so 409 reveals nothing hidden.
    store = state.services.store
    exists = (principal.tenant_id, doc_id) in store.document_hashes(principal.tenant_id)
    # replace=true only ever acts on a document the caller may manage; a stored id it may not
    # manage (unreachable through the level namespace, but never overwritten) fails closed with
    # the same answer as any collision.
    mine = exists and any(d.tenant_id == principal.tenant_id for d in _manageable(store, principal, doc_id))
    if (exists and not (replace and mine)) or state.jobs.active_for(principal.tenant_id, doc_id) is not None:
        raise Conflict(f"{doc_id} already exists or is being uploaded; send replace=true to replace it")
    job = await anyio.to_thread.run_sync(
        lambda: state.jobs.submit(
            principal=principal, doc_id=doc_id, file_name=name, data=data,
            tags=tags.model_dump(mode="json"), access_level=int(level), replace=replace,
        )
    )
    request.state.audit = {"details": {"doc_id": doc_id, "job_id": job.id, "bytes": len(data), "level": level.label}}
    response.headers["Location"] = f"/v1/jobs/{job.id}"
    return JobAccepted.model_validate({
        "job_id": job.id, "status": "queued", "doc_id": doc_id,
        "links": {"self": f"/v1/jobs/{job.id}", "events": f"/v1/jobs/{job.id}/events"},
    })


@router.delete("/v1/documents/{doc_id:path}", status_code=204, responses=ERROR_RESPONSES)
def delete_document(doc_id: str, principal: CurrentPrincipal, state: State, request: Request) -> None:
    """Delete a document the caller may see and manage (role tenant_admin; see ``can_manage_document``)."""
    _require_admin(principal)
    store = state.services.store
    targets = _manageable(store, principal, doc_id)
    if not targets:
        # Absent, hidden and other-tenant documents look the same.
        raise NotFound("no such document")
    removed = store.delete_document(targets[0].tenant_id, doc_id)
    request.state.audit = {"details": {"doc_id": doc_id, "tenant_id": targets[0].tenant_id, "chunks_removed": removed}}
