"""First names with a weak cue, marked by what the sentence says only of people: a role held ("Your
buddy is Aiko"), a conversation had ("discussed with Kenji yesterday"), an absence or a cover ("Rosa
is on holiday", "Leo covers for her"), a joint subject with "I" ("Tariq and I"), a personal belonging
("Pieter's laptop"), a greeting of two people ("Hi Priya and Tom,"), a task passed on ("reassigned to
Helga"), a first name in brackets after a personal role ("our technical contact (Ravi)"), a sender or
recipient in an e-mail header ("Von: Anya" above "An: ..."),
or someone one was "with" whom a "he"/"she" takes up as the next subject; a full name, or one word
the model itself reads as a person, in apposition to a noun only people are named by ("Agent Rosa
verified ...", "the driver, Piet Smit").

All are weak cues (``WEAK_CUE_RECOGNIZERS``): words the text also writes in lower case and words of
the corpus's headings still veto them, and one word must pass ``_single_ok``.
"""

from __future__ import annotations

import re
from typing import Any

from presidio_analyzer import EntityRecognizer, RecognizerResult

from guardrails.pii.lexicon import particles
from guardrails.pii.names import name_tokens
from guardrails.pii.recognizers.person import (
    _NAME_WORD,
    CONTEXT_SCORE,
    _list_follows,
    _non_person_entities,
    weak_name_ok,
)

