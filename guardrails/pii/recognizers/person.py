"""Person names beyond spaCy's NER: names after a cue (greeting, title, role label, signature) and
names directly followed by their contact details."""

from __future__ import annotations

import re
from typing import Any

from presidio_analyzer import EntityRecognizer, RecognizerResult

from guardrails.pii.names import WORD, has_domain_word, is_cap, looks_like_name, name_tokens

# Recognizers whose PERSON results rest on a cue, not on the model's guess.
CUE_RECOGNIZERS = frozenset({"PersonCueRecognizer", "NameBeforeContactRecognizer"})


class PersonCueRecognizer(EntityRecognizer):
    """Names introduced by a cue ("my name is", "Dear", "Mr.", "Name:", a role label, a signature)."""

    STRONG = re.compile(
        r"(?i:\b(?:my\s+name\s+is|name\s+is|(?:full\s+|last\s+|first\s+|sur)?name\s*[:=]|"
        r"last\s+name\?|i\s+am\s+called|call\s+me|calls\s+me|dear|signed(?:\s+for\s+[\w\s]{1,30}?)?\s+by|"
        r"regards,|best,|cheers,|directed\s+by:?|written\s+by|authored\s+by|reported\s+by|approved\s+by|"
        r"owner:|contact:|assignee:|reporter:|requester:|caller:?|user:?|employee:?|attn:?|c/o|cc:|"
        r"copies\s+to|thanks\s+to|assigned\s+to|on\s+behalf\s+of|account\s+holder|holder:|colleague|"
        r"(?:officer|manager|director|counsel|lead|head|coordinator|controller|representative|sponsor|"
        r"architect|consultant|engineer|contact\s+person|contact|escalation\s+contact)(?![^\W\d_])\s*(?:is|:|,)?)\s*)"
    )
    TITLE = re.compile(r"\b(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Herr|Frau|Mme|Mlle|M|Sr|Sra|Dhr|Mevr|Pan|Pani|Shri|Smt)\.?\s+")
    WEAK = re.compile(
        r"(?i:\b(?:hi|hello|hey|thanks|thank\s+you|speak\s+(?:to|with)|talk\s+to|ask\s+for|reach|"
        r"follow\s+up\s+with|from|by|with|if|to|for|at|my\s+(?:kid|son|daughter|wife|husband|friend|"
        r"colleague|manager|boss|mother|father|brother|sister))\s+)"
    )
    INITIAL = re.compile(rf"\b({WORD})\s+([A-Z])\.?\s+({WORD})")
    SUBJECT = re.compile(r"(?i:\b(?:if|when|unless|once|until|while)\s+)")

    def __init__(self) -> None:
        super().__init__(supported_entities=["PERSON"], name="PersonCueRecognizer", supported_language="en")

    def load(self) -> None:
        pass

    def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[Any]:
        out: list[Any] = []

        def add(span: tuple[int, int] | None, score: float) -> None:
            if span and not has_domain_word(text[span[0] : span[1]]):
                out.append(RecognizerResult("PERSON", span[0], span[1], score))

        for m in self.STRONG.finditer(text):
            add(name_tokens(text, m.end(), allow_lower=False, max_tokens=4), 0.6)
        for m in self.TITLE.finditer(text):
            add(name_tokens(text, m.end(), allow_lower=False, max_tokens=3), 0.6)
        for m in self.WEAK.finditer(text):
            span = name_tokens(text, m.end(), allow_lower=False, max_tokens=3)
            if span:
                seg = text[span[0] : span[1]]
                after = text[span[1] : span[1] + 1]
                # After a weak cue a capitalised word is a name only when it closes the clause
                # ("Hi Anna,", "thanks to Ola!") or is written with non-ASCII letters.
                # "to Ford, Smith and Lane": the first of a list of bare capitalised words (the shape of
                # a partnership's name) is no clause of its own.
                if _list_follows(text, span[1]):
                    continue
                if not seg.isascii() or after in (":", "?", "!", "'", "’", '"', "", "\n", ",", ";", ")", "("):
                    add(span, 0.45)
        # "If Anna is unavailable": a capitalised word as the subject of a subordinate clause.
        for m in self.SUBJECT.finditer(text):
            span = name_tokens(text, m.end(), allow_lower=False, max_tokens=3)
            if span and _AUXILIARY.match(text, span[1]):
                add(span, 0.45)
        for m in self.INITIAL.finditer(text):
            first, last = m.group(1), m.group(3)
            if is_cap(first) and is_cap(last) and len(first) > 1 and len(last) > 1:
                add((m.start(), m.end(3)), 0.5)
        return out


