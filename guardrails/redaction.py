"""Redaction of detected PII: numbered placeholders per response, index masks, per-principal policy."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import yaml

from guardrails.spans import PiiSpan

# Local ordering of access levels (lowest first). guardrails must not import the retrievers'
# AccessLevel, so levels arrive as their lower-case names.
ACCESS_LEVELS: tuple[str, ...] = ("public", "partner", "internal", "restricted")

DEFAULT_POLICY_PATH = Path(__file__).with_name("redaction_policy.yaml")


def _normalise_value(value: str) -> str:
    """Case-, accent-form- and whitespace-insensitive key so "Zoë  Brandão" == "zoë brandão"."""
    return " ".join(unicodedata.normalize("NFC", value).casefold().split())


class PlaceholderMap:
    """Typed, numbered placeholders kept consistent for one response.

    The same (type, normalised value) always maps to the same ``<PERSON_1>``; a second distinct
    person becomes ``<PERSON_2>``. Use one map per response so numbers never link responses.
    """

    def __init__(self) -> None:
        self._by_key: dict[tuple[str, str], str] = {}
        self._counts: dict[str, int] = {}

    def placeholder(self, entity_type: str, value: str) -> str:
        """Placeholder for this value of this type (allocated on first sight)."""
        key = (entity_type, _normalise_value(value))
        found = self._by_key.get(key)
        if found is None:
            n = self._counts.get(entity_type, 0) + 1
            self._counts[entity_type] = n
            found = f"<{entity_type}_{n}>"
            self._by_key[key] = found
        return found

    def __len__(self) -> int:
        return len(self._by_key)

    def mapping(self) -> dict[str, tuple[str, str]]:
        """Placeholder -> (type, normalised value); for server-side use only, never sent out."""
        return {ph: key for key, ph in self._by_key.items()}


def resolve_overlaps(text: str, spans: Iterable[PiiSpan]) -> list[PiiSpan]:
    """Clip spans to the text and resolve overlaps: the union of overlapping spans is replaced,
    typed after the member that starts first (the longer one on ties)."""
    n = len(text)
    clipped = []
    for s in spans:
        start, end = max(0, s.start), min(n, s.end)
        if end > start:
            clipped.append(PiiSpan(s.entity_type, start, end, s.score))
    clipped.sort(key=lambda s: (s.start, -s.end))
    out: list[PiiSpan] = []
    for s in clipped:
        if out and s.start < out[-1].end:
            last = out[-1]
            if s.end > last.end:
                out[-1] = PiiSpan(last.entity_type, last.start, s.end, max(last.score, s.score))
            continue
        out.append(s)
    return out


def redact(
    text: str,
    spans: Iterable[PiiSpan],
    *,
    reveal: frozenset[str] = frozenset(),
    placeholders: PlaceholderMap | None = None,
) -> str:
    """Replace every span whose type is not in ``reveal`` with a numbered placeholder.

    Spans may overlap or reach past the text (they are clipped). Pass the same ``placeholders``
    for every piece of one response (answer, snippets, events) so numbering stays consistent.
    """
    pmap = placeholders if placeholders is not None else PlaceholderMap()
    parts: list[str] = []
    pos = 0
    # Drop revealed spans before resolving overlaps: where a revealed and a hidden span overlap,
    # the hidden one still wins (fail closed).
    for s in resolve_overlaps(text, (s for s in spans if s.entity_type not in reveal)):
        parts.append(text[pos : s.start])
        parts.append(pmap.placeholder(s.entity_type, text[s.start : s.end]))
        pos = s.end
    parts.append(text[pos:])
    return "".join(parts)


def mask_for_index(text: str, spans: Iterable[PiiSpan]) -> str:
    """Replace all spans with unnumbered typed masks (``<PERSON>``) for embedding/full-text text.

    Deterministic: the output depends only on text and spans, so content hashes stay stable.
    """
    parts: list[str] = []
    pos = 0
    for s in resolve_overlaps(text, spans):
        parts.append(text[pos : s.start])
        parts.append(f"<{s.entity_type}>")
        pos = s.end
    parts.append(text[pos:])
    return "".join(parts)


class _Detector(Protocol):
    def detect(self, text: str) -> list[PiiSpan]: ...


def redact_question(text: str, detector: _Detector, placeholders: PlaceholderMap | None = None) -> str:
    """Redact a user question before it is logged or sent to an LLM (nothing is revealed)."""
    return redact(text, detector.detect(text), placeholders=placeholders)


# ---------------------------------------------------------------------------------------------


def _level_rank(level: str) -> int:
    name = str(level).strip().lower()
    if name not in ACCESS_LEVELS:
        raise ValueError(f"unknown access level {level!r}; expected one of {', '.join(ACCESS_LEVELS)}")
    return ACCESS_LEVELS.index(name)


@dataclass(frozen=True)
class RevealRule:
    """Reveal ``entity_types`` to principals with access level >= ``min_level`` (if set) that hold
    at least one of ``roles`` (if set). A rule with neither condition is rejected."""

    entity_types: frozenset[str]
    min_level: str | None = None
    roles: frozenset[str] = field(default_factory=frozenset)

    def applies(self, level: str, roles: frozenset[str]) -> bool:
        if self.min_level is not None and _level_rank(level) < _level_rank(self.min_level):
            return False
        return not self.roles or bool(self.roles & roles)


@dataclass(frozen=True)
class RedactionPolicy:
    """Which principals may see which entity types. The default reveals nothing."""

    rules: tuple[RevealRule, ...] = ()

    @classmethod
    def default(cls) -> RedactionPolicy:
        """A policy that reveals no entity type to anyone."""
        return cls(())

    @classmethod
    def from_yaml(cls, text_or_path: str | Path) -> RedactionPolicy:
        """Load from a YAML string or file path; raises ValueError with the reason on bad input.

        Format::

            reveal:
              - entity_types: [PERSON, EMAIL_ADDRESS]
                min_level: restricted        # optional: public|partner|internal|restricted
                roles: [privacy_officer]     # optional: any of these roles
        """
        source: str
        if isinstance(text_or_path, Path) or (
            isinstance(text_or_path, str) and "\n" not in text_or_path and text_or_path.endswith((".yaml", ".yml"))
        ):
            path = Path(text_or_path)
            try:
                source = path.read_text(encoding="utf-8")
            except OSError as exc:
                raise ValueError(f"cannot read redaction policy {path}: {exc}") from exc
        else:
            source = str(text_or_path)
        try:
            data = yaml.safe_load(source)
        except yaml.YAMLError as exc:
            raise ValueError(f"redaction policy is not valid YAML: {exc}") from exc
        return cls.from_dict(data)

    @classmethod
    def from_dict(cls, data: Any) -> RedactionPolicy:
        """Build from parsed YAML (None or an empty mapping means the default policy)."""
        if data is None:
            return cls.default()
        if not isinstance(data, Mapping):
            raise ValueError("redaction policy must be a mapping with a 'reveal' list")
        unknown = set(data) - {"reveal"}
        if unknown:
            raise ValueError(f"unknown keys in redaction policy: {sorted(map(str, unknown))}")
        items = data.get("reveal") or []
        if not isinstance(items, list):
            raise ValueError("'reveal' must be a list of rules")
        rules = []
        for i, item in enumerate(items):
            if not isinstance(item, Mapping):
                raise ValueError(f"reveal rule {i} must be a mapping")
            extra = set(item) - {"entity_types", "min_level", "roles"}
            if extra:
                raise ValueError(f"reveal rule {i}: unknown keys {sorted(map(str, extra))}")
            types = item.get("entity_types")
            if not isinstance(types, list) or not types or not all(isinstance(t, str) and t for t in types):
                raise ValueError(f"reveal rule {i}: 'entity_types' must be a non-empty list of names")
            min_level = item.get("min_level")
            if min_level is not None:
                if not isinstance(min_level, str):
                    raise ValueError(f"reveal rule {i}: 'min_level' must be a string")
                try:
                    _level_rank(min_level)
                except ValueError as exc:
                    raise ValueError(f"reveal rule {i}: {exc}") from exc
                min_level = min_level.strip().lower()
            roles = item.get("roles") or []
            if not isinstance(roles, list) or not all(isinstance(r, str) and r for r in roles):
                raise ValueError(f"reveal rule {i}: 'roles' must be a list of role names")
            if min_level is None and not roles:
                # A rule without conditions would reveal to everyone, including the public.
                raise ValueError(f"reveal rule {i}: needs 'min_level' and/or 'roles'")
            rules.append(
                RevealRule(
                    entity_types=frozenset(t.strip().upper() for t in types),
                    min_level=min_level,
                    roles=frozenset(roles),
                )
            )
        return cls(tuple(rules))

    def revealed_types(self, level: str, roles: Iterable[str]) -> frozenset[str]:
        """Entity types this principal may see unredacted (level: public|partner|internal|restricted)."""
        _level_rank(level)  # reject unknown levels early, even with no rules
        role_set = frozenset(roles)
        out: set[str] = set()
        for rule in self.rules:
            if rule.applies(level, role_set):
                out |= rule.entity_types
        return frozenset(out)