_START = r"(?:^|(?<=[.!?\n:;\"“(])|(?<![\w-])(?:but|and|then|when|while|so))[ \t>*•-]*"
# What may follow a name that closes its phrase: punctuation, a function or time word.
_CLOSES = re.compile(
    r"[ \t]*(?:[,.;:!?)\n]|$|[-–—][ \t]|(?:and|&|on|at|in|about|regarding|re|yesterday|today|tomorrow|tonight|"
    r"this|last|next|earlier|later|to|for|before|after|during|over|again|too|as\s+well|now|who|when|if|while|"
    r"until|since|because|but)\b)"
)
# A conversation with someone: verbs before "with" that a firm is rarely the partner of ("met",
# "call", "agreed", "aligned" with a firm are common; "synced"/"integrated" with are what systems do).
_TALK_WITH = re.compile(
    r"(?i:\b(?:discussed|discussing|spoke|speaking|spoken|talked|talking|chatted|chatting|catch-?up|"
    r"caught[ \t]+up|1:1|one-on-one|paired|pairing|lunch|coffee|sat[ \t]+down)[ \t]+with[ \t]+)"
)
# A task passed on to a person ("reassigned to Helga", "delegated to Bram").
_HANDED_TO = re.compile(r"(?i:\b(?:re-?assigned|delegated)[ \t]+to[ \t]+)")
# The sender and recipients of an e-mail in its header, in the languages served: a header line
# ("Von: Anya") next to another header line ("An: ...", "Betreff: ...").
_HEADER_LABEL = (
    r"from|to|cc|bcc|reply-to|sent|date|subject|von|an|gesendet|betreff|de|à|a|envoyé|objet|van|aan|verzonden|"
    r"onderwerp|para|enviado|asunto|od|do|wysłano|temat|data"
)
_HEADER_LINE = re.compile(rf"(?im:^[ \t>]*(?:{_HEADER_LABEL})[ \t]*:[ \t]*)")
_PERSON_HEADER = re.compile(r"(?im:^[ \t>]*(?:from|to|cc|bcc|reply-to|von|an|de|à|a|van|aan|para|od|do)[ \t]*:[ \t]*)")
# Said of a person at the start of a sentence: an absence, a cover, joining as a role, a unit and a
# human act ("Zofia from procurement asked").
_ABSENT = (
    r"(?:is|was|will[ \t]+be|has[ \t]+been|'s)[ \t]+(?:out[ \t]+sick|off[ \t]+sick|sick|ill|off[ \t]+today|"
    r"off[ \t]+tomorrow|back[ \t]+from[ \t]+(?:holiday|vacation|leave)|"
    r"on[ \t]+(?:(?:annual|sick|parental|maternity|paternity|medical|unpaid)[ \t]+)?(?:holiday|holidays|"
    r"vacation|leave|pto))"
)
_HUMAN_PREDICATE = re.compile(
    rf"[ \t]+(?:\([^()\n]{{1,30}}\)[ \t]+)?(?:{_ABSENT}|"
    r"covers[ \t]+for|covered[ \t]+for|stands[ \t]+in[ \t]+for|stood[ \t]+in[ \t]+for|fills[ \t]+in[ \t]+for|"
    r"joined[ \t]+(?:us|our[ \t]+team|the[ \t]+team|as[ \t]+(?:an?[ \t]+|our[ \t]+)?(?:[a-z][\w-]*[ \t]+){0,2}"
    r"(?:analyst|engineer|developer|consultant|intern|architect|designer|specialist|administrator|accountant|"
    r"assistant|coordinator|scientist|trainee|apprentice|recruiter))|"
    r"(?:will|would|can|could|should|must|shall)[ \t]+call[ \t]+(?:you|him|her|them|the[ \t]+(?:customer|client)|back)|"
    r"from[ \t]+(?:the[ \t]+|our[ \t]+|their[ \t]+)?(?:[a-z][\w-]*[ \t]+){0,2}(?:asked|said|wrote|joined|called|"
    r"mentioned|confirmed|replied|explained|reported|sent|shared)|"
    r"and[ \t]+(?:I|me|myself)\b)\b"
)
# A role only a person holds, then the holder's first name in brackets ("our technical contact (Ravi)",
# "the project lead (Joanna)"); a partner, vendor or provider in brackets is as often a firm.
_ROLE_THEN_NAME = re.compile(
    r"(?i:\b(?:lead|manager|director|officer|head|coordinator|architect|consultant|engineer|analyst|developer|"
    r"assistant|contact|contact[ \t]+person|colleague|counsel|sponsor|representative|approver|reviewer|"
    r"buddy|mentor|recruiter|chair(?:person)?|(?:decision|action|task|risk)[ \t]+owner))[ \t]+[(\[][ \t]*"
)
# An e-mail address with its owner's name in brackets after it, the form mail headers use
# ("x@example.net (Terence)").
_MAILBOX_THEN_NAME = re.compile(r"([\w.%+-]+)@[\w-]+(?:\.[\w-]+)+[ \t]+\([ \t]*")
# Local parts of shared mailboxes: a team's or a tool's name stands in brackets after them
# ("help@example.com (Zendesk)").
_SHARED_MAILBOX = frozenset({
    "help", "helpdesk", "support", "service", "services", "servicedesk", "sales", "info", "contact", "hello",
    "admin", "office", "team", "billing", "invoice", "invoices", "accounts", "payroll", "hr", "it", "noreply",
    "no", "reply", "jobs", "careers", "press", "privacy", "security", "legal", "orders", "bookings",
    "reception", "desk", "ops", "alerts", "notifications", "finance", "procurement", "purchasing", "marketing",
})
# Nouns only people are named in apposition to ("Agent Rosa verified", "the driver, Piet Smit:",
# "our colleague Ines"). Nouns that also name software or products ("agent", "driver", "host",
# "user") are left out but for "Agent" written as a call centre's title before the name.
_PERSON_NOUN = re.compile(
    r"(?:\b(?i:caller|passenger|traveller|traveler|guest|visitor|candidate|applicant|colleague|employee|"
    r"intern|trainee|technician|nurse|patient|cardholder|chauffeur)|(?<![\w-][ \t])\bAgent|"
    r"(?i:\b(?:the|our|your|their|his|her|a)[ \t]+driver))(?:[ \t]*,)?[ \t]+"
)
_ME_AND = re.compile(rf"(?i:\b(?:me|I|myself)[ \t]+and[ \t]+)({_NAME_WORD})")
# Things only a person has: a laptop, a calendar, a manager, a leave.
# (not a calendar, inbox, manager, login or onboarding: a firm has those too)
_BELONGING = (
    r"laptop|desk|line[ \t]+manager|holiday|vacation|sick[ \t]+note|payslip|salary|badge|probation|appraisal|"
    r"performance[ \t]+review|cv|résumé|out-of-office|workstation"
)
_POSSESSIVE = re.compile(rf"(?<![\w'’-])({_NAME_WORD})['’]s[ \t]+(?i:{_BELONGING})\b")
# Roles only a person holds (an owner, a contact, a host or a beneficiary may be a firm or a server).
_ROLE_IS = re.compile(
    r"(?i:\b(?:buddy|mentor|approver|reviewer|presenter|speaker|facilitator|note[\s-]*taker|scribe|chair(?:person)?|"
    r"trainer|recruiter|(?:line|hiring)[ \t]+manager|new[ \t]+(?:hire|joiner|starter)|candidate|applicant|"
    r"champion)[ \t]+(?:is|was|will[ \t]+be|has[ \t]+been)[ \t]+)"
)
_GREETING_PAIR = re.compile(
    r"(?:(?m:^)|(?<=[.!?][ \t]))[ \t>]*(?i:hi|hello|hey|dear|morning|good[ \t]+(?:morning|afternoon)|hallo|hoi|"
    r"bonjour|hola|cześć)[ \t]+"
    rf"({_NAME_WORD})[ \t]+(?:and|&|und|et|en|y|i)[ \t]+({_NAME_WORD})[ \t]*[,!:\n]"
)
# "he"/"she" as the next subject: in the rest of the sentence or the next one, no other capitalised
# word (another candidate) between.
_SUBJECT_PRONOUN = re.compile(r"\b(?:he|she|He|She)[ \t]+(?:is|was|will|has|had|said|says|can|could|would|'s|’s|"
                              r"should|did|does|asked|wants|needs|sent|shared|confirmed|agreed|[a-z]+ed|[a-z]+s)\b")
