"""Which document's copy of a repeated passage answers: the one whose headings fit the question.

Product guides repeat paragraphs: the install guide of each platform carries the same
prerequisite, the "configure" and the "using" guide of a plugin open with the same overview.
Such copies read identically, so unit scoring ties them and the retrieval rank decides,
which is close to a coin toss between sibling guides. What tells them apart is where each
copy stands: the document title and the section path. "How do I install the X plug-ins?"
belongs to the copy under "Installing X plug-ins", not the one under "Using X plug-ins".

:func:`prefer_fitting_copies` groups near-identical units of different documents (unit vectors
closer than the answerer's near-duplicate cosine) and hands the group's best score to the
copy whose title and section path hold the most of the question's content words, the others
just below in that order. Only the order inside a group changes: the best score, and with it
the refusal signals, stay as they were. The headings are the units' own chunks' metadata, so
nothing is read beyond the passages the caller was already allowed to see.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from guardrails.citations import content_terms

# Scores inside a group step down by this, so the group's order survives the sort without
# moving any copy past a unit from outside the group.
_STEP = 1e-6


def _context_fit(chunk: Any, q_terms: set[str]) -> int:
    """How many of the question's content words the chunk's title and section path hold."""
    return len(q_terms & content_terms(" ".join([chunk.title, *chunk.section_path])))


def copy_groups(units: Sequence[Any], vectors: np.ndarray, similarity: float) -> list[list[int]]:
    """Groups (indexes into ``units``) of near-identical units spanning two or more documents."""
    n = len(units)
    if n < 2:
        return []
    sims = vectors @ vectors.T
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(n):
        for j in range(i):
            if units[i].chunk.doc_id != units[j].chunk.doc_id and float(sims[i, j]) > similarity:
                parent[find(i)] = find(j)
    groups: dict[int, list[int]] = {}
    for i in range(n):
        groups.setdefault(find(i), []).append(i)
    return [g for g in groups.values() if len({units[i].chunk.doc_id for i in g}) > 1]


def prefer_fitting_copies(
    units: Sequence[Any], scores: np.ndarray, vectors: np.ndarray, q_terms: set[str], similarity: float
) -> np.ndarray:
    """``scores`` with each group of cross-document copies reordered by heading fit (ties: the
    earlier score order); returns a new array."""
    out = np.asarray(scores, dtype=float).copy()
    for group in copy_groups(units, vectors, similarity):
        top = float(out[group].max())
        fits = {i: _context_fit(units[i].chunk, q_terms) for i in group}
        if len(set(fits.values())) == 1:
            continue  # the headings do not tell the copies apart: keep the order as scored
        ranked = sorted(group, key=lambda i: (-fits[i], -out[i]))
        for step, i in enumerate(ranked):
            out[i] = top - step * _STEP
    return out


def normalize_words(text: str) -> str:
    """Case, punctuation and spacing do not matter; words and numbers do."""
    return " ".join(re.findall(r"\w+", text.lower()))


def exact_copies(units: Sequence[Any], cands: Sequence[tuple[Any, float]]) -> list[list[Any]]:
    """For each quoted unit, the candidate units of other documents with the same words (case,
    punctuation and spacing aside), one per document: the quoted text stands in each of them, so
    each is a source of it. Candidates come from the passages the asker was allowed to read."""
    out: list[list[Any]] = []
    for u in units:
        key = normalize_words(u.text)
        docs = {u.chunk.doc_id}
        found: list[Any] = []
        for c, _ in cands:
            if c.chunk.doc_id not in docs and normalize_words(c.text) == key:
                docs.add(c.chunk.doc_id)
                found.append(c)
        out.append(found)
    return out
