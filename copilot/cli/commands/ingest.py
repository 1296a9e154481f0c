"""`copilot ingest` and `copilot search`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from copilot.cli.commands.common import CliError, Create, DataDir, access_level, settings_for

MODES = ("hybrid", "dense", "fulltext")


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
    create: Create = False,
    no_pii: Annotated[bool, typer.Option("--no-pii", help="Skip PII detection (not for real data)")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON")] = False,
) -> None:
    """Ingest a corpus folder into the permission-tagged index."""
    from copilot.core.services import build_services
    from ingestion.manifest import ManifestError

    if not path.is_dir():
        raise CliError(f"corpus folder {path} does not exist or is not a folder")
    if manifest is not None and not manifest.is_file():
        raise CliError(f"manifest {manifest} does not exist")
    settings = settings_for(data_dir, create=create, **({"pii_detection": False} if no_pii else {}))
    services = build_services(settings)
    try:
        report = services.ingestor.ingest_corpus(
            path, manifest, prune=prune, confirm_prune=prune and yes, progress=not as_json
        )
    except (ManifestError, ValueError) as exc:
        raise CliError(str(exc)) from None
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
    show_scores: Annotated[bool, typer.Option("--scores/--no-scores", help="Show each result's relevance")] = True,
) -> None:
    """Search the index as a principal of TENANT at LEVEL (operator tool; reads the local index).

    Results are ranked; ``relevance`` is the result's score relative to the best one (1.00), so it
    reads the same for every mode (raw RRF, cosine and BM25 scores are on unrelated scales).
    """
    from copilot.core.services import build_services
    from retrievers.access import Principal

    if mode not in MODES:
        raise typer.BadParameter(f"{mode!r} is not one of {', '.join(MODES)}", param_hint="'--mode'")
    if not 1 <= k <= 100:
        raise typer.BadParameter("must be between 1 and 100", param_hint="'-k'")
    if not query.strip():
        raise typer.BadParameter("the query is empty", param_hint="'QUERY'")
    principal = Principal(subject="cli", tenant_id=tenant, access_level=access_level(level))
    settings = settings_for(data_dir)
    if not settings.index_dir.exists():
        raise CliError(f"no index in {settings.data_dir}; run 'copilot ingest CORPUS --data-dir {settings.data_dir}'")
    services = build_services(settings)
    hits = services.retriever.search(query, principal, k=k, mode=mode)  # type: ignore[arg-type]
    out = Console()
    if not hits:
        out.print(f"No results visible to tenant {tenant!r} at level {level!r}.")
        return
    best = max(h.score for h in hits) or 1.0
    for n, h in enumerate(hits, start=1):
        c = h.chunk
        where = c.section + (f", p. {c.page}" if c.page else "")
        rel = f"; relevance {max(h.score, 0.0) / best:.2f}" if show_scores and best > 0 else ""
        out.print(f"[bold][{n}][/bold] {c.title} [dim]({c.doc_id}; {where}{rel})[/dim]")
        snippet = " ".join(c.index_text.split())
        out.print(f"    {snippet[:240]}{'…' if len(snippet) > 240 else ''}")