_PRONOUN = re.compile(r"(?i:\b(?:he|she|him|her|his)\b)")


class PersonMentionRecognizer(EntityRecognizer):
    """First names and full names marked by a sentence that speaks of a person (see the module)."""

    def __init__(self) -> None:
        super().__init__(supported_entities=["PERSON"], name="PersonMentionRecognizer", supported_language="en")
        self.start_word = re.compile(rf"{_START}({_NAME_WORD})(?=[ \t])")
        self.with_word = re.compile(rf"(?i:\bwith[ \t]+)({_NAME_WORD})")

    def load(self) -> None:
        pass

    def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[Any]:
        out: list[Any] = []
        orgs = _non_person_entities(nlp_artifacts)

        def add(a: int, b: int) -> None:
            if weak_name_ok(text, a, b, orgs):
                out.append(RecognizerResult("PERSON", a, b, CONTEXT_SCORE))

        def closing_name(pos: int, max_tokens: int = 2) -> tuple[int, int] | None:
            span = name_tokens(text, pos, allow_lower=False, max_tokens=max_tokens)
            if not span or not _CLOSES.match(text, span[1]) or _list_follows(text, span[1]):
                return None
            # "with Kafka and Spark experts": a pair that a noun follows modifies it
            pair = re.match(rf"[ \t]+(?:and|&)[ \t]+({_NAME_WORD})", text[span[1] :])
            if pair and not _CLOSES.match(text, span[1] + pair.end(1)):
                return None
            return span

        # A noun naming only people, then the name in apposition: a full name as such; one word only
        # where the model reads it as a person too ("Guest Wi-Fi", "Candidate Portal" are labels).
        single = None
        persons: set[tuple[int, int]] | None = None
        for m in _PERSON_NOUN.finditer(text):
            span = name_tokens(text, m.end(), allow_lower=False, max_tokens=3)
            if not span or _list_follows(text, span[1]) or _FIRM_AFTER.match(text, span[1]):
                continue
            if len(text[span[0] : span[1]].split()) == 1:
                single = set(_model_single_names(nlp_artifacts)) if single is None else single
                if span not in single:
                    continue
            add(*span)
        for pattern in (_ROLE_IS, _TALK_WITH, _HANDED_TO):
            for m in pattern.finditer(text):
                if span := closing_name(m.end()):
                    add(*span)
                    self._partner(text, span[1], add)
        # A name alone in brackets: the owner of a task ("alert tuning (Helen)"), a person after a
        # role or an address ("owner [Nigel]", "x@y.example (Gail)"), only where the model reads the
        # bracket's words as a person too: capitalised feature and setting names in brackets ("(Auto
        # Post)", "(Beta Channel)") look like names to the shape test, and "(SAP)" is no name.
        for m in _BRACKETED.finditer(text):
            a, b = m.start(1), m.end(1)
            words = text[a:b].split()
            if len(words) >= 2 and not all(w[:1].isupper() for w in words if w.lower() not in particles()):
                continue
            persons = set(_model_person_spans(nlp_artifacts)) if persons is None else persons
            if (a, b) not in persons:
                continue
            add(a, b)
        # An initial and a surname ("A. Douglas", "contact T. Brooks on ..."): not a list's label
        # ("A. Scope" at a line's start, "Appendix B. Customers"), nor a heading going on in capitals.
        for m in _INITIAL_SURNAME.finditer(text):
            line_start = text.rfind("\n", 0, m.start()) + 1
            before = text[line_start : m.start()]
            if not before.strip(" \t>*•-") or _LABEL_BEFORE.search(before):
                continue
            if _CAPITALISED_WORD_NEXT.match(text, m.end()):
                continue
            if weak_name_ok(text, m.start(1), m.end(1), orgs):
                out.append(RecognizerResult("PERSON", m.start(), m.end(), CONTEXT_SCORE))
        for m in _ROLE_THEN_NAME.finditer(text):
            span = name_tokens(text, m.end(), allow_lower=False, max_tokens=1)
            if span and re.match(r"[ \t]*[)\]]", text[span[1] :]) and (text[m.end() - 1] == "(") == (
                    text[span[1] :].lstrip()[:1] == ")"):
                add(*span)
        if "@" in text:
            for m in _MAILBOX_THEN_NAME.finditer(text):
                if any(w in _SHARED_MAILBOX for w in re.split(r"[\W\d_]+", m.group(1).lower())):
                    continue
                span = name_tokens(text, m.end(), allow_lower=False, max_tokens=3)
                if span and re.match(r"[ \t]*\)", text[span[1] :]):
                    add(*span)
        for m in _PERSON_HEADER.finditer(text):
            span = name_tokens(text, m.end(), allow_lower=False, max_tokens=3)
            if span and re.match(r"[ \t]*(?:[;,<\n]|$)", text[span[1] :]) and _next_to_header(text, m.start()):
                add(*span)
        for m in self.start_word.finditer(text):
            if _HUMAN_PREDICATE.match(text, m.end(1)):
                add(m.start(1), m.end(1))
        for m in _ME_AND.finditer(text):
            if _CLOSES.match(text, m.end(1)):
                add(m.start(1), m.end(1))
        for m in _POSSESSIVE.finditer(text):
            add(m.start(1), m.end(1))
        for m in _GREETING_PAIR.finditer(text):
            add(m.start(1), m.end(1))
            add(m.start(2), m.end(2))
        # Someone one was "with" that a "he"/"she" takes up next ("Synced with Ravi today; he will
        # share the logs"). A sentence subject or an object of "to"/"from"/"for" taken up so is as
        # often a place or a firm ("Madrid was lovely; she stayed", "He works for Google and he ...").
        for m in self.with_word.finditer(text):
            sentence_start = max(text.rfind(c, 0, m.start()) for c in ".!?\n") + 1
            if _CLOSES.match(text, m.end(1)) and not _PRONOUN.search(text, sentence_start, m.start()) \
                    and _pronoun_next(text, m.end(1)):  # fmt: skip
                add(m.start(1), m.end(1))
        return out

    @staticmethod
    def _partner(text: str, end: int, add: Any) -> None:
        """"with Ewa and Tomasz": the other member of the pair, when it closes the phrase too."""
        m = re.match(rf"[ \t]+(?:and|&)[ \t]+({_NAME_WORD})", text[end:])
        if m and _CLOSES.match(text, end + m.end(1)):
            add(end + m.start(1), end + m.end(1))


