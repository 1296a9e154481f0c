"""SOW scope check: compare every clause of a statement of work with the approved scope language.

A SOW is split into clauses (the paragraphs and list items of the parsed document, each
with its section path and character span). Each template rule is then checked two ways:

- **explicit rules** per rule id: language that deviates (uncapped liability, code outside
  the approved extension points, informal scope changes, acceptance on delivery) and, for
  the module rule, reserved modules named in scope; negated mentions ("no standard source
  code is changed") and the usual liability carve-outs (fraud, death or personal injury)
  are not deviations;
- **embedding similarity** between clauses and the rule's approved language decides
  whether a required clause or a standard exclusion is present at all: a clause on the
  rule's topic that is close enough to the approved language, or any clause that is very
  close to it.

Findings carry the rule, its severity, the clause (when there is one) and citations to both
the SOW clause (doc_id, section, character span) and the template section. The check never
approves or rejects a SOW; findings go to a person through the review queue.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from copilot.governance.checks.models import Citation, Finding
from copilot.governance.checks.templates import SowTemplate, TemplateError, TemplateRule, load_template_file
from ingestion.parsing import ParsedDocument
from retrievers.embeddings import Embedder
from retrievers.schema import SECTION_SEP, Chunk

# Similarity of a clause to a rule's approved language (all-MiniLM-L6-v2 cosine) at which
# a clause on the rule's topic counts as that clause, and at which any clause does.
TOPIC_THRESHOLD = 0.35
STRONG_THRESHOLD = 0.72
# A standard exclusion is short ("Hardware, printers and networks.") and must already sit in an
# exclusion section or be phrased as one and name the topic; similarity only confirms it.
EXCLUSION_THRESHOLD = 0.25
# A scope line is read as a reserved module when its nearest module (by the module's name and
# aliases) is a reserved one at this similarity, ahead of the nearest allowed module by MODULE_MARGIN.
MODULE_THRESHOLD = 0.5
MODULE_MARGIN = 0.1


class NotASowError(ValueError):
    """The document does not read like a statement of work."""


@dataclass
class Clause:
    index: int
    text: str
    section_path: list[str]
    start: int
    end: int

    @property
    def heading(self) -> str:
        return self.section_path[-1] if self.section_path else ""

    @property
    def section(self) -> str:
        return SECTION_SEP.join(self.section_path)


@dataclass
class SowDocument:
    doc_id: str
    title: str | None
    text: str
    clauses: list[Clause]
    doc_hash: str = ""


# ---------------------------------------------------------------------------- clause splitting


_HEADING_LIKE = re.compile(r"^(\d+(\.\d+)*\.?\s+)?[A-Z][^.:;!?]{1,80}$")


def looks_like_heading(text: str) -> bool:
    """A short line without closing punctuation that is numbered or in capitals ("9. LIABILITY").

    Plain-text SOWs have no markup, so the parser sees their headings as paragraphs.
    """
    text = text.strip()
    if "\n" in text or len(text.split()) > 8 or not _HEADING_LIKE.match(text):
        return False
    return bool(re.match(r"^\d+(\.\d+)*\.?\s", text)) or text.upper() == text


def clauses_from_parsed(doc: ParsedDocument) -> list[Clause]:
    """Every non-heading block is a clause; headings only give the section path."""
    out: list[Clause] = []
    inferred: tuple[list[str], str] | None = None
    for b in doc.blocks:
        if b.is_title:
            inferred = None
            continue
        text = doc.text[b.start : b.end].strip()
        if not text:
            continue
        if looks_like_heading(text):
            inferred = (list(b.section_path), text)
            continue
        path = list(b.section_path)
        if inferred is not None and inferred[0] == path:
            path = [*path, inferred[1]]
        out.append(Clause(len(out), text, path, b.start, b.end))
    return out


def document_from_chunks(doc_id: str, chunks: Sequence[Chunk]) -> SowDocument:
    """Rebuild an indexed document's text and clauses from its chunks.

    Chunks overlap and carry their offsets into the extracted text, so the text is
    re-assembled exactly; blocks are separated by blank lines (as the parser joins them) and
    a block equal to a section title seen in the chunks' paths is a heading.
    """
    ordered = sorted(chunks, key=lambda c: (c.char_start, c.position))
    parts: list[str] = []
    end = 0
    for c in ordered:
        exact = len(c.text) == c.char_end - c.char_start
        if exact and c.char_start <= end:
            parts.append(c.text[end - c.char_start :])
            end = max(end, c.char_end)
        elif exact and c.char_start > end:
            parts.append("\n\n" + c.text)  # gap: should not happen, keep the text anyway
            end = c.char_end
        else:  # text rewritten at ingest (strict PII mode): offsets no longer line up
            parts.append(("\n\n" if parts else "") + c.text)
            end += len(c.text) + 2
    text = "".join(parts)
    paths: dict[str, list[str]] = {}
    for c in ordered:
        for i, heading in enumerate(c.section_path):
            paths.setdefault(heading.strip(), list(c.section_path[: i + 1]))
    clauses: list[Clause] = []
    real: list[str] = []  # path of the last heading the parser recognised
    current: list[str] = []
    for m in re.finditer(r"[^\n]+(?:\n(?!\n)[^\n]*)*", text):
        block = m.group(0).strip()
        if not block:
            continue
        if block in paths:
            real = current = paths[block]
            continue
        if looks_like_heading(block):
            current = [*real, block]
            continue
        clauses.append(Clause(len(clauses), block, list(current), m.start(), m.end()))
    title = ordered[0].title if ordered else None
    doc_hash = ordered[0].doc_hash if ordered else ""
    return SowDocument(doc_id, title, text, clauses, doc_hash)


# ---------------------------------------------------------------------------- SOW or not

_SOW_NAME = re.compile(r"\bstatement of work\b|\bSOW\b")
_SOW_SIGNALS = [
    re.compile(r"\bscope\b", re.I),
    re.compile(r"\bdeliverables?\b|\bservices\b", re.I),
    re.compile(r"\bmilestones?\b", re.I),
    re.compile(r"\baccept(ance|ed)\b", re.I),
    re.compile(r"\b(fees?|price|payment|invoiced?|time and materials)\b", re.I),
    re.compile(r"\b(the customer|the partner|the client)\b", re.I),
    re.compile(r"\b(liability|change request|exclusions?|out of scope)\b", re.I),
]


def looks_like_sow(text: str) -> bool:
    """A SOW names itself, or reads like one (scope, services, milestones, fees, parties ...)."""
    head = text[:3000]
    hits = sum(1 for p in _SOW_SIGNALS if p.search(text))
    return (bool(_SOW_NAME.search(head)) and hits >= 2) or hits >= 5


# ---------------------------------------------------------------------------- explicit rules


@dataclass(frozen=True)
class Cues:
    """What a clause on the rule's topic looks like, and which wording deviates from it."""

    topic: re.Pattern[str]
    forbidden: tuple[re.Pattern[str], ...] = ()
    carve_out: re.Pattern[str] | None = None
    exclusion: bool = False  # a standard exclusion: must be stated as something not delivered
    negation_inside: bool = False  # a negator inside the match also negates it ("is never switched off")
    forbidden_message: str = ""


