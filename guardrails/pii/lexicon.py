"""Word lists shipped as package data (``guardrails/pii/data/*.txt``), loaded once."""

from __future__ import annotations

from functools import cache
from importlib import resources


@cache
def words(name: str) -> frozenset[str]:
    """Lower-case entries of ``data/<name>.txt`` (blank lines and ``#`` comments skipped)."""
    text = resources.files("guardrails.pii").joinpath("data", f"{name}.txt").read_text(encoding="utf-8")
    return frozenset(
        line.strip().lower() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")
    )


def particles() -> frozenset[str]:
    return words("particles")


def not_names() -> frozenset[str]:
    return words("not_names")


def org_words() -> frozenset[str]:
    return words("org_words")


def domain_words() -> frozenset[str]:
    return words("domain_words")


def instruction_verbs() -> frozenset[str]:
    return words("instruction_verbs")
