"""Experiment: adapt the embedding model to a set's own documents, then re-embed its index.

Training pairs come from the indexed chunks only (``evals.adapt``); no evaluation question is
read. Steps, each cached on disk so settings can be compared on the dev halves:

``python -m evals.adapt_eval train --index IDX/index --out /tmp/adapt-m1 [--kinds heading,lead ...]``
    tunes a copy of the packaged model on the pairs of the index at ``IDX`` (built by a normal run);
``python -m evals.adapt_eval reembed --base IDX --model /tmp/adapt-m1 --out IDX2 --corpus C``
    copies the index folder, re-embeds every chunk with the tuned model and stamps the copy with the
    index key of those settings, so ``python -m evals.docs_qa run --data-dir IDX2`` (with
    ``COPILOT_EMBED_MODEL_PATH`` set to the model) evaluates it without parsing or PII detection again.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from collections import Counter
from pathlib import Path


def _chunks(index: Path) -> list:
    from retrievers.stores.lancedb import LanceDBStore

    store = LanceDBStore(index)
    try:
        return [c for batch in store.iter_chunks() for c in batch]
    finally:
        store.close()


def train(args: argparse.Namespace) -> int:
    from evals.adapt import AdaptConfig, document_pairs, fine_tune
    from retrievers.embeddings import default_model_path

    cfg = AdaptConfig(kinds=tuple(args.kinds.split(",")), epochs=args.epochs, lr=args.lr,
                      batch_size=args.batch_size, window_words=args.window_words, max_windows=args.max_windows,
                      max_steps=args.max_steps, seed=args.seed)
    chunks = _chunks(args.index)
    pairs = document_pairs(chunks, cfg)
    print(json.dumps({"chunks": len(chunks), "pairs": dict(Counter(p.kind for p in pairs)),
                      "groups": len({p.group for p in pairs})}))
    if args.dry_run:
        return 0
    stats = fine_tune(args.base or default_model_path(), pairs, args.out, cfg, log=print)
    stats_out = {**stats, "config": {k: v for k, v in vars(cfg).items()}}
    (args.out / "adapt.json").write_text(json.dumps(stats_out, indent=1, default=str))
    print(json.dumps(stats_out, default=str))
    return 0


def reembed(args: argparse.Namespace) -> int:
    """Copy ``--base`` to ``--out`` and re-embed every chunk there with ``--model``."""
    import numpy as np

    from evals.run import index_key, open_services
    from ingestion.pipeline import embed_chunks, embed_windows

    if args.out.exists():
        shutil.rmtree(args.out)
    shutil.copytree(args.base, args.out)
    (args.out / "ingested.json").unlink(missing_ok=True)
    os.environ["COPILOT_EMBED_MODEL_PATH"] = str(args.model)
    services = open_services(args.out, embed_model_path=str(args.model))
    store, embedder = services.store, services.embedder
    t0, cpu0 = time.perf_counter(), time.process_time()
    chunks = [c for batch in store.iter_chunks() for c in batch]
    n = 0
    for lo in range(0, len(chunks), 256):
        part = chunks[lo : lo + 256]
        vecs = embed_chunks(embedder, [embed_windows(c, embedder) for c in part])
        n += store.upsert(part, [np.asarray(v, dtype=np.float32) for v in vecs])
    manifest = args.corpus / "manifest.yaml"
    key = index_key(args.corpus, manifest, services.settings)
    (args.out / "ingested.json").write_text(json.dumps({"key": key, "report": {"reembedded": n}}))
    print(json.dumps({"chunks": n, "wall_s": round(time.perf_counter() - t0, 1),
                      "cpu_s": round(time.process_time() - cpu0, 1), "key": key}))
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m evals.adapt_eval", description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("train", help="tune a copy of the model on an index's own document pairs")
    t.add_argument("--index", type=Path, required=True, help="the LanceDB folder (<data dir>/index)")
    t.add_argument("--out", type=Path, required=True)
    t.add_argument("--base", default=None, help="model to start from (default: the packaged MiniLM)")
    t.add_argument("--kinds", default="heading")
    t.add_argument("--epochs", type=int, default=1)
    t.add_argument("--lr", type=float, default=2e-5)
    t.add_argument("--batch-size", type=int, default=32)
    t.add_argument("--window-words", type=int, default=120)
    t.add_argument("--max-windows", type=int, default=4)
    t.add_argument("--max-steps", type=int, default=None)
    t.add_argument("--seed", type=int, default=13)
    t.add_argument("--dry-run", action="store_true", help="only count the pairs")
    r = sub.add_parser("reembed", help="copy an index folder and re-embed it with a tuned model")
    r.add_argument("--base", type=Path, required=True, help="data dir of a finished run")
    r.add_argument("--model", type=Path, required=True)
    r.add_argument("--out", type=Path, required=True)
    r.add_argument("--corpus", type=Path, required=True, help="the corpus folder the run ingested")
    args = ap.parse_args(argv)
    return train(args) if args.cmd == "train" else reembed(args)


if __name__ == "__main__":
    sys.exit(main())
