"""Dev/test split of an evaluation set by document, fixed before any parameter is chosen.

Every set (demo, CUAD, docs_qa_dev, PII texts) is split the same way: a case belongs to
the half of its (first) source document, decided by a salted SHA-256 of the document id.
Parameters are chosen on ``dev`` only; reports show both halves side by side.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from typing import Literal, TypeVar

Half = Literal["dev", "test"]
HALVES: tuple[Half, Half] = ("dev", "test")
SALT = "partner-copilot-split-v1"

T = TypeVar("T")


def half_of(doc_id: str, salt: str = SALT) -> Half:
    """The half a document belongs to: stable across runs, machines and set sizes."""
    digest = hashlib.sha256(f"{salt}:{doc_id}".encode()).digest()
    return "dev" if digest[0] % 2 == 0 else "test"


def split_by_doc(items: Iterable[T], doc_of: Callable[[T], str], salt: str = SALT) -> dict[Half, list[T]]:
    """Partition ``items`` into the two halves by the document each belongs to."""
    out: dict[Half, list[T]] = {"dev": [], "test": []}
    for item in items:
        out[half_of(doc_of(item), salt)].append(item)
    return out
