"""`copilot ingest` and `copilot search`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

DataDir = Annotated[Path | None, typer.Option("--data-dir", help="Index and database folder (COPILOT_DATA_DIR).")]


def register(app: typer.Typer) -> None:
    app.command("ingest")(ingest)
    app.command("search")(search)


def ingest(
    path: Annotated[Path, typer.Argument(help="Corpus folder")],
    manifest: Annotated[Path | None, typer.Option(help="Manifest YAML (default: PATH/manifest.yaml)")] = None,
    prune: Annotated[bool, typer.Option(
        help="List documents this folder indexed earlier whose files are gone (of the tenants this run "
        "ingested); add --yes to delete them")] = False,
    yes: Annotated[bool, typer.Option("--yes", help="With --prune: really delete the listed documents")] = False,
    data_dir: DataDir = None,
    no_pii: Annotated[bool, typer.Option("--no-pii", help="Skip PII detection (not for real data)")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON")] = False,
) -> None:
    """Ingest a corpus folder into the permission-tagged index."""
    from copilot.services import build_services
    from copilot.settings import load_settings
    from ingestion.manifest import ManifestError

    settings = load_settings(data_dir=data_dir, **({"pii_detection": False} if no_pii else {}))
    console = Console(stderr=True)
    services = build_services(settings)
    try:
        report = services.ingestor.ingest_corpus(
            path, manifest, prune=prune, confirm_prune=prune and yes, progress=not as_json
        )
    except (ManifestError, ValueError) as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    if as_json:
        typer.echo(json.dumps(report.as_dict(), indent=2))
    else:
        out = Console()
        out.print(
            f"[bold]{report.files}[/bold] files: {report.documents_written} documents written "
            f"({report.chunks_written} chunks), {report.documents_skipped} unchanged, "
            f"{len(report.rejected)} rejected, {len(report.deleted)} deleted in {report.seconds:.1f}s"
        )
        if report.rejected:
            t = Table("rejected file", "reason", title="Rejected")
            for o in report.rejected:
                t.add_row(o.path, o.reason)
            out.print(t)
        if report.prune_planned and not report.deleted:
            out.print(f"[yellow]prune (dry run):[/yellow] {len(report.prune_planned)} document(s) would be removed; "
                      "re-run with --prune --yes to remove them:")
            for d in report.prune_planned:
                out.print(f"  - {d}")
        elif report.deleted:
            out.print(f"removed {len(report.deleted)} document(s):")
            for d in report.deleted:
                out.print(f"  - {d}")
        elif prune:
            out.print("prune: nothing to remove")
    if report.rejected:
        raise typer.Exit(1)


def search(
    query: Annotated[str, typer.Argument(help="Question or keywords")],
    tenant: Annotated[str, typer.Option(help="Tenant to search as")],
    level: Annotated[str, typer.Option(help="Access level: public|partner|internal|restricted")] = "partner",
    k: Annotated[int, typer.Option("-k", help="Results")] = 5,
    mode: Annotated[str, typer.Option(help="hybrid | dense | fulltext")] = "hybrid",
    data_dir: DataDir = None,
) -> None:
    """Search the index as a principal of TENANT at LEVEL (operator tool; reads the local index)."""
    from copilot.services import build_services
    from copilot.settings import load_settings
    from retrievers.access import AccessLevel, Principal

    try:
        principal = Principal(subject="cli", tenant_id=tenant, access_level=AccessLevel.parse(level))
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    services = build_services(load_settings(data_dir=data_dir))
    hits = services.retriever.search(query, principal, k=k, mode=mode)  # type: ignore[arg-type]
    out = Console()
    if not hits:
        out.print("No results visible to this principal.")
        return
    for n, h in enumerate(hits, start=1):
        c = h.chunk
        where = c.section + (f", p. {c.page}" if c.page else "")
        out.print(f"[bold][{n}][/bold] {c.title} [dim]({c.doc_id}; {where}; score {h.score:.4f})[/dim]")
        snippet = " ".join(c.index_text.split())
        out.print(f"    {snippet[:240]}{'…' if len(snippet) > 240 else ''}")