_AUXILIARY = re.compile(r"[ \t]+(?:is|isn't|was|wasn't|has|hasn't|had|will|won't|would|can|cannot|can't|could|"
                        r"should|does|doesn't|did|didn't)\b")
_LIST_AFTER_RE = re.compile(
    rf"(?:,[ \t]*({WORD})){{1,3}},?[ \t]+(?:and|&|und|et|en|y|i)[ \t]+({WORD})(?:[ \t]+({WORD}))?"
)


def _list_follows(text: str, pos: int) -> bool:
    """", Smith and Lane" right after ``pos``: the rest of a list of bare capitalised words."""
    m = _LIST_AFTER_RE.match(text, pos)
    if not m:
        return False
    *items, following = m.groups()
    # Every item one capitalised word; the list is not followed by a surname ("and Amanda Gamble").
    return all(w and w[:1].isupper() for w in items) and not (following and following[:1].isupper())
_STRONG_CUE_BEFORE = re.compile(rf"(?:{PersonCueRecognizer.STRONG.pattern}|{PersonCueRecognizer.TITLE.pattern})$")
_CUE_BEFORE = re.compile(
    rf"(?:{PersonCueRecognizer.STRONG.pattern}|{PersonCueRecognizer.TITLE.pattern}|"
    r"(?i:\b(?:hi|hello|hey|dear|thanks|thank\s+you|assigned\s+to|if)\s+))$"
)


def preceded_by_cue(text: str, start: int, strong_only: bool = False) -> bool:
    """A greeting, title, role label or signature cue stands right before ``start`` (``strong_only``:
    a title, role label, salutation or signature, not a greeting or preposition)."""
    return bool((_STRONG_CUE_BEFORE if strong_only else _CUE_BEFORE).search(text[max(0, start - 60) : start]))


class NameBeforeContactRecognizer(EntityRecognizer):
    """A name directly followed by its contact details or a personal identifier's cue ("Ana Ruiz E-mail:
    ...", "Ana Ruiz, ana@x.example", "Ana Ruiz (ana@x.example)", "Ana Ruiz at +34 ...", "Ana Ruiz, born
    ..."), the shape of contact lists, records and notices in business documents."""

    NAME = r"[^\W\d_][^\W\d_'’-]*(?:['’-][^\W\d_]+)*"
    PATTERN = re.compile(
        rf"({NAME}(?:[ \t]+{NAME}){{1,3}})(?=(?![\w'’-])[ \t]*(?:,[ \t]*|\([ \t]*|<[ \t]*|(?i:at|on|via|with)[ \t]+)?"
        r"(?:(?i:e-?mail|phone|tel|mobile)\s*:|[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+\.|\+?\d[\d ()\-]{6,}\d|"
        # or by a personal identifier's cue: "Ana Ruiz, born ...", "Ana Ruiz (national identifier ...)"
        r"(?i:born|date\s+of\s+birth|d\.?o\.?b\b|n[ée]e?\b|geb(?:oren|\.)|national\s+(?:identifier|id|insurance)|"
        r"social\s+security|ssn\b|tax\s+(?:id|number)|passport)))"
    )

    def __init__(self) -> None:
        super().__init__(supported_entities=["PERSON"], name="NameBeforeContactRecognizer", supported_language="en")

    def load(self) -> None:
        pass

    def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[Any]:
        out: list[Any] = []
        for m in self.PATTERN.finditer(text):
            words = m.group(1).split()
            while len(words) > 2 and not looks_like_name(" ".join(words)):
                words.pop(0)
            seg = " ".join(words)
            if looks_like_name(seg) and not has_domain_word(seg):
                start = m.end(1) - len(seg)
                if text[start : m.end(1)] == seg:
                    out.append(RecognizerResult("PERSON", start, m.end(1), 0.7))
        return out


def person_recognizers() -> list[Any]:
    from presidio_analyzer.predefined_recognizers import SpacyRecognizer

    return [SpacyRecognizer(supported_entities=["PERSON", "LOCATION"]), PersonCueRecognizer(),
            NameBeforeContactRecognizer()]  # fmt: skip
