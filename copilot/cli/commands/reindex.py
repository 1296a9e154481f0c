"""`copilot reindex`: copy a whole index between backends without re-embedding.

Chunks and their stored window vectors are streamed from the source with
``Store.iter_windows`` and upserted into the target batch by batch; at the end the
target's row count must equal the source's, otherwise the command exits 1.
The target must start empty so that count check means something.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

BACKENDS = ("lancedb", "weaviate")
DEFAULT_DIM = 384  # all-MiniLM-L6-v2, the configured default model


def register(app: typer.Typer) -> None:
    app.command("reindex")(reindex_command)


@dataclass
class ReindexReport:
    source_count: int
    target_count: int
    moved: int
    seconds: float

    @property
    def ok(self) -> bool:
        return self.source_count == self.target_count == self.moved

    @property
    def rate(self) -> float:
        return self.moved / self.seconds if self.seconds > 0 else 0.0


def copy_index(source: Any, target: Any, *, batch_size: int = 500, progress: bool = True) -> ReindexReport:
    """Stream every chunk+vector of ``source`` into the empty ``target``; returns the counts."""
    total = source.count()
    existing = target.count()
    if existing:
        raise ValueError(f"target index already holds {existing} chunks; reindex only into an empty index")
    t0 = time.perf_counter()
    moved = 0
    columns = (
        TextColumn("reindex"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]} chunks/s"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), disable=not progress) as bar:
        task = bar.add_task("reindex", total=total, rate="-")
        # Window vectors, not only the pooled one: the copy keeps best-window dense scoring.
        for chunks, vectors in source.iter_windows(batch_size=batch_size):
            moved += target.upsert(chunks, vectors)
            elapsed = time.perf_counter() - t0
            bar.update(task, advance=len(chunks), rate=f"{moved / elapsed:,.0f}" if elapsed else "-")
    if hasattr(target, "optimize"):  # LanceDB: build/refresh the full-text index over the new rows
        target.optimize()
    return ReindexReport(source_count=total, target_count=target.count(), moved=moved, seconds=time.perf_counter() - t0)


def _open(backend: str, data_dir: Path | None, collection: str | None, dim: int) -> Any:
    from copilot.cli.commands.common import settings_for
    from copilot.core.services import build_store

    # A LanceDB data dir must exist (a mistyped source would read as an empty index); the
    # command creates the target's folder before opening it.
    settings = settings_for(data_dir, create=backend != "lancedb", store=backend, weaviate_collection=collection)
    return build_store(settings, dim=dim)


def reindex_command(
    from_: Annotated[str, typer.Option("--from", help="Source backend: lancedb | weaviate")],
    to: Annotated[str, typer.Option("--to", help="Target backend: lancedb | weaviate")],
    data_dir: Annotated[
        Path | None, typer.Option("--data-dir", help="Data folder of the LanceDB source (COPILOT_DATA_DIR)")
    ] = None,
    to_data_dir: Annotated[
        Path | None,
        typer.Option("--to-data-dir", help="Data folder of a LanceDB target (default: --data-dir)"),
    ] = None,
    to_collection: Annotated[
        str | None,
        typer.Option("--to-collection", help="Weaviate collection of the target (weaviate -> weaviate)"),
    ] = None,
    batch_size: Annotated[int, typer.Option(help="Chunks per batch", min=1)] = 500,
    dim: Annotated[
        int, typer.Option(help="Vector width for a new, empty LanceDB index (existing indexes keep theirs)", min=1)
    ] = DEFAULT_DIM,
    no_progress: Annotated[bool, typer.Option("--no-progress", help="No progress bar")] = False,
) -> None:
    """Copy every chunk with its vector from one backend to another (no re-embedding), then check counts."""
    for name, value in (("--from", from_), ("--to", to)):
        if value not in BACKENDS:
            raise typer.BadParameter(f"{name} must be one of {', '.join(BACKENDS)}, got {value!r}")
    target_dir = to_data_dir or data_dir
    if from_ == to == "lancedb" and _same(data_dir, target_dir):
        raise typer.BadParameter("source and target are the same LanceDB index; pass --to-data-dir")
    if from_ == to == "weaviate" and not to_collection:
        raise typer.BadParameter("weaviate -> weaviate needs --to-collection")

    from retrievers.stores.base import StoreError

    source = target = None
    try:
        source = _open(from_, data_dir, None, dim)
        # The target's vector width is the source's: peek at the first batch.
        first = next(iter(source.iter_windows(batch_size=1)), None)
        target_dim = int(first[1][0].shape[1]) if first is not None else dim
        if to == "lancedb":
            from copilot.cli.commands.common import settings_for

            settings_for(target_dir, create=True)
        target = _open(to, target_dir, to_collection, target_dim)
        report = copy_index(source, target, batch_size=batch_size, progress=not no_progress)
    except (StoreError, ValueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    finally:
        for store in (source, target):
            if store is not None:
                store.close()
    typer.echo(
        f"moved {report.moved} chunks {from_} -> {to} in {report.seconds:.1f}s "
        f"({report.rate:,.0f} chunks/s); source {report.source_count}, target {report.target_count}"
    )
    if not report.ok:
        typer.echo("count mismatch: the target does not hold exactly the source's chunks", err=True)
        raise typer.Exit(1)


def _same(a: Path | None, b: Path | None) -> bool:
    from copilot.core.settings import load_settings

    ra = (a or load_settings().data_dir).resolve()
    rb = (b or load_settings().data_dir).resolve()
    return ra == rb
