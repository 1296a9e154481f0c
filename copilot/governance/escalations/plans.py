"""Section plans: how each note section finds its evidence, loaded from a YAML data file.

A corpus ships its own plans (the demo corpus: ``corpora/demo/escalation-plans.yaml``) named by
the setting ``escalation_plans_path``; without one the generic ``default-plans.yaml`` beside
this module is used. Product code holds no corpus wording.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from copilot.governance.escalations.model import SECTION_TITLES, DraftRequest

DEFAULT_PLANS = Path(__file__).with_name("default-plans.yaml")
_FIELDS = {
    "max_sentences", "use_issue_terms", "min_score", "keep_order", "min_issue_overlap",
    "severity_bonus", "whole_chunk", "k",
}


@dataclass(frozen=True)
class SectionPlan:
    """How one section finds its evidence, with the request's values filled in."""

    key: str
    doc_types: tuple[str, ...]
    query: str
    focus: tuple[str, ...]  # words that make a sentence relevant for this section
    require: re.Pattern[str] | None = None  # a sentence must match this to qualify
    exclude: re.Pattern[str] | None = None
    max_sentences: int = 4
    use_issue_terms: bool = True
    min_score: float = 1.0
    keep_order: bool = False
    min_issue_overlap: int = 0  # the sentence must share this many terms with the issue
    severity_bonus: float = 0.0  # added when the sentence names the request's severity
    whole_chunk: bool = False  # take every sentence of the best matching chunk, in order
    k: int = 6


class PlanError(ValueError):
    """The plans file is missing or malformed."""


@lru_cache(maxsize=8)
def _raw_plans(path: str) -> tuple[dict[str, Any], ...]:
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise PlanError(f"cannot read escalation plans {path}: {exc}") from None
    plans = data.get("plans") if isinstance(data, dict) else None
    if not isinstance(plans, list) or not plans:
        raise PlanError(f"{path}: expected a non-empty 'plans' list")
    for i, p in enumerate(plans):
        if not isinstance(p, dict) or p.get("key") not in SECTION_TITLES or not p.get("query"):
            raise PlanError(f"{path}: plan {i + 1} needs a known 'key' and a 'query'")
        unknown = set(p) - _FIELDS - {"key", "doc_types", "query", "focus", "require", "exclude"}
        if unknown:
            raise PlanError(f"{path}: plan {i + 1} has unknown fields {sorted(unknown)}")
    return tuple(plans)


def plans_path(configured: Path | str | None) -> Path:
    """The configured plans file when it exists, else the generic default."""
    if configured and Path(configured).is_file():
        return Path(configured)
    return DEFAULT_PLANS


def _fill(template: str, req: DraftRequest) -> str:
    # str.replace, not str.format: regexes keep their own braces ({2,3}).
    return (template.replace("{severity_lower}", req.severity.lower())
            .replace("{severity}", req.severity).replace("{summary}", req.summary))


def _regex(template: str | None, req: DraftRequest) -> re.Pattern[str] | None:
    if not template:
        return None
    # Caller text inside a regex is matched literally.
    safe = DraftRequest(req.customer, req.project_ref, re.escape(req.summary), re.escape(req.severity))
    return re.compile(_fill(template, safe), re.I)


def load_plans(req: DraftRequest, path: Path | str | None = None) -> list[SectionPlan]:
    """The plans of ``path`` (or the default) with ``req``'s severity and summary filled in."""
    out = []
    for p in _raw_plans(str(plans_path(path))):
        out.append(SectionPlan(
            key=p["key"],
            doc_types=tuple(p.get("doc_types") or ()),
            query=_fill(str(p["query"]), req),
            focus=tuple(_fill(str(f), req) for f in p.get("focus") or ()),
            require=_regex(p.get("require"), req),
            exclude=_regex(p.get("exclude"), req),
            **{k: p[k] for k in _FIELDS if k in p},
        ))
    return out
