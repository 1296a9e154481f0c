"""Which source root each indexed document came from (the source ledger).

A document is keyed by ``(tenant_id, doc_id)`` and ``doc_id`` is the path relative to
its corpus folder, so two folders holding the same relative path for the same tenant
would write the same document. The ledger records the root that wrote each document:
a second root writing the same key is a collision (an error naming both files), and
``--prune`` only ever considers documents its own root wrote.

The ledger is a small JSON file next to the index, replaced atomically (write to a
temporary file, then ``os.replace``), and written *before* the documents it claims,
so a crash can leave a claim without a document (harmless: a claim only counts while
its document is in the index) but never a document without its claim.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterable
from pathlib import Path

UPLOAD_ROOT = "api-upload"  # the pseudo-root of documents uploaded through the API


def _key(tenant_id: str, doc_id: str) -> str:
    return f"{tenant_id}\x00{doc_id}"


class SourceLedger:
    """(tenant_id, doc_id) -> source root, persisted in one JSON file."""

    def __init__(self, path: Path | None):
        self.path = path
        self._lock = threading.Lock()
        self._items: dict[str, str] = {}
        if path is not None and path.exists():
            try:
                raw = json.loads(path.read_text(encoding="utf-8"))
                self._items = {str(k): str(v) for k, v in raw.get("documents", {}).items()}
            except (OSError, ValueError, AttributeError):
                # An unreadable ledger must not make ingest overwrite blindly: fail loudly.
                raise ValueError(f"source ledger {path} is unreadable; restore or delete it") from None

    def root_of(self, tenant_id: str, doc_id: str) -> str | None:
        with self._lock:
            return self._items.get(_key(tenant_id, doc_id))

    def claim(self, entries: Iterable[tuple[str, str]], root: str) -> None:
        """Record ``root`` as the source of every (tenant_id, doc_id) in ``entries``."""
        with self._lock:
            changed = False
            for tenant_id, doc_id in entries:
                k = _key(tenant_id, doc_id)
                if self._items.get(k) != root:
                    self._items[k] = root
                    changed = True
            if changed:
                self._save()

    def release(self, entries: Iterable[tuple[str, str]]) -> None:
        with self._lock:
            changed = False
            for tenant_id, doc_id in entries:
                changed |= self._items.pop(_key(tenant_id, doc_id), None) is not None
            if changed:
                self._save()

    def documents_of(self, root: str) -> set[tuple[str, str]]:
        with self._lock:
            out = set()
            for k, r in self._items.items():
                if r == root:
                    tenant_id, doc_id = k.split("\x00", 1)
                    out.add((tenant_id, doc_id))
            return out

    def _save(self) -> None:
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump({"version": 1, "documents": self._items}, fh, sort_keys=True)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path)