# The cues belong to a template, not to the product: they live beside it in the templates folder
# (COPILOT_TEMPLATES_DIR), keyed by the template's rule ids.
SOW_CUES = "sow-rule-cues.json"


def parse_rule_cues(raw: bytes, doc_id: str = SOW_CUES) -> dict[str, Cues]:
    """rule_id -> Cues from the JSON cues file (patterns are case-insensitive regular expressions)."""
    try:
        rules = json.loads(raw)["rules"]
        return {
            rule_id: Cues(
                topic=re.compile(spec["topic"], re.I),
                forbidden=tuple(re.compile(x, re.I) for x in spec.get("forbidden", ())),
                carve_out=re.compile(spec["carve_out"], re.I) if spec.get("carve_out") else None,
                exclusion=bool(spec.get("exclusion", False)),
                negation_inside=bool(spec.get("negation_inside", False)),
                forbidden_message=str(spec.get("forbidden_message", "")),
            )
            for rule_id, spec in rules.items()
        }
    except (ValueError, KeyError, TypeError, AttributeError, re.error) as exc:
        raise TemplateError(f"{doc_id}: invalid rule cues ({type(exc).__name__}: {exc})") from None


def load_rule_cues(templates_dir: Path) -> dict[str, Cues]:
    """The cues beside the SOW template (cached until the file changes); none without the file."""
    if not (Path(templates_dir) / SOW_CUES).is_file():
        return {}
    return load_template_file(templates_dir, SOW_CUES, parse_rule_cues)


_NEGATORS = re.compile(r"\b(no|not|never|nothing|none|neither|nor|without|excluding|except|other than)\b|n't\b", re.I)
_EXCLUSION_HEADING = re.compile(r"out of scope|exclu|\bnot\b|outside|won't|limitations of scope", re.I)
_EXCLUSION_PHRASE = re.compile(
    r"\bnot (part of|included|in scope|covered|delivered|provided by)\b|\bexcluded\b|\bout of scope\b|"
    r"\bremains? with\b|\bstays? with\b|\bare for (the customer|\w+ and)\b|\bis for (the customer|\w+ and)\b|"
    r"\bthe customer (provides|supplies|delivers)\b|\bprovides and (maintains|supports)\b", re.I)
