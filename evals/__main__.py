"""``python -m evals``: retrieval and answer quality of an eval set, with baselines, as a report.

The harness lives outside the product: the service never imports it. Examples::

    python -m evals --dataset corpora/demo/evalset.jsonl --corpus corpora/demo --out reports/eval-demo
    python -m evals --dataset corpora/demo/evalset.jsonl --corpus corpora/demo --out /tmp/r --limit 20

The index is cached under ``.data/eval/index-<key>``, the key being a hash of the corpus
content, the manifest and the settings that shape the index, so ``--limit`` runs and reruns
reuse it instead of ingesting again. Exit status: 0 fine, 1 a forbidden document was returned,
2 bad input, 3 a quality figure differs by more than ``--max-half-gap`` between the dev and test
halves of the by-document split (``evals/splits.py``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

MODES = ("dense", "fulltext", "hybrid", "rerank")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m evals", description=__doc__.splitlines()[0])
    ap.add_argument("--dataset", type=Path, required=True, help="eval set JSONL (see DESIGN.md)")
    ap.add_argument("--out", type=Path, required=True, help="report folder: report.md, results.json, PNG charts")
    ap.add_argument("--corpus", type=Path, default=None, help="corpus folder to ingest first (cached)")
    ap.add_argument("--manifest", type=Path, default=None, help="manifest (default: CORPUS/manifest.yaml)")
    ap.add_argument("--modes", default="dense,fulltext,hybrid", help="comma list of " + ", ".join(MODES))
    ap.add_argument("--baselines", default="bm25-plain,bm25,dense,llamaindex",
                    help="comma list of bm25-plain, bm25, dense, llamaindex; '' for none")
    ap.add_argument("--data-dir", type=Path, default=None,
                    help="index folder (default .data/eval/index-<corpus and settings hash>)")
    ap.add_argument("--limit", type=int, default=None, help="only the first N cases (reuses the cached index)")
    ap.add_argument("--no-answers", action="store_true", help="skip answer-level metrics")
    ap.add_argument("--no-query-handling", action="store_true", help="ask questions verbatim")
    ap.add_argument("--no-ragas", action="store_true", help="skip the Ragas context metrics (slow on long passages)")
    ap.add_argument("--max-half-gap", type=float, default=0.03,
                    help="fail (exit 3) when a quality figure differs by more than this between halves")
    args = ap.parse_args(argv)
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    bad = [m for m in modes if m not in MODES]
    if bad or not modes:
        print(f"error: unknown mode(s) {', '.join(bad) or '(none)'}; use {', '.join(MODES)}", file=sys.stderr)
        return 2
    if args.corpus is not None and not args.corpus.is_dir():
        print(f"error: corpus folder not found: {args.corpus}", file=sys.stderr)
        return 2
    if args.corpus is None and args.data_dir is None:
        print("error: give --corpus (ingested and cached) or --data-dir (an existing index)", file=sys.stderr)
        return 2
    from evals.dataset import EvalSetError, load_cases
    from evals.run import run_set
    from ingestion.manifest import ManifestError

    try:
        load_cases(args.dataset, 1)  # a bad eval set fails before any model or index is loaded
        return run_set(
            name=args.dataset.stem, corpus=args.corpus, sets={args.dataset.stem: args.dataset}, out=args.out,
            data_dir=args.data_dir, cache_root=Path(".data/eval"), modes=modes, baselines=args.baselines,
            limit=args.limit, answers=not args.no_answers, max_half_gap=args.max_half_gap,
            title=f"Retrieval evaluation: {args.dataset.name}", manifest=args.manifest,
            query_handling=not args.no_query_handling, ragas=not args.no_ragas,
        )
    except (EvalSetError, ManifestError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
