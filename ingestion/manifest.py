"""The corpus manifest: permission tags per path or glob, validated with pydantic.

A file takes the tags of the last entry whose ``path`` matches it, so specific
entries written after broad globs override them. A file no entry matches is
rejected (fail closed): nothing is ever indexed with default permissions.
"""

from __future__ import annotations

import fnmatch
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from retrievers.access import MAX_TS, MIN_TS, AccessLevel, to_ts
from retrievers.schema import DocType

TENANT_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,62}$"


class ManifestError(ValueError):
    """The manifest itself is unusable; the message names the problem and where."""


def _as_datetime(value: date | datetime | None) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.combine(value, time.min, tzinfo=UTC)


class DocumentTags(BaseModel):
    """Permission and lifecycle tags of one document."""

    model_config = ConfigDict(extra="forbid")

    tenant_id: str = Field(pattern=TENANT_PATTERN)
    access_level: AccessLevel
    doc_type: DocType
    title: str | None = Field(default=None, max_length=300)
    version: str = Field(default="1", max_length=64)
    valid_from: datetime | date | None = None
    valid_until: datetime | date | None = None
    approved: bool = True
    supersedes: str | None = None

    @field_validator("access_level", mode="before")
    @classmethod
    def _level(cls, v: Any) -> AccessLevel:
        return AccessLevel.parse(v)

    @field_validator("version", mode="before")
    @classmethod
    def _version(cls, v: Any) -> str:
        return str(v)

    @model_validator(mode="after")
    def _window(self) -> DocumentTags:
        if self.valid_from_ts >= self.valid_until_ts:
            raise ValueError("valid_from must be before valid_until")
        return self

    @property
    def valid_from_ts(self) -> int:
        return to_ts(_as_datetime(self.valid_from), MIN_TS)

    @property
    def valid_until_ts(self) -> int:
        return to_ts(_as_datetime(self.valid_until), MAX_TS)


class ManifestEntry(DocumentTags):
    path: str = Field(min_length=1)
    index: int = Field(default=0, exclude=True)  # position in the file: later entries win


class InvalidEntry(BaseModel):
    """A manifest entry that failed validation; files it would tag are rejected with ``error``."""

    path: str
    error: str
    index: int


class Manifest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int = 1
    exclude: list[str] = Field(default_factory=list)
    documents: list[ManifestEntry] = Field(default_factory=list)
    invalid: list[InvalidEntry] = Field(default_factory=list)

    def is_excluded(self, rel_path: str) -> bool:
        return any(fnmatch.fnmatch(rel_path, pat) or fnmatch.fnmatch(Path(rel_path).name, pat) for pat in self.exclude)

    def tags_for(self, rel_path: str) -> DocumentTags | None:
        """Tags of the last matching valid entry, or None when the file is untagged."""
        tags = self.resolve(rel_path)
        return tags if isinstance(tags, DocumentTags) else None

    def resolve(self, rel_path: str) -> DocumentTags | str | None:
        """Tags for a file, the error of an invalid entry that matched it last, or None if untagged."""
        best: tuple[int, ManifestEntry | InvalidEntry] | None = None
        entries: list[ManifestEntry | InvalidEntry] = [*self.documents, *self.invalid]
        for entry in entries:
            matches = entry.path == rel_path or fnmatch.fnmatch(rel_path, entry.path)
            if matches and (best is None or entry.index >= best[0]):
                best = (entry.index, entry)
        if best is None:
            return None
        entry = best[1]
        if isinstance(entry, InvalidEntry):
            return entry.error
        return DocumentTags(**entry.model_dump(exclude={"path", "index"}))

    def superseded_ids(self, files: list[str]) -> set[tuple[str, str]]:
        """(tenant_id, doc_id) of every document some other tagged file supersedes."""
        out = set()
        for f in files:
            tags = self.tags_for(f)
            if tags is not None and tags.supersedes:
                out.add((tags.tenant_id, tags.supersedes))
        return out


def load_manifest(path: Path) -> Manifest:
    """Read and validate a manifest; raises ManifestError with a readable message."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ManifestError(f"manifest not found: {path}") from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ManifestError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise ManifestError(f"{path}: expected a mapping with a 'documents' list")
    docs = raw.get("documents")
    if not isinstance(docs, list):
        raise ManifestError(f"{path}: 'documents' must be a list of entries with path and tags")
    # Entries are validated one by one so one bad entry rejects only the files it tags.
    valid: list[ManifestEntry] = []
    invalid: list[InvalidEntry] = []
    for i, item in enumerate(docs):
        where = f"documents[{i}]"
        if not isinstance(item, dict) or not isinstance(item.get("path"), str):
            raise ManifestError(f"{path}: {where} needs a 'path' (a file path or glob)")
        try:
            valid.append(ManifestEntry.model_validate({**item, "index": i}))
        except ValidationError as exc:
            invalid.append(InvalidEntry(path=item["path"], error=f"manifest {where}: {_problems(exc)}", index=i))
    try:
        manifest = Manifest.model_validate({k: v for k, v in raw.items() if k != "documents"})
    except ValidationError as exc:
        raise ManifestError(f"{path}: invalid manifest: {_problems(exc)}") from None
    manifest.documents = valid
    manifest.invalid = invalid
    return manifest


def _problems(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or 'entry'}: {e['msg']}" for e in exc.errors(include_url=False)
    )
