"""`copilot check sow` and `copilot check milestone`: the governance checks from the command line.

Operator tools over the local index and governance database: they run as a principal of
``--tenant`` at ``--level`` (with ``--role`` if given), write the findings to the review
queue exactly as the API does, and append an audit row for every run.
"""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from copilot.cli.commands.common import CliError, DataDir, access_level, settings_for

check_app = typer.Typer(help="Governance checks: SOW scope deviations and milestone evidence.", no_args_is_help=True)

Tenant = Annotated[str, typer.Option(help="Tenant to run the check as")]
Level = Annotated[str, typer.Option(help="Access level: public|partner|internal|restricted")]
AsJson = Annotated[bool, typer.Option("--json", help="Print the result as JSON")]
Templates = Annotated[Path | None, typer.Option("--templates", help="Templates folder (COPILOT_TEMPLATES_DIR)")]

_SEVERITY_STYLE = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "cyan"}
_STATUS_STYLE = {"found": "green", "missing": "bold red", "ambiguous": "yellow"}


def register(app: typer.Typer) -> None:
    app.add_typer(check_app, name="check")


def _context(tenant: str, level: str, roles: list[str] | None, data_dir: Path | None, templates: Path | None):
    """(principal, checks, redactor) for one CLI run; the review queue audits every change."""
    from copilot.core.audit import AuditLog, AuditRecord
    from copilot.core.db import open_database
    from copilot.core.redact import ResponseRedactor, load_policy
    from copilot.core.services import build_services
    from copilot.governance.checks.service import GovernanceChecks
    from copilot.governance.reviews import ReviewQueue
    from copilot.governance.webhooks import WebhookDispatcher, config_from_settings
    from retrievers.access import Principal

    principal = Principal(subject="cli", tenant_id=tenant, access_level=access_level(level),
                          roles=frozenset(roles or ()))
    if templates is not None and not templates.is_dir():
        raise CliError(f"templates folder {templates} does not exist")
    settings = settings_for(data_dir, templates_dir=templates)
    if not settings.index_dir.exists():
        raise CliError(f"no index in {settings.data_dir}; run 'copilot ingest CORPUS --data-dir {settings.data_dir}'")
    services = build_services(settings)
    db = open_database(settings.sqlalchemy_url)
    from copilot.core.audit import load_keyring

    log = AuditLog(db, load_keyring(settings))

    def audit(p, action: str, **details) -> None:
        log.append(AuditRecord(trace_id=uuid.uuid4().hex, subject=p.subject, tenant_id=p.tenant_id,
                               route=f"cli:{action}", method="CLI", status=0, details=details))

    config = config_from_settings(settings)
    # Events go to the outbox; the server's webhook worker delivers them.
    webhooks = WebhookDispatcher(config, db.session.begin) if config.urls else None
    queue = ReviewQueue(db.session.begin, audit=audit, webhooks=webhooks)
    checks = GovernanceChecks(services.retriever, settings.templates_dir, queue,
                              max_sow_bytes=int(settings.max_sow_mb * 1024 * 1024))
    redactor = ResponseRedactor(principal, load_policy(settings.redaction_policy_path), services.detector)
    return principal, checks, redactor


def _fail(exc: Exception, tenant: str, level: str) -> None:
    from copilot.core.errors import DomainError, NotFound

    if isinstance(exc, NotFound):
        raise CliError(f"{exc.message} (ran as tenant {tenant!r} at level {level!r}; "
                       "pass --tenant/--level of the document's owner)") from None
    if isinstance(exc, DomainError):
        raise CliError(f"{exc.message} ({exc.code})") from None
    raise exc


