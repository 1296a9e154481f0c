"""Index the governance part of the demo corpus (for the benchmark, the tests and the demo).

Ingests, with the manifest's tags, every file of the demo corpus that the governance checks
read: the templates, the governance SOWs and evidence of every tenant, and the vendor-wide
playbooks (so generic documents such as the shared cutover checklist are present and must
not be mistaken for project evidence).
"""

from __future__ import annotations

import fnmatch
from pathlib import Path

from ingestion.manifest import load_manifest

GOVERNANCE_GLOBS = ("templates/*", "docs/*/governance/*", "docs/shared/playbooks/*")


def ingest_governance_demo(ingestor, root: Path, globs: tuple[str, ...] = GOVERNANCE_GLOBS) -> list[str]:
    """Ingest the governance files of a corpus folder one by one; returns the doc_ids written."""
    root = Path(root)
    manifest = load_manifest(root / "manifest.yaml")
    written = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = path.relative_to(root).as_posix()
        if manifest.is_excluded(rel) or not any(fnmatch.fnmatch(rel, g) for g in globs):
            continue
        tags = manifest.tags_for(rel)
        if tags is None:
            continue
        outcome = ingestor.ingest_bytes(path.read_bytes(), rel, tags)
        if outcome.status in ("written", "skipped"):
            written.append(rel)
    return written
