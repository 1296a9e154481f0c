"""Adapting the embedding model to one tenant's own documents (issue #14).

An experiment, not wired into the product: reports/tuning/adapt.md has its figures.

Training pairs come only from the stored chunks of the tenant's documents, never from questions:

- ``heading``: a section's heading path (document title, then its headings) → a window of the
  section's body text (without the heading). The model learns which document and section a
  passage belongs to in the customer's own vocabulary, so a question phrased like a heading
  finds the right document's passage.
- ``lead``: a paragraph's first sentence → the rest of the paragraph.

Sections are rebuilt from the chunks: every heading of the tenant is named in some chunk's
``section_path`` (a chunk starting under it), and headings are paragraphs of ``index_text``, so
a paragraph equal to a known heading opens that heading's section. ``index_text`` is the
redacted text, so nothing masked at ingest reaches the model's weights.

The model is tuned with in-batch negatives (the MultipleNegativesRankingLoss objective: each
query's own passage against every other passage of its batch) on CPU, one torch thread, with a
fixed seed, so the same documents and settings give the same model.
"""

from __future__ import annotations

import random
import re
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from retrievers.schema import Chunk

PAIR_KINDS = ("heading", "lead")
# A sentence end followed by whitespace (the lead sentence of a paragraph).
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


@dataclass(frozen=True)
class Pair:
    """One training example: ``query`` should embed near ``passage``; ``group`` names where it
    came from (two pairs of one group are never negatives of each other)."""

    query: str
    passage: str
    kind: str
    group: str


@dataclass(frozen=True)
class AdaptConfig:
    """How the model is tuned (chosen on the dev halves; reports/tuning/adapt.md)."""

    kinds: tuple[str, ...] = ("heading",)
    epochs: int = 1
    lr: float = 2e-5
    batch_size: int = 32
    scale: float = 20.0  # cosine similarity × scale are the logits (sentence-transformers' default)
    window_words: int = 120  # a section body is split into windows of this many words
    max_windows: int = 4  # per section, so long sections do not dominate
    max_seq_tokens: int = 256
    warmup: float = 0.1
    seed: int = 13
    max_steps: int | None = None


def _sections(chunks: Iterable[Chunk]) -> OrderedDict[tuple[str, str, tuple[str, ...]], list[str]]:
    """(doc id, title, heading path) → the section's body paragraphs, in document order, each once."""
    by_doc: dict[str, list[Chunk]] = {}
    for c in chunks:
        by_doc.setdefault(c.doc_id, []).append(c)
    out: OrderedDict[tuple[str, str, tuple[str, ...]], list[str]] = OrderedDict()
    for doc_id in sorted(by_doc):
        doc_chunks = sorted(by_doc[doc_id], key=lambda c: c.position)
        # The path of every heading, from the chunks that start under it.
        paths: dict[str, tuple[str, ...]] = {}
        for c in doc_chunks:
            for i, h in enumerate(c.section_path):
                paths.setdefault(h, tuple(c.section_path[: i + 1]))
        seen: set[tuple[tuple[str, ...], str]] = set()
        for c in doc_chunks:
            path = tuple(c.section_path)
            for para in (p.strip() for p in c.index_text.split("\n\n")):
                if not para or para == c.title:
                    continue
                if para in paths:
                    path = paths[para]
                    continue
                if (path, para) in seen:  # overlapping chunks repeat paragraphs
                    continue
                seen.add((path, para))
                out.setdefault((doc_id, c.title, path), []).append(para)
    return out


def heading_query(title: str, path: Sequence[str]) -> str:
    """The query side of a heading pair: document title, then the heading path (as chunks are headed)."""
    parts = [title, *[p for p in path if p != title]]
    return " > ".join(parts[:4])