_SCOPE_HEADING = re.compile(r"scope|services|deliver|modules|implement|what .* will", re.I)
_SENTENCE = re.compile(r".+?(?:[.!?](?=\s+[A-Z(\"']|\s*$)|$)", re.S)


def _sentences(text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in _SENTENCE.finditer(text) if m.group(0).strip()]


def _negated(sentence: str, match_start: int) -> bool:
    """A negator within the four words before the match ("no standard source code is changed")."""
    before = sentence[:match_start].split()[-4:]
    return bool(_NEGATORS.search(" ".join(before)))


def _in_exclusion_section(clause: Clause) -> bool:
    return any(_EXCLUSION_HEADING.search(t) for t in clause.section_path[1:]) or bool(
        clause.section_path and len(clause.section_path) == 1 and _EXCLUSION_HEADING.search(clause.section_path[0])
    )


def _sentence_span(clause: Clause, s: int, e: int) -> tuple[int, int]:
    """Char span of a sentence of a clause in the document (clause text is stripped)."""
    return clause.start + s, clause.start + e


# ---------------------------------------------------------------------------- the checker


@dataclass
class _Hit:
    rule: TemplateRule
    kind: str
    message: str
    clause: Clause | None
    span: tuple[int, int] | None
    similarity: float | None = None