# A bracket holding one to three words and nothing else ("(Helen)", "[M. Mills]", "(Ana Ruiz)").
_BRACKETED = re.compile(r"[(\[][ \t]*([^\W\d_][^\W\d_'’\-]*(?:[ \t]+[^\W\d_][^\W\d_'’\-]*){0,2})[ \t]*[)\]]")
_INITIAL_SURNAME = re.compile(r"(?<![\w.&'’-])[A-Z]\.[ \t]?([^\W\d_][^\W\d_'’]+(?:-[^\W\d_]+)?)(?![\w'’-]|\.\w)")
_CAPITALISED_WORD_NEXT = re.compile(r"[ \t]+[A-Z]")
# A capitalised word or a number right before the letter makes it a label ("Appendix B.", "1 A.").
_LABEL_BEFORE = re.compile(r"(?:[A-Z][\w'’-]*|\d)[ \t]*$")

# What follows a firm named after a person: "and Sons", "y asociados", a legal form is judged later;
# a lower-case noun phrase naming what it does ("Hamann second-level support").
_FIRM_AFTER = re.compile(r"[ \t]+(?:&|and|und|et|en|y|e|i)[ \t]+[A-Za-z]|[ \t]+[a-z][\w-]*-[a-z]")


def _model_single_names(nlp_artifacts: Any) -> list[tuple[int, int]]:
    """Offsets of the one-word entities spaCy's NER labels as persons."""
    return [(e.start_char, e.end_char) for e in getattr(nlp_artifacts, "entities", None) or []
            if e.label_ == "PERSON" and len(e) == 1]  # fmt: skip