def document_pairs(chunks: Iterable[Chunk], cfg: AdaptConfig = AdaptConfig()) -> list[Pair]:
    """Training pairs from the documents' own structure (see the module docstring)."""
    unknown = set(cfg.kinds) - set(PAIR_KINDS)
    if unknown:
        raise ValueError(f"unknown pair kinds: {sorted(unknown)} (known: {', '.join(PAIR_KINDS)})")
    pairs: list[Pair] = []
    for (doc_id, title, path), paras in _sections(chunks).items():
        group = f"{doc_id}#{' > '.join(path)}"
        if "heading" in cfg.kinds and path:
            words = " ".join(paras).split()
            for n, lo in enumerate(range(0, len(words), cfg.window_words)):
                window = words[lo : lo + cfg.window_words]
                if n >= cfg.max_windows or len(window) < 12:
                    break
                pairs.append(Pair(heading_query(title, path), " ".join(window), "heading", group))
        if "lead" in cfg.kinds:
            for para in paras:
                parts = _SENTENCE_END.split(para, maxsplit=1)
                if len(parts) == 2 and len(parts[0].split()) >= 6 and len(parts[1].split()) >= 12:
                    rest = " ".join(parts[1].split()[: cfg.window_words])
                    pairs.append(Pair(parts[0], rest, "lead", group))
    return pairs


def batches(pairs: Sequence[Pair], batch_size: int, rng: random.Random) -> list[list[Pair]]:
    """Shuffled batches in which no two pairs share a group or a query text (an in-batch
    negative must really be a wrong answer); a pair that fits nowhere opens a new batch."""
    order = list(pairs)
    rng.shuffle(order)
    out: list[list[Pair]] = []
    keys: list[set[str]] = []
    for p in order:
        for b, k in zip(out, keys, strict=True):
            if len(b) < batch_size and p.group not in k and p.query not in k:
                b.append(p)
                k.update((p.group, p.query))
                break
        else:
            out.append([p])
            keys.append({p.group, p.query})
    return [b for b in out if len(b) > 1]


def fine_tune(
    base_model: str, pairs: Sequence[Pair], out_dir: Path, cfg: AdaptConfig = AdaptConfig(),
    log: Callable[[str], None] | None = None,
) -> dict[str, float | int]:
    """Tune a copy of ``base_model`` on ``pairs`` and save it to ``out_dir``; returns steps, seconds, loss."""
    import numpy as np
    import torch
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(1)
    random.seed(cfg.seed)
    np.random.seed(cfg.seed)
    torch.manual_seed(cfg.seed)
    rng = random.Random(cfg.seed)
    model = SentenceTransformer(base_model, device="cpu")
    model.max_seq_length = min(cfg.max_seq_tokens, model.max_seq_length or cfg.max_seq_tokens)
    plan = [b for _ in range(cfg.epochs) for b in batches(pairs, cfg.batch_size, rng)]
    if cfg.max_steps is not None:
        plan = plan[: cfg.max_steps]
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=0.01)
    warm = max(1, int(len(plan) * cfg.warmup))
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / warm, max(0.0, (len(plan) - s) / max(1, len(plan) - warm)))
    )
    model.train()
    t0, cpu0 = time.perf_counter(), time.process_time()
    losses: list[float] = []

    def embed(texts: list[str]) -> torch.Tensor:
        # Padded to the batch's longest text, not to the model's window: a short heading batch
        # would otherwise cost (and hold in memory for the backward pass) 256 tokens a text.
        feats = model.tokenizer(texts, padding=True, truncation=True, max_length=model.max_seq_length,
                                return_tensors="pt")
        out = model(dict(feats))["sentence_embedding"]
        return torch.nn.functional.normalize(out, p=2, dim=1)

    for step, batch in enumerate(plan):
        q = embed([p.query for p in batch])
        d = embed([p.passage for p in batch])
        logits = q @ d.T * cfg.scale
        loss = torch.nn.functional.cross_entropy(logits, torch.arange(len(batch)))
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        losses.append(float(loss.detach()))
        if log is not None and (step % 5 == 0 or step == len(plan) - 1):
            log(f"step {step + 1}/{len(plan)} loss {np.mean(losses[-5:]):.3f} cpu {time.process_time() - cpu0:.0f}s")
    model.eval()
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save(str(out_dir))
    return {
        "pairs": len(pairs), "steps": len(plan), "wall_s": round(time.perf_counter() - t0, 1),
        "cpu_s": round(time.process_time() - cpu0, 1),
        "loss_first": round(float(np.mean(losses[:10])), 4) if losses else 0.0,
        "loss_last": round(float(np.mean(losses[-10:])), 4) if losses else 0.0,
    }