@check_app.command("sow")
def sow(
    file: Annotated[Path | None, typer.Argument(help="SOW file (.md, .txt, .html, .docx, .pdf)")] = None,
    doc_id: Annotated[str | None, typer.Option("--doc-id", help="An indexed SOW instead of a file")] = None,
    tenant: Tenant = "shared",
    level: Level = "partner",
    role: Annotated[list[str] | None, typer.Option("--role", help="Role of the principal (repeatable)")] = None,
    data_dir: DataDir = None,
    templates: Templates = None,
    as_json: AsJson = False,
) -> None:
    """Compare a SOW with the approved scope language; findings go to the review queue."""
    if (file is None) == (doc_id is None):
        raise typer.BadParameter("give either a FILE or --doc-id")
    if file is not None and not file.is_file():
        raise CliError(f"file not found: {file}")
    principal, checks, red = _context(tenant, level, role, data_dir, templates)
    t0 = time.perf_counter()
    try:
        if file is not None:
            doc, doc_tenant = checks.sow_from_upload(file.read_bytes(), file.name), principal.tenant_id
        else:
            doc, doc_tenant = checks.sow_from_index(doc_id or "", principal)
        result = checks.check_sow(doc, principal, tenant_id=doc_tenant, redact=red.free_text,
                                  store_redact=red.for_log)
    except Exception as exc:
        _fail(exc, tenant, level)
        return
    if as_json:
        typer.echo(result.model_dump_json(indent=2))
        return
    out = Console()
    out.print(f"[bold]{result.title or result.doc_id}[/bold] [dim]({result.doc_id}; {result.clauses} clauses, "
              f"{len(result.rules_checked)} rules, {time.perf_counter() - t0:.1f}s)[/dim]")
    if not result.findings:
        out.print("[green]No deviations from the approved scope language found.[/green] "
                  "[dim](A person still signs off the SOW; the check only reports.)[/dim]")
        return
    table = Table("severity", "rule", "finding", "SOW clause", "template", title="Findings (open for review)",
                  show_lines=True)
    for f in sorted(result.findings, key=lambda f: ("critical", "high", "medium", "low").index(f.severity)):
        where = ""
        if f.sow_citation is not None:
            where = f"[dim]{f.sow_citation.section.split(' > ')[-1]} @{f.sow_citation.char_start}[/dim]\n"
        clause = where + (f.clause_text or "[dim](no clause: missing)[/dim]")
        table.add_row(f"[{_SEVERITY_STYLE.get(f.severity, '')}]{f.severity}[/]", f"{f.rule_id}\n{f.rule_title}",
                      f.message, clause, f"[dim]{f.template_citation.section.split(' > ')[-1]}[/dim]")
    out.print(table)
    out.print(f"{len(result.review_item_ids)} review item(s): " + ", ".join(result.review_item_ids))


@check_app.command("milestone")
def milestone(
    project: Annotated[str, typer.Option(help="Project code or name, e.g. PRJ-KVD")],
    milestone: Annotated[str, typer.Option(help="Milestone id, e.g. go-live-readiness")],
    tenant: Tenant = "shared",
    level: Level = "partner",
    role: Annotated[list[str] | None, typer.Option("--role", help="Role of the principal (repeatable)")] = None,
    data_dir: DataDir = None,
    templates: Templates = None,
    as_json: AsJson = False,
) -> None:
    """Report found / missing / ambiguous for every artifact the milestone requires."""
    principal, checks, red = _context(tenant, level, role, data_dir, templates)
    # Unknown milestone or project: an error that files nothing (the service would report every
    # artifact of a project nobody can see as missing and open review items for them).
    try:
        checker = checks.milestone_checker()
    except Exception as exc:
        _fail(exc, tenant, level)
        return
    known = sorted(checker.checklists.milestones)
    if milestone not in known:
        raise CliError(f"unknown milestone {milestone!r} (known: {', '.join(known)})")
    if len(project.strip()) >= 3 and not checker.project_documents(project.strip(), principal):
        raise CliError(f"no documents of project {project!r} are visible to tenant {tenant!r} at level "
                       f"{level!r}; check --project, --tenant and --level")
    try:
        result = checks.check_milestone(project, milestone, principal, redact=red.free_text,
                                        store_redact=red.for_log)
    except Exception as exc:
        _fail(exc, tenant, level)
        return
    if as_json:
        typer.echo(json.dumps(result.model_dump(), indent=2))
        return
    out = Console()
    out.print(f"[bold]{result.project}[/bold] · {result.milestone} ({result.milestone_title}) "
              f"[dim]{result.project_documents} visible project document(s)[/dim]")
    table = Table("artifact", "status", "evidence / reason", title="Evidence checklist", show_lines=True)
    for a in result.artifacts:
        cite = f"\n[dim]{a.citation.doc_id}[/dim]" if a.citation else ""
        table.add_row(a.name + (" [dim](signature required)[/dim]" if a.signature_required else ""),
                      f"[{_STATUS_STYLE[a.status]}]{a.status}[/]", a.reason + cite)
    out.print(table)
    if result.review_item_ids:
        out.print(f"{len(result.review_item_ids)} review item(s): " + ", ".join(result.review_item_ids))
