"""The vendor's governance templates, read from the templates folder of the corpus.

The rules live in the documents themselves (``corpora/demo/templates``), so partner
operations change a rule by editing the template, and every finding can cite the
template section it comes from:

- the SOW scope template has one section per rule, headed ``SOW-XXX-NN: title``, with a
  ``Severity:`` line, the approved language and, for the module rule, the lists of
  partner-deliverable and reserved modules (``Name (also: alias, alias): note``);
- the milestone checklists have one section per milestone, headed
  ``Milestone <id>: title``, with one bullet per required artifact:
  ``Name (artifact: <id>; also: alias; signature required): description``.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

from ingestion.parsing import ParsedDocument, parse_bytes
from retrievers.schema import SECTION_SEP

SOW_TEMPLATE = "sow-scope-template.md"
MILESTONE_TEMPLATE = "milestone-evidence-checklists.md"

_RULE_HEAD = re.compile(r"^(SOW-[A-Z]+-\d+)\s*:\s*(.+)$")
_MILESTONE_HEAD = re.compile(r"^Milestone\s+([a-z0-9][a-z0-9-]*)\s*:\s*(.+)$", re.I)
_ITEM = re.compile(r"^(?P<name>[^(:]+?)\s*\((?P<meta>[^)]*)\)\s*(?::\s*(?P<desc>.*))?$", re.S)


class TemplateError(ValueError):
    """A template file is missing or does not follow the expected structure."""


@dataclass(frozen=True)
class Module:
    name: str
    aliases: tuple[str, ...]
    note: str = ""

    @property
    def terms(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


@dataclass
class TemplateRule:
    rule_id: str
    title: str
    severity: str
    text: str  # the approved language (or the rule statement)
    deviation: str  # what counts as a deviation, in words
    section: str
    char_start: int
    char_end: int
    group: str  # the top-level section: modules | required | exclusions | other


@dataclass
class SowTemplate:
    doc_id: str
    title: str
    rules: dict[str, TemplateRule]
    allowed_modules: list[Module] = field(default_factory=list)
    reserved_modules: list[Module] = field(default_factory=list)


@dataclass(frozen=True)
class Artifact:
    artifact_id: str
    name: str
    aliases: tuple[str, ...]
    description: str
    signature_required: bool
    section: str
    char_start: int
    char_end: int

    @property
    def terms(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


@dataclass
class Milestone:
    milestone_id: str
    title: str
    artifacts: list[Artifact]
    section: str


@dataclass
class MilestoneChecklists:
    doc_id: str
    title: str
    milestones: dict[str, Milestone]

    def all_artifacts(self) -> dict[str, Artifact]:
        """Every artifact type named anywhere (a document is classified against all of them)."""
        out: dict[str, Artifact] = {}
        for m in self.milestones.values():
            for a in m.artifacts:
                out.setdefault(a.artifact_id, a)
        return out


def _blocks(doc: ParsedDocument) -> list[tuple[str, list[str], int, int, bool]]:
    return [(doc.text[b.start : b.end], b.section_path, b.start, b.end, b.is_title) for b in doc.blocks]


def _group_of(path: list[str]) -> str:
    top = " ".join(path[:2]).lower()
    if "module" in top:
        return "modules"
    if "exclusion" in top:
        return "exclusions"
    if "required" in top or "clause" in top:
        return "required"
    return "other"


def _split_meta(meta: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in meta.split(";"):
        key, sep, value = part.partition(":")
        out[key.strip().lower()] = value.strip() if sep else ""
    return out


def parse_sow_template(data: bytes, doc_id: str) -> SowTemplate:
    doc = parse_bytes(data, doc_id)
    rules: dict[str, TemplateRule] = {}
    allowed: list[Module] = []
    reserved: list[Module] = []
    current: TemplateRule | None = None
    module_list: list[Module] | None = None
    for text, path, start, end, is_title in _blocks(doc):
        if is_title:
            m = _RULE_HEAD.match(text.strip())
            if m:
                current = TemplateRule(m.group(1), m.group(2).strip(), "medium", "", "",
                                       SECTION_SEP.join(path), start, end, _group_of(path))
                rules[current.rule_id] = current
            else:
                current = None
            module_list = None
            continue
        if current is None:
            continue
        current.char_end = end
        low = text.lower()
        if low.startswith("severity:"):
            current.severity = text.split(":", 1)[1].strip().lower()
        elif low.startswith("approved language:") or low.startswith("rule:"):
            current.text = text.split(":", 1)[1].strip()
        elif low.startswith("deviation:"):
            current.deviation = text.split(":", 1)[1].strip()
        elif current.group == "modules" and low.rstrip(":").endswith("modules") and "partner-deliverable" in low:
            module_list = allowed
        elif current.group == "modules" and ("reserved" in low or "outside" in low) and text.rstrip().endswith(":"):
            module_list = reserved
        elif module_list is not None:
            item = _ITEM.match(text.strip())
            if item:
                meta = _split_meta(item.group("meta"))
                aliases = tuple(a.strip() for a in meta.get("also", "").split(",") if a.strip())
                module_list.append(Module(item.group("name").strip(), aliases, (item.group("desc") or "").strip()))
            else:
                module_list.append(Module(text.strip().rstrip("."), ()))
    if not rules:
        raise TemplateError(f"{doc_id}: no rule sections ('SOW-XXX-NN: title') found")
    for r in rules.values():
        if not r.text:
            raise TemplateError(f"{doc_id}: rule {r.rule_id} has no 'Approved language:' or 'Rule:' paragraph")
    return SowTemplate(doc_id, doc.title or "SOW scope template", rules, allowed, reserved)


def parse_milestone_checklists(data: bytes, doc_id: str) -> MilestoneChecklists:
    doc = parse_bytes(data, doc_id)
    milestones: dict[str, Milestone] = {}
    current: Milestone | None = None
    for text, path, start, end, is_title in _blocks(doc):
        if is_title:
            m = _MILESTONE_HEAD.match(text.strip())
            current = Milestone(m.group(1).lower(), m.group(2).strip(), [], SECTION_SEP.join(path)) if m else None
            if current is not None:
                milestones[current.milestone_id] = current
            continue
        if current is None:
            continue
        item = _ITEM.match(text.strip())
        if not item:
            continue
        meta = _split_meta(item.group("meta"))
        if "artifact" not in meta:
            continue
        aliases = tuple(a.strip() for a in meta.get("also", "").split(",") if a.strip())
        current.artifacts.append(
            Artifact(meta["artifact"], item.group("name").strip(), aliases, (item.group("desc") or "").strip(),
                     "signature required" in meta, SECTION_SEP.join(path), start, end)
        )
    if not milestones:
        raise TemplateError(f"{doc_id}: no milestone sections ('Milestone <id>: title') found")
    return MilestoneChecklists(doc_id, doc.title or "Milestone evidence checklists", milestones)


_CACHE: dict[tuple[str, str, float], object] = {}
_LOCK = threading.Lock()


def _doc_id(path: Path) -> str:
    """doc_id as ingestion assigns it: the path relative to the corpus root (the templates
    folder's parent)."""
    return f"{path.parent.name}/{path.name}"


def load_template_file(templates_dir: Path, name: str, parser):
    path = Path(templates_dir) / name
    try:
        stat = path.stat()
    except OSError:
        raise TemplateError(f"governance template not found: {path}") from None
    key = (str(path.resolve()), name, stat.st_mtime)
    with _LOCK:
        if key not in _CACHE:
            _CACHE[key] = parser(path.read_bytes(), _doc_id(path))
        return _CACHE[key]


def load_sow_template(templates_dir: Path) -> SowTemplate:
    """The SOW scope template (cached until the file changes)."""
    return load_template_file(templates_dir, SOW_TEMPLATE, parse_sow_template)


def load_milestone_checklists(templates_dir: Path) -> MilestoneChecklists:
    """The milestone evidence checklists (cached until the file changes)."""
    return load_template_file(templates_dir, MILESTONE_TEMPLATE, parse_milestone_checklists)