def _model_person_spans(nlp_artifacts: Any) -> list[tuple[int, int]]:
    """Offsets of the entities spaCy's NER labels as persons."""
    return [(e.start_char, e.end_char) for e in getattr(nlp_artifacts, "entities", None) or []
            if e.label_ == "PERSON"]  # fmt: skip


def _next_to_header(text: str, line_start: int) -> bool:
    """The line before or after the one at ``line_start`` is an e-mail header line too."""
    prev_start = text.rfind("\n", 0, max(0, line_start - 1)) + 1
    if line_start > 0 and _HEADER_LINE.match(text, prev_start) and prev_start < line_start:
        return True
    nl = text.find("\n", line_start)
    return nl >= 0 and bool(_HEADER_LINE.match(text, nl + 1))


def _pronoun_next(text: str, pos: int) -> bool:
    """A "he"/"she" subject follows in the rest of the sentence or the next, with no capitalised word
    between but at a sentence start."""
    ends = [m.end() for m in re.finditer(r"[.!?](?:\s|$)|\n\s*\n", text[pos : pos + 240])]
    stop = pos + (ends[1] if len(ends) > 1 else min(240, len(text) - pos))
    m = _SUBJECT_PRONOUN.search(text, pos, stop)
    if not m:
        return False
    between = text[pos : m.start()]
    # another capitalised word between (not opening a sentence) may be the one taken up
    return not any(not re.search(r"(?:^|[.!?;:])\s*$", between[: w.start()]) for w in _CAPITALISED.finditer(between))


_CAPITALISED = re.compile(r"\b[A-Z][a-z]")