@dataclass
class SowChecker:
    """Checks SOW documents against one template with one embedding model."""

    template: SowTemplate
    embedder: Embedder
    cues: Mapping[str, Cues] = field(default_factory=dict)  # rule_id -> wording cues (load_rule_cues)
    topic_threshold: float = TOPIC_THRESHOLD
    strong_threshold: float = STRONG_THRESHOLD
    exclusion_threshold: float = EXCLUSION_THRESHOLD
    module_threshold: float = MODULE_THRESHOLD
    module_margin: float = MODULE_MARGIN
    _rule_vecs: dict[str, np.ndarray] = field(default_factory=dict, init=False, repr=False)
    _module_vecs: np.ndarray | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        rules = list(self.template.rules.values())
        vecs = self.embedder.encode([f"{r.title}: {r.text}" for r in rules])
        self._rule_vecs = {r.rule_id: v for r, v in zip(rules, vecs, strict=True)}
        modules = [*self.template.allowed_modules, *self.template.reserved_modules]
        if modules and self.template.reserved_modules:
            self._module_vecs = self.embedder.encode([f"{m.name} ({', '.join(m.aliases)})" for m in modules])

    # -- similarity ----------------------------------------------------------------------
    def similarities(self, clauses: Sequence[Clause]) -> dict[str, np.ndarray]:
        """rule_id -> cosine similarity of every clause (heading included) to the rule text."""
        if not clauses:
            return {rid: np.zeros(0, dtype=np.float32) for rid in self._rule_vecs}
        vecs = self.embedder.encode([f"{c.heading}: {c.text}" if c.heading else c.text for c in clauses])
        return {rid: vecs @ rv for rid, rv in self._rule_vecs.items()}

    # -- the check -----------------------------------------------------------------------
    def check(self, doc: SowDocument) -> list[Finding]:
        if not doc.clauses:
            raise NotASowError(f"{doc.doc_id}: no clauses could be read from the document")
        sims = self.similarities(doc.clauses)
        hits: list[_Hit] = []
        for rule in self.template.rules.values():
            if rule.group == "modules":
                hits += self._modules(rule, doc.clauses)
                continue
            cues = self.cues.get(rule.rule_id)
            hits += self._required(rule, cues, doc.clauses, sims[rule.rule_id])
        return [self._finding(doc, h) for h in hits]

    def _required(self, rule: TemplateRule, cues: Cues | None, clauses: Sequence[Clause],
                  sim: np.ndarray) -> list[_Hit]:
        on_topic = [
            c for c in clauses
            if cues is None or cues.topic.search(c.text) or cues.topic.search(c.heading)
        ]
        if cues is not None and cues.exclusion:
            on_topic = [c for c in on_topic if _in_exclusion_section(c) or _EXCLUSION_PHRASE.search(c.text)]
        # Deviating wording first: a clause can be present and still deviate.
        deviations: list[_Hit] = []
        if cues is not None and cues.forbidden:
            for c in on_topic:
                for s, e in _sentences(c.text):
                    sentence = c.text[s:e]
                    if cues.carve_out is not None and cues.carve_out.search(sentence):
                        continue
                    m = next((m for p in cues.forbidden for m in [p.search(sentence)]
                              if m and not _negated(sentence, m.start())
                              and not (cues.negation_inside and _NEGATORS.search(m.group(0)))), None)
                    if m is not None:
                        deviations.append(_Hit(rule, "deviation",
                                               f"{cues.forbidden_message} ('{m.group(0)}')",
                                               c, _sentence_span(c, s, e), float(sim[c.index])))
                        break
        if deviations:
            return deviations
        topic_best = max((float(sim[c.index]) for c in on_topic), default=-1.0)
        strong = [c for c in clauses if float(sim[c.index]) >= self.strong_threshold]
        if cues is not None and cues.exclusion:
            strong = [c for c in strong if _in_exclusion_section(c) or _EXCLUSION_PHRASE.search(c.text)]
        threshold = self.exclusion_threshold if cues is not None and cues.exclusion else self.topic_threshold
        if topic_best >= threshold or strong:
            return []
        closest = max(clauses, key=lambda c: float(sim[c.index]))
        what = "standard exclusion" if cues is not None and cues.exclusion else "required clause"
        return [_Hit(rule, "missing",
                     f"no clause matches the {what} '{rule.title}' (closest clause similarity "
                     f"{float(sim[closest.index]):.2f})", None, None, float(sim[closest.index]))]

    def _modules(self, rule: TemplateRule, clauses: Sequence[Clause]) -> list[_Hit]:
        scope = [c for c in clauses if not _in_exclusion_section(c)]
        scoped = [c for c in scope if any(_SCOPE_HEADING.search(t) for t in c.section_path[1:])]
        # Without scope headings (a plain-text SOW) every non-exclusion clause is read.
        candidates = scoped or scope
        hits: list[_Hit] = []
        seen: set[str] = set()
        for module in self.template.reserved_modules:
            pats = [re.compile(rf"(?<!\w){re.escape(t)}(?![\w-])", 0 if t.isupper() else re.I)
                    for t in module.terms]
            for c in candidates:
                if module.name in seen:
                    break
                for s, e in _sentences(c.text):
                    sentence = c.text[s:e]
                    if _EXCLUSION_PHRASE.search(sentence):
                        continue
                    m = next((m for p in pats for m in [p.search(sentence)] if m), None)
                    if m is not None and not _negated(sentence, m.start()):
                        note = f": {module.note}" if module.note else ""
                        hits.append(_Hit(rule, "deviation",
                                         f"'{module.name}' is in scope but is not a partner-deliverable module"
                                         f"{note} (matched '{m.group(0)}')", c, _sentence_span(c, s, e)))
                        seen.add(module.name)
                        break
        hits += self._modules_by_similarity(rule, candidates, seen, {id(h.clause) for h in hits})
        return hits

    def _modules_by_similarity(self, rule: TemplateRule, candidates: Sequence[Clause], seen: set[str],
                               flagged: set[int]) -> list[_Hit]:
        """Scope lines that describe a reserved module in other words ("store tills" -> Point of Sale)."""
        if self._module_vecs is None:
            return []
        rest = [c for c in candidates if id(c) not in flagged and not _EXCLUSION_PHRASE.search(c.text)]
        if not rest:
            return []
        n_allowed = len(self.template.allowed_modules)
        sims = self.embedder.encode([c.text for c in rest]) @ self._module_vecs.T
        hits: list[_Hit] = []
        for c, row in zip(rest, sims, strict=True):
            best_allowed = float(row[:n_allowed].max()) if n_allowed else -1.0
            j = int(np.argmax(row[n_allowed:]))
            module = self.template.reserved_modules[j]
            score = float(row[n_allowed + j])
            if module.name in seen or score < self.module_threshold or score - best_allowed < self.module_margin:
                continue
            note = f": {module.note}" if module.note else ""
            hits.append(_Hit(rule, "deviation",
                             f"'{module.name}' appears to be in scope but is not a partner-deliverable module{note} "
                             f"(similarity {score:.2f})", c, (c.start, c.end), score))
            seen.add(module.name)
        return hits

    def _finding(self, doc: SowDocument, h: _Hit) -> Finding:
        rule = h.rule
        span = h.span
        key = f"{doc.doc_id}|{doc.doc_hash}|{rule.rule_id}|{h.kind}|{span}"
        sow_cite = None
        clause_text = None
        if h.clause is not None and span is not None:
            sow_cite = Citation(doc_id=doc.doc_id, title=doc.title, section=h.clause.section,
                                char_start=span[0], char_end=span[1])
            clause_text = doc.text[span[0] : span[1]].strip()
        return Finding(
            finding_id=hashlib.sha256(key.encode()).hexdigest()[:24],
            rule_id=rule.rule_id, rule_title=rule.title, rule_text=rule.text,
            severity=rule.severity if rule.severity in ("low", "medium", "high", "critical") else "medium",  # type: ignore[arg-type]
            kind=h.kind,  # type: ignore[arg-type]
            message=h.message, clause_text=clause_text,
            similarity=round(h.similarity, 4) if h.similarity is not None else None,
            sow_citation=sow_cite,
            template_citation=Citation(doc_id=self.template.doc_id, title=self.template.title, section=rule.section,
                                       char_start=rule.char_start, char_end=rule.char_end),
        )
