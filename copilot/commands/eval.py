"""`copilot eval`: retrieval and answer quality of an eval set, with baselines, as a report."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console


def register(app: typer.Typer) -> None:
    app.command("eval")(eval_command)


def eval_command(
    dataset: Annotated[Path, typer.Option("--dataset", help="Eval set JSONL (see DESIGN.md)")],
    out: Annotated[Path, typer.Option("--out", help="Report folder: report.md, results.json, PNG charts")],
    corpus: Annotated[Path | None, typer.Option("--corpus", help="Corpus folder to ingest first")] = None,
    manifest: Annotated[Path | None, typer.Option(help="Manifest (default: CORPUS/manifest.yaml)")] = None,
    modes: Annotated[str, typer.Option("--modes", help="Comma list of dense, fulltext, hybrid, rerank")] = (
        "dense,fulltext,hybrid"
    ),
    baselines: Annotated[str, typer.Option(help="Comma list of bm25, dense, llamaindex; '' for none")] = (
        "bm25,dense,llamaindex"
    ),
    data_dir: Annotated[Path | None, typer.Option(help="Index folder (default .data/eval-<dataset>)")] = None,
    limit: Annotated[int | None, typer.Option(help="Only the first N cases")] = None,
    no_answers: Annotated[bool, typer.Option("--no-answers", help="Skip answer-level metrics")] = False,
    no_query_handling: Annotated[bool, typer.Option("--no-query-handling", help="Ask questions verbatim")] = False,
) -> None:
    """Run every case as its principal in each mode and baseline; write the report."""
    from evals.dataset import EvalSetError
    from evals.run import run_eval_command
    from ingestion.manifest import ManifestError

    console = Console(stderr=True)
    mode_list = [m.strip() for m in modes.split(",") if m.strip()]
    bad = [m for m in mode_list if m not in ("dense", "fulltext", "hybrid", "rerank")]
    if bad or not mode_list:
        names = ", ".join(bad) or "(none)"
        console.print(f"[red]error:[/red] unknown mode(s) {names}; use dense, fulltext, hybrid, rerank")
        raise typer.Exit(2)
    base_list = [b.strip() for b in baselines.split(",") if b.strip()]
    if corpus is not None and not corpus.is_dir():
        console.print(f"[red]error:[/red] corpus folder not found: {corpus}")
        raise typer.Exit(2)
    data_dir = data_dir or Path(".data") / f"eval-{dataset.stem}"
    try:
        res = run_eval_command(
            dataset, corpus, manifest, mode_list, out, data_dir, baselines=base_list, limit=limit,
            answers=not no_answers, query_handling=not no_query_handling,
        )
    except (EvalSetError, ManifestError, ValueError) as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    outc = Console()
    for name, s in res["systems"].items():
        m = s["summary"]
        outc.print(
            f"{name:12s} R@5 {m['recall@5']:.3f}  nDCG@10 {m['ndcg@10']:.3f}  MRR {m['mrr@10']:.3f}  "
            f"p50 {m['latency_p50_ms']:.1f} ms  leaks {m['leaks']}"
        )
    outc.print(f"report: {out / 'report.md'}")
    leaks = sum(s["summary"]["leaks"] for n, s in res["systems"].items() if n != "llamaindex")
    if leaks:
        console.print(f"[red]{leaks} forbidden documents returned[/red]")
        raise typer.Exit(1)
