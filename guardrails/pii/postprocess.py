"""Post-processing of recognizer results: precision filters, address blocks, person mentions, merging."""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from guardrails.pii.entities import VALIDATED_TYPES, priority
from guardrails.pii.given_names import common_given_name
from guardrails.pii.lexicon import instruction_verbs, particles, words
from guardrails.pii.literal import phrase_occurrences, word_occurrences
from guardrails.pii.names import (
    HANDLE_SHAPE,
    WORD,
    WORD_RE,
    core,
    in_bare_name_list,
    is_cap,
    is_legal_form,
    is_org_token,
    looks_like_name,
    name_case,
    name_tokens_ok,
    title_view,
    token_ok_for_name,
)
from guardrails.pii.negatives import on_protected, protected_ranges
from guardrails.pii.tables import ColumnHeaders
from guardrails.spans import PiiSpan

# Types a structured business value (date, version, id, amount) can be mistaken for.
_SHAPE_GUESSED_TYPES = frozenset({"PHONE_NUMBER", "LOCATION", "PERSON"})
WEAK_STREET_SCORE = 0.3


def _norm(value: str) -> str:
    return " ".join(unicodedata.normalize("NFC", value).casefold().split())


# Digits joined by dots, one group of a single digit (no "+" before the first).
_VERSION_DOTTED = re.compile(r"\d+(?:\.\d+)*\.\d(?:\.\d+)*(?<=\d)|\d\.\d+(?:\.\d+)+")


def drop_hostless_ips(text: str, spans: list[PiiSpan]) -> list[PiiSpan]:
    """Drop IP addresses no single host holds: unspecified and loopback ones ("0.0.0.0", "::", "::1",
    "127.0.0.1"), and IPv4 multicast, broadcast and reserved ones ("224.0.0.251", "255.255.255.255")
    are configuration, never a person's. (IPv6 outside those two stays: most of its space is
    "reserved" only until allocated.)"""
    import ipaddress

    def hostless(value: str) -> bool:
        try:
            ip = ipaddress.ip_address(value.strip("[]"))
        except ValueError:
            return False
        return ip.is_unspecified or ip.is_loopback or (ip.version == 4 and (ip.is_multicast or ip.is_reserved))

    return [s for s in spans if not (s.entity_type == "IP_ADDRESS" and hostless(text[s.start : s.end]))]


def drop_structured_values(text: str, spans: list[PiiSpan]) -> list[PiiSpan]:
    """Drop phone/address/person guesses that sit on a date, version, ticket/order id, clause or amount."""
    if not any(s.entity_type in _SHAPE_GUESSED_TYPES for s in spans):
        return spans
    ranges = protected_ranges(text)
    if not ranges:
        return spans
    dates = protected_ranges(text, dates_only=True)
    out = []
    for s in spans:
        # A phone written after a cue or with a country prefix is a phone even when dotted like a version,
        # unless a group between its dots is one digit: phones are dotted in groups of two to four
        # ("612.59.27.23", "415.555.0132"), versions and builds are not ("5.3.0.7349", "2024.3.1389").
        strong_phone = s.entity_type == "PHONE_NUMBER" and s.score >= 0.7 and not _VERSION_DOTTED.fullmatch(
            text, s.start, s.end
        )
        guard = dates if strong_phone else ranges
        # With a cue elsewhere in its sentence ("call Ana Ruiz on 612.59.27.23") a dotted phone is judged
        # without its own dotted shape, which reads as a version; a label before it still counts.
        if (not strong_phone and s.entity_type == "PHONE_NUMBER" and s.score >= 0.65
                and "." in text[s.start : s.end] and not _VERSION_DOTTED.fullmatch(text, s.start, s.end)):  # fmt: skip
            guard = [r for r in ranges if r != (s.start, s.end)]
        if s.entity_type in _SHAPE_GUESSED_TYPES and on_protected(s.start, s.end, guard):
            # An address over several parts whose parts before the last are no structured value stays:
            # a postcode and city such as "Gulbarga-032805" have an id's shape, "39, Pathak Nagar" not.
            sep = max(text.rfind(",", s.start, s.end), text.rfind("\n", s.start, s.end))
            if not (s.entity_type == "LOCATION" and sep > s.start and text[s.start : sep].strip()
                    and not on_protected(s.start, sep, ranges)):  # fmt: skip
                continue
        # A house number cut from the end of a clause or version ("§ 16.11 of the Harbour Loop ...")
        if s.entity_type == "LOCATION" and any(a < s.start < b for a, b in ranges):
            continue
        out.append(s)
    return out


# Between two contact details: punctuation, a joining word, or the kind of the next line ("mobile
# 0612 345 678, office 010-1234567").
_CONTACT_GAP = re.compile(
    r"[\s,;:()\[\]/<>|·•-]*(?:(?i:or|and|at|on|via|or\s+on)[\s,;:()/<>-]*)?"
    r"(?:(?i:office|work|home|private|business|direct|landline|mobile|cell|fax)(?:[ \t]+line)?[\s:()-]*)?"
)


# Characters no gap between contact details holds (``_CONTACT_GAP``: whitespace, brackets and
# separators, a few words): a digit, "@" or "." between an anchor and a number keeps them apart.
_GAP_BLOCKER = re.compile(r"[\d@.]")


class _ContactGroups:
    """Which values stand in a group of contact details: right next to one of ``anchors``, separated
    only by punctuation or "or"/"at"/"on" (``_CONTACT_GAP``), and not in a table column whose header
    names a record or an identifier ("contact_id", "Account")."""

    def __init__(self, text: str, anchors: list[PiiSpan]) -> None:
        from guardrails.pii.recognizers.contact import labels_record

        self._labels_record = labels_record
        self.text = text
        self._header = ColumnHeaders(text)
        # Only the anchors with no gap blocker between them and the value can be next to it: each
        # value looks at those, not at every anchor of the text (a long CSV has thousands of both).
        self._by_end = sorted(anchors, key=lambda x: x.end)
        self._ends = [x.end for x in self._by_end]
        self._by_start = sorted(anchors, key=lambda x: x.start)
        self._starts = [x.start for x in self._by_start]
        self._blockers = [m.start() for m in _GAP_BLOCKER.finditer(text)]
        self._record_header: dict[str, bool] = {}

    def beside(self, start: int, end: int) -> bool:
        text, blockers = self.text, self._blockers
        header = self._header(start, end)
        if header is not None and self._record_header.setdefault(header, self._labels_record(header)):
            return False
        # anchors ending after the last blocker before the value, and starting before the first after it
        b = bisect_left(blockers, start) - 1
        lo = blockers[b] if b >= 0 else -1
        for i in range(bisect_right(self._ends, start) - 1, bisect_right(self._ends, lo) - 1, -1):
            if _CONTACT_GAP.fullmatch(text, self._by_end[i].end, start):
                return True
        a = bisect_left(blockers, end)
        hi = blockers[a] if a < len(blockers) else len(text)
        for i in range(bisect_left(self._starts, end), bisect_right(self._starts, hi)):
            if _CONTACT_GAP.fullmatch(text, end, self._by_start[i].start):
                return True
        return False


def phones_with_evidence(text: str, spans: list[PiiSpan], weak_score: float) -> list[PiiSpan]:
    """A number whose only phone evidence is its shape counts as a phone only as part of a group of
    contact details: right next to a person's name, an e-mail address, an address or a phone with
    stronger evidence, separated by punctuation or "or"/"at"/"on" ("Ana Ruiz (020 7946 0958)",
    "ana@x.example or 0612345678", a signature line). An order or invoice number with a phone-like
    shape elsewhere in a sentence stays business data."""
    weak = [s for s in spans if s.entity_type == "PHONE_NUMBER" and s.score <= weak_score]
    if not weak:
        return spans
    anchors = [s for s in spans if s.entity_type in ("PERSON", "EMAIL_ADDRESS", "LOCATION")
               or (s.entity_type == "PHONE_NUMBER" and s.score > weak_score)]  # fmt: skip
    groups = _ContactGroups(text, anchors)
    return [s for s in spans if s not in weak or groups.beside(s.start, s.end)]


# A number standing alone between separators: no word right before it ("PO 4500012345", "EUR
# 123456782" name what the number is), no letter, slash or decimal part joined to it.
_BARE_NUMBER = re.compile(r"(?:^|(?<=[\n,;:(|\[]))[ \t]*(\d[\d \t.\-]{7,18}\d)(?![\w/]|[.,]\d)")


def ids_beside_personal_details(text: str, spans: list[PiiSpan], weak_score: float) -> list[PiiSpan]:
    """A number that is a national identifier by its country's shape and checksum, standing with a
    person's name or address as one more of their details ("Sole proprietor JAN NOWAK, 48090496439,
    ul. Polna 9, ..."), is that person's identifier. A phone found by its shape alone is retyped so
    (a role entitled to phones must not see it); an unclaimed one is added. Checksums pass one
    number in ten or so, hence the person's details beside it and no word before it."""
    from guardrails.pii.recognizers.identifiers import checksum_id

    claimed = sorted((s.start, s.end) for s in spans if not (s.entity_type == "PHONE_NUMBER" and s.score <= weak_score))
    values: list[tuple[int, int]] = []
    for m in _BARE_NUMBER.finditer(text):
        a, b = m.span(1)
        i = bisect_left(claimed, (b, b))
        if (i > 0 and claimed[i - 1][1] > a) or not checksum_id(m.group(1)):
            continue
        values.append((a, b))
    if not values:
        return spans
    groups = _ContactGroups(text, [s for s in spans if s.entity_type in ("PERSON", "LOCATION")])
    found = {v for v in values if groups.beside(*v)}
    if not found:
        return spans
    out = [s for s in spans if not (s.entity_type == "PHONE_NUMBER" and (s.start, s.end) in found)]
    out.extend(PiiSpan("NATIONAL_ID", a, b, weak_score) for a, b in sorted(found))
    return sorted(out, key=lambda s: (s.start, s.end))


_SSN_CUE = re.compile(r"(?i:\b(?:ssn|social\s+security(?:\s+(?:no|number|#))?|ss#|sozialversicherung\w*)\b)")


_PAN_CUE = re.compile(r"(?i:\b(?:pan|permanent\s+account\s+number)\b)")
_PAN_STRUCTURE = re.compile(r"[A-Za-z]{5}\d{4}[A-Za-z]")


def pan_has_evidence(text: str, start: int, end: int) -> bool:
    """A ten-character word of letters and digits without a PAN's structure (five letters, four digits,
    a letter) is a PAN only right after a PAN cue: Presidio's weakest pattern takes any such word, a
    ticket id ("PRB6846467") included, and its context match lifts it near words that merely contain
    "pan" (the surname "Pant")."""
    if _PAN_STRUCTURE.fullmatch(text, start, end):
        return True
    from guardrails.pii.recognizers.identifiers import RECORD_WORDS

    # the cue, then at most three words that name no record ("The PAN field holds X"; not "PAN
    # records were refreshed under X")
    before = text[max(0, start - 40) : start].rsplit("\n", 1)[-1]
    cues = list(_PAN_CUE.finditer(before))
    if not cues:
        return False
    gap = before[cues[-1].end() :]
    words = re.findall(r"[^\W\d_]+", gap)
    return (not any(ch.isdigit() for ch in gap) and len(words) <= 3
            and not any(re.fullmatch(rf"(?i:{RECORD_WORDS}s?)", w) for w in words))  # fmt: skip


def ssns_with_evidence(text: str, spans: list[PiiSpan]) -> list[PiiSpan]:
    """A bare nine-digit run is a US social security number only right after an SSN cue (Presidio's
    context words otherwise lift any nine-digit order or document number near the word "security")."""
    from guardrails.pii.recognizers.identifiers import cue_introduces

    out = []
    for s in spans:
        if s.entity_type == "US_SSN" and text[s.start : s.end].isdigit() and not cue_introduces(
            _SSN_CUE, text, s.start
        ):
            continue
        out.append(s)
    return out


def keep_postal_locations(text: str, spans: list[PiiSpan]) -> list[PiiSpan]:
    """In business documents a bare place name is business data (offices, governing law): a
    LOCATION must hold a number and a capitalised word, i.e. look like a postal address."""
    from guardrails.pii.recognizers.address import MILITARY_ADDRESS

    out = []
    ranges = protected_ranges(text) if any(s.entity_type == "LOCATION" for s in spans) else []
    phones = [p for p in spans if p.entity_type == "PHONE_NUMBER"]
    for s in spans:
        # a military address's "AA 23192" has an id's shape and is its postcode
        if s.entity_type == "LOCATION" and not MILITARY_ADDRESS.search(text, s.start, s.end):
            # "Ravi Kumar, 98765 43210": a postcode anchor that is the first half of a phone number
            if any(p.start < s.end < p.end and p.start >= s.start for p in phones):
                continue
            # Digits of a version, id, date or amount do not make a house number or postcode.
            seg = "".join(
                " " if any(a <= i < b for a, b in ranges) else text[i] for i in range(s.start, s.end)
            )
            if any(is_legal_form(t) for t in seg.split()):
                continue  # "Plaza y Asociados S.A." names a company
            has_word = any(w[0].isupper() for w in re.findall(r"[^\W\d_]{3,}", seg))
            if not (any(c.isdigit() for c in seg) and has_word) or re.fullmatch(r"\s*\d+\s+\S+\s*", seg):
                continue
        out.append(s)
    return out


def _in_terms(value: str, terms: Sequence[str]) -> bool:
    """``value`` occurs as whole words in one of the (normalised) terms."""
    v = _norm(value)
    if not v:
        return False
    for t in terms:
        i = t.find(v)
        while i >= 0:  # substring search with word boundaries: no regex compiled per value
            j = i + len(v)
            if (i == 0 or not t[i - 1].isalnum() and t[i - 1] != "_") and (
                j == len(t) or not t[j].isalnum() and t[j] != "_"
            ):
                return True
            i = t.find(v, i + 1)
    return False


_LETTERS = re.compile(r"[^\W\d_]+")


@dataclass(frozen=True)
class TextFacts:
    """What the text itself says about its capitalised words, computed once per text.

    ``lower_words``: words the text also writes in lower case as ordinary words ("click", "ingress"):
    a person's name is practically never written so, a UI label or common noun is. Words inside
    e-mail addresses and URLs do not count (they hold names in lower case). ``heading_words``: words
    of the corpus's own titles and headings and of the configured allow-list.
    """

    terms: tuple[str, ...] = ()
    lower_words: frozenset[str] = frozenset()
    heading_words: frozenset[str] = frozenset()

    @classmethod
    def of(cls, text: str, terms: Sequence[str] = ()) -> TextFacts:
        lower: set[str] = set()
        for tok in text.split():
            if "@" in tok or "://" in tok or tok.lower().startswith("www."):
                continue
            lower.update(w for w in _LETTERS.findall(tok) if len(w) >= 3 and w.islower())
        heading = frozenset(w for t in terms for w in _LETTERS.findall(t) if len(w) >= 3)
        return cls(tuple(terms), frozenset(lower), heading)


_SENTENCE_START = re.compile(r"(?:^|[\n.!?:;)\]>•*·\-]|\d\.)[ \t\"'“(]*$")


def _instruction_at_start(text: str, start: int, first: str) -> bool:
    """An instruction verb opening a sentence, line or list item ("Click Save", "3. Create a role"):
    procedure steps in product documentation, not a name."""
    return first.lower() in instruction_verbs() and bool(_SENTENCE_START.search(text[max(0, start - 12) : start]))


# Verbs whose object is a UI element, not a person ("add Ana as approver" stays a person).
_UI_VERBS = frozenset({"click", "double-click", "right-click", "tap", "press", "select", "choose"})


def _after_instruction(text: str, start: int) -> bool:
    """A capitalised phrase right after a pointing verb names a UI element ("click Create")."""
    m = re.search(r"([^\W\d_][\w-]*)[ \t]+(?:the[ \t]+|on[ \t]+)?$", text[max(0, start - 30) : start])
    return m is not None and m.group(1).lower() in _UI_VERBS


def _common_words(toks: Sequence[str], facts: TextFacts) -> bool:
    """Every word of the phrase is written in lower case elsewhere in the text, or every word
    belongs to the corpus's own headings: a common noun, UI label or product term, not a name."""
    words = [core(t) for t in toks if core(t).lower() not in particles()]
    words = [w for w in words if w]
    if not words:
        return False
    return all(w.lower() in facts.lower_words for w in words) or all(w.lower() in facts.heading_words
                                                                     for w in _split_words(words))


_INITIAL = re.compile(r"[A-Z]\.")
# A lower-case word, or nothing but a list marker, before the letter ("option A.", "plan B.", "- C.").
_LABEL_BEFORE = re.compile(r"(?:(?<![^\W\d_])[a-z]{2,}[ \t]+|^[ \t]*(?:[-*•]|\d{1,2}[.)])?[ \t]*)$", re.M)
_DETERMINERS = frozenset({"the", "a", "an", "this", "that", "these", "those", "your", "our", "all", "each", "every",
                          "any", "it", "them", "one"})


def _list_label_initial(text: str, start: int, toks: Sequence[str], facts: TextFacts) -> bool:
    """"Option A. Select the plan", "plan B. Rollback is manual": a capital letter closing a list
    label or a noun's name, then a new sentence, not an initial and a surname ("contact T. Brooks",
    "Dr. A. Kowalski"). The word after the letter opens a sentence: an instruction verb, a word the
    text writes in lower case elsewhere, or a word a determiner follows."""
    if len(toks) != 2 or not _INITIAL.fullmatch(toks[0]) or not _LABEL_BEFORE.search(text, 0, start):
        return False
    word = core(toks[1]).lower()
    if word in instruction_verbs() or word in facts.lower_words:
        return True
    nxt = re.match(r"[ \t]+([a-z]+)\b", text[start + len(toks[0]) + 1 + len(toks[1]) : start + 60])
    return nxt is not None and nxt.group(1) in _DETERMINERS


def _lower_title_view(seg: str) -> str:
    """A name written in lower case read in title case, particles kept ("nick van oudewater" -> "Nick van
    Oudewater"); ``seg`` itself when a letter's case changes its length."""
    view = re.sub(r"\S+", lambda m: name_case(m.group()), seg)
    return view if len(view) == len(seg) else seg


def _split_words(words: Sequence[str]) -> list[str]:
    return [x.lower() for w in words for x in _LETTERS.findall(w)]


def filter_persons(
    text: str, spans: list[PiiSpan], cue_spans: set[tuple[int, int]], org_spans: Sequence[tuple[int, int]],
    terms: Sequence[str], facts: TextFacts | None = None, weak_cue_spans: set[tuple[int, int]] | None = None,
    form_spans: set[tuple[int, int]] | None = None,
) -> list[PiiSpan]:  # fmt: skip
    """A capitalised phrase naming a product, organisation, document or UI element is not a person.

    Dropped: PERSON spans holding an organisation/product/document word, spans inside a spaCy ORG
    entity (unless a cue introduced them), spans found in the context terms (the corpus's titles and
    headings, the configured allow-list), and, unless a cue introduced them, phrases whose words the
    text also writes in lower case or that consist of heading words, instruction steps ("Click
    Save") and UI labels after an instruction verb; finally single words that neither follow a cue,
    repeat a full name of the same text nor are a common given name (``_common_given_name``). A form
    field's value in capitals (``form_spans``) is judged by its title-case reading ("O'SULLIVAN" as
    "O'Sullivan").
    """
    from guardrails.pii.recognizers.person import preceded_by_cue

    facts = facts or TextFacts.of(text, terms)
    out: list[PiiSpan] = []
    full_names: set[str] = set()
    persons = []
    for s0 in spans:
        if s0.entity_type != "PERSON":
            out.append(s0)
            continue
        # a user handle a chat's layout marks as its speaker is lower case by nature
        if (s0.start, s0.end) in (weak_cue_spans or ()) and _HANDLE.fullmatch(text, s0.start, s0.end):
            out.append(s0)
            continue
        view, own_facts = text, facts
        if form_spans and (s0.start, s0.end) in form_spans:
            seg0 = text[s0.start : s0.end]
            lower = seg0.islower()
            view = text[: s0.start] + (_lower_title_view(seg0) if lower else title_view(seg0)) + text[s0.end :]
            if lower:  # its own words in lower case say nothing of how the text uses them elsewhere
                own_facts = TextFacts.of(text[: s0.start] + " " * (s0.end - s0.start) + text[s0.end :], terms)
        s = _trim_to_name(view, s0)
        if s is None:
            continue
        seg = view[s.start : s.end]
        strong = (s0.start, s0.end) in cue_spans or preceded_by_cue(view, s.start, strong_only=True)
        cued = strong or (s0.start, s0.end) in (weak_cue_spans or ()) or preceded_by_cue(view, s.start)
        toks = seg.split()
        if not strong and _thing_field_value(view, s.start, s.end):
            continue
        # A name a strong cue introduces ("Dear ...", "Contact: ...") stays a person even if a heading
        # holds it; a preposition or greeting ("for", "with", "Hi") is no such evidence.
        if any(is_org_token(t) for t in toks) or "\n" in seg.strip() or (not strong and _in_terms(seg, terms)):
            continue
        # Inside an organisation the model recognised: one with an organisation word ("Nowak
        # Logistics") unless a cue introduced the name; a partnership of names ("Ford, Smith and
        # Lane") unless a strong cue did.
        if any(a <= s.start and s.end <= b and ((not cued and any(is_org_token(t) for t in view[a:b].split()))
                                                or (not strong and _PARTNERSHIP.search(view[a:b])))
               for a, b in org_spans):  # fmt: skip
            continue
        if _list_label_initial(view, s.start, toks, own_facts):
            continue
        if not strong and (_common_words(toks, own_facts) or _instruction_at_start(view, s.start, core(toks[0]))
                         or _after_instruction(view, s.start)):  # fmt: skip
            continue
        after = re.match(r"[ \t]+([^\s;|,]+)", view[s.end : s.end + 30])
        before = re.search(r"(\S+)[ \t]+(?:(?:van|von|de|der|den|ter|ten|da|di|du|del|la|le)[ \t]+)*$",
                           view[max(0, s.start - 40) : s.start])  # fmt: skip
        if any(m and (is_legal_form(m.group(1)) or m.group(1).startswith("&")) for m in (after, before)):
            continue  # "Stroh GmbH & Co.", "Fundacja Nowak": an organisation named after people
        if _INITIALS_FORM_AFTER.match(view, s.end):
            continue  # "Walter e.G.", "Hoffmann e.K.": a legal form written as initials (not "e.g.")
        owner = seg.endswith(("'s", "’s", "'", "’"))  # "Mr Daniel Osei's team": the team is his
        if after and not owner and not after.group(1).startswith("(") and is_org_token(after.group(1)):
            continue  # "Keer Group", "Nowak Logistics": the name of an organisation
        if after and not after.group(1).startswith("(") and _DEPARTMENT.fullmatch(core(after.group(1))):
            continue  # "booked by Simac facilities": a firm's department, in lower case after its name
        partners = _PARTNER_NAMES.match(view, s.end)
        if partners and (is_legal_form(partners.group(1)) or _DEPARTMENT.fullmatch(core(partners.group(1)))):
            continue  # "Hervás y Perales S.L.", "Smith, Jones and Brown LLP", "Ford, Lane and Hill facilities"
        if _FAMILY_FIRM.match(view, s.end):
            continue  # "Kowalski i syn", "Smith & Sons", "Ruiz e Hijos": a family firm
        if not all(name_tokens_ok(toks)):
            continue
        if len(toks) >= 2 and not strong and _used_as_organisation(view, seg):
            continue
        words = _name_words(toks)
        if words >= 2:
            full_names.update(core(t) for t in toks if len(core(t)) >= 3)
        persons.append((s, cued, words))
    # A single name a cue introduced once is the same person at its other mentions in the text.
    full_names.update(core(text[s.start : s.end]) for s, cued, n in persons if cued and n == 1)
    for s, cued, n in persons:
        if n >= 2 or cued or core(text[s.start : s.end]) in full_names or _common_given_name(text, s.start, s.end):
            out.append(s)
    return out


# Initials before the word make it a surname ("J.P. Morgan"), judged with them or not at all.
_INITIAL_BEFORE = re.compile(r"\b[A-Z]\.[ \t]*$")
# A legal form written as two initials ("Walter e.G.", "Hoffmann e.K."): German and Austrian firms.
_INITIALS_FORM_AFTER = re.compile(r"[ \t]+[a-z]\.[ \t]?[A-Z]\.")


# A single word the model reads as a person, with no cue, is kept when it is a common given name
# (``given_names.common_given_name``, its class floor chosen on the dev halves).
def _common_given_name(text: str, a: int, b: int) -> bool:
    """``text[a:b]``, one word, is a common given name standing for a person: not a surname after
    initials nor a partner in a firm's name of bare surnames (a legal form after it was checked before)."""
    if not common_given_name(core(text[a:b])) or _INITIAL_BEFORE.search(text, max(0, a - 6), a):
        return False
    return not in_bare_name_list(text, a, b, common_given_name)


_HANDLE = re.compile(HANDLE_SHAPE)
_FIELD_KEY_BEFORE = re.compile(r"""(?<![\w-])["']?([A-Za-z][\w-]{1,40})["']?[ \t]*[:=][ \t]*["']?$""")


# The value ends at a quote, a separator, the line's end or the next key of a log line ("env=prod").
_FIELD_VALUE_END = re.compile(r"""[ \t]*(?:["',;}\]|\n]|$)|[ \t]+[\w.-]+=""")


def _thing_field_value(text: str, start: int, end: int) -> bool:
    """The phrase is the whole value of an export's field whose key names a thing ('"component":
    "Grafana Loki"', "service=Azure Monitor"): the key says what the value is. A value that goes on
    is free text ("Subject: Ana Ruiz joined the team") and may name anyone."""
    j = start
    while j > 0 and text[j - 1] in " \t\"'":
        j -= 1
    if j == 0 or text[j - 1] not in ":=":  # the common case, decided without a regex search
        return False
    m = _FIELD_KEY_BEFORE.search(text, max(0, start - 48), start)
    if not m or not _FIELD_VALUE_END.match(text, end):
        return False
    last = re.split(r"[_-]", m.group(1).lower())[-1]
    return last in words("thing_fields")


def _name_words(toks: Sequence[str]) -> int:
    """How many words of a name are given names or surnames: particles do not count, nor a
    capitalised one opening the phrase ("De la Rue" is one surname, a firm as often as a person)."""
    return sum(1 for i, t in enumerate(toks) if core(t).lower() not in particles() or (i > 0 and core(t)[:1].isupper()))


# "at Blue Harbor" names a place or a firm; "look at", "shouted at" take a person.
_AT_PLACE = re.compile(
    r"(?<![\w-])(\w+)[ \t]+at[ \t]+$"
)
_AT_PERSON_VERBS = frozenset({"look", "looked", "looking", "looks", "shout", "shouted", "shouting", "yell", "yelled",
                              "wave", "waved", "point", "pointed", "aimed", "aim", "directed", "laugh", "laughed",
                              "smile", "smiled", "stare", "stared", "glance", "glanced", "angry", "mad",
                              "email", "e-mail", "mail", "reach", "reached", "ping", "call", "text"})


_NEXT_WORD = re.compile(r"[ \t]+([^\s(;|,][^\s;|,]*)")
_APOSTROPHE = re.compile(r"['’]")


def _used_as_organisation(text: str, seg: str) -> bool:
    """A capitalised phrase the text uses as an organisation: some mention of it takes a legal form or
    organisation word ("Silver Fjord Ltd"), or stands after "at" as a place ("met at Blue Harbor").
    What people do as well is no evidence: they own teams and contracts and sign and renew deals
    ("Priya Raman's team", "Ahmed Khan signed the order form"), and a name let through is a leak."""
    for start, end in phrase_occurrences(text, seg.split(), not_before="'’-", not_after="-"):
        # "Silver Fjord Ltd", not "Hugo Lefebvre (finance)": a bracketed note is the person's unit
        nxt = _NEXT_WORD.match(text[end : end + 30])
        if nxt and (is_legal_form(nxt.group(1)) or is_org_token(nxt.group(1))):
            return True
        at = _AT_PLACE.search(text[max(0, start - 30) : start])
        if at and at.group(1).lower() not in _AT_PERSON_VERBS and not _APOSTROPHE.match(text[end : end + 1]):
            return True
    return False


# A firm's department written in lower case after the firm's name ("Simac facilities").
_DEPARTMENT = re.compile(r"facilities|procurement|purchasing|payroll|helpdesk|reception|security|legal|finance")
_PARTNER_NAMES = re.compile(rf"(?:[ \t]*(?:,|&|and|und|et|en|y|e|i)[ \t]+{WORD}){{1,3}}[ \t]+(\S+)")
_PARTNERSHIP = re.compile(r"(?i:,|\s(?:and|&|und|et|en|y|i)\s)")
# A surname followed by "and sons/partners" in the languages served names a firm.
_FAMILY_FIRM = re.compile(
    r"(?i:[ \t]+(?:&|and|und|et|en|y|e|i|og|och)[ \t]+(?:sons?|söhne|sohn|fils|hijos?|filhos|zonen|zn\.?|"
    r"syn(?:owie)?|córka|partners?|partnerzy|wspólnicy|associates|asociados|associés|gebroeders|brothers|"
    r"hermanos|frères|co\.?)(?!\w))"
)


def _trim_to_name(text: str, span: PiiSpan) -> PiiSpan | None:
    """Strip titles and degrees around a name ("Prof. Ana Ruiz B.Sc." -> "Ana Ruiz")."""
    toks = [(m.start(), m.end()) for m in re.finditer(r"\S+", text[span.start : span.end])]
    ok = name_tokens_ok([text[span.start + a : span.start + b] for a, b in toks])
    while toks and not ok[0]:
        toks.pop(0)
        ok.pop(0)
    while toks and not ok[-1]:
        toks.pop()
        ok.pop()
    # a name never ends with a lower-case particle ("Número de" of "Número de teléfono" is a label's
    # rest; "Rahul Das" keeps its capitalised surname) unless a surname follows it ("Daniel de Vos",
    # whose "Vos" reads as a French word)
    while toks and core(text[span.start + toks[-1][0] : span.start + toks[-1][1]]) in particles() and not (
        (nxt := _WORD_AFTER.match(text, span.start + toks[-1][1])) and nxt.group(1)[:1].isupper()
    ):
        toks.pop()
        ok.pop()
    if not toks:
        return None
    return PiiSpan(span.entity_type, span.start + toks[0][0], span.start + toks[-1][1], span.score)


_WORD_AFTER = re.compile(rf"[ \t]+({WORD})")


def trim_contact_labels(text: str, span: PiiSpan) -> PiiSpan | None:
    """spaCy swallows the next line's label into a name ("Ana Ruiz E-mail"): trim it off."""
    if span.entity_type != "PERSON":
        return span
    labels = {"e-mail", "email", "phone", "tel", "telephone", "mobile", "fax", "cell", "regards"}
    words = [(m.start(), m.end()) for m in re.finditer(r"\S+", text[span.start : span.end])]
    while words and text[span.start + words[-1][0] : span.start + words[-1][1]].strip(".,:;").lower() in labels:
        words.pop()
    while words and text[span.start + words[0][0] : span.start + words[0][1]].strip(".,:;").lower() in labels:
        words.pop(0)
    if not words:
        return None
    return PiiSpan(span.entity_type, span.start + words[0][0], span.start + words[-1][1], span.score)


_LICENCE_AND_ID = frozenset({"DRIVER_LICENSE", "NATIONAL_ID"})


def _merged_type(a: PiiSpan, b: PiiSpan) -> str:
    """A validated identifier if one is involved, else the longer member's type (an address block
    that swallowed a digit group stays a LOCATION), ENTITY_PRIORITY breaking ties."""
    if a.entity_type == b.entity_type:
        return a.entity_type
    # A national number after a driving-licence cue is the licence's number (a Spanish licence
    # carries the holder's DNI): the cue names the document, the checksum only the number.
    if (a.start, a.end) == (b.start, b.end) and {a.entity_type, b.entity_type} == _LICENCE_AND_ID:
        return "DRIVER_LICENSE"
    validated = [x for x in (a, b) if x.entity_type in VALIDATED_TYPES]
    if validated:
        return min((x.entity_type for x in validated), key=priority)
    return min((a, b), key=lambda x: (-(x.end - x.start), priority(x.entity_type))).entity_type


def merge_spans(spans: Iterable[PiiSpan], text: str | None = None) -> list[PiiSpan]:
    """Merge overlapping or touching spans into non-overlapping ones (type by ``_merged_type``).

    With ``text`` given, LOCATION spans separated only by whitespace, commas or '>' quote marks are
    joined too, so an address block becomes one span.
    """
    merged: list[PiiSpan] = []
    for s in sorted(spans, key=lambda s: (s.start, -s.end)):
        if s.end <= s.start:
            continue
        if merged:
            last = merged[-1]
            touching = s.start <= last.end or (
                text is not None
                and last.entity_type == s.entity_type == "LOCATION"
                and re.fullmatch(r"[\s,>]*", text[last.end : s.start]) is not None
            )
            if touching:
                etype = _merged_type(last, s)
                merged[-1] = PiiSpan(etype, last.start, max(last.end, s.end), max(last.score, s.score))
                continue
        merged.append(s)
    return merged


_ADDRESS_LINE = re.compile(r"[ \t>?*•·-]*([^\n]{1,45})\n?")


# A letter's salutation in the languages served: the letter's body starts there, not the address.
_SALUTATION = re.compile(
    r"(?i:dear|hi|hello|sehr[ \t]+geehrte|liebe|lieber|cher|ch[èe]re|madame|monsieur|geachte|beste|estimad[oa]|"
    r"querid[oa]|szanown\w*|drog[ai])\b"
)


def address_after_name_line(text: str, spans: list[PiiSpan]) -> list[PiiSpan]:
    """A multi-line address span whose first line is a name-shaped line without a digit (a letter's
    "Dennis Yang\n9476 Randall Locks\n...") starts on the next line: the name heads the block, it is
    no part of the address (``names_above_addresses`` then takes it as the person)."""
    out = []
    for s in spans:
        nl = text.find("\n", s.start, s.end)
        if s.entity_type == "LOCATION" and nl > s.start:
            first = text[s.start : nl].strip(" \t,")
            rest = text[nl:s.end]
            start = nl + len(rest) - len(rest.lstrip())
            if first and not any(c.isdigit() for c in first) and looks_like_name(first) and start < s.end:
                s = PiiSpan(s.entity_type, start, s.end, s.score)
        out.append(s)
    return out


_CAP_WORD = r"(?![a-z])[^\W\d_][\w'’.\-]*"
_COUNTRY_AFTER = re.compile(
    rf",\s*(?:{_CAP_WORD}(?:\s(?:{_CAP_WORD}|of|and|the|de|la|du|del|der|am|an)){{0,3}}\s?)(?=[\n.?!;]|$)"
)


def extend_address_blocks(text: str, spans: list[PiiSpan]) -> list[PiiSpan]:
    """Extend street-address spans over the short lines that follow them (unit, city, country, code)."""
    out = list(spans)
    for s in spans:
        if s.entity_type != "LOCATION" or s.score < 0.5:
            continue
        # a street pattern may have taken the line break after it ("8 avenue Jean Jaurès\n")
        s = PiiSpan(s.entity_type, s.start, s.start + len(text[s.start : s.end].rstrip()), s.score)
        # a country or region after a comma: capitalised words ("United Kingdom", "Republic of
        # Ireland"), not a clause ("..., attention of accounts payable.")
        m = _COUNTRY_AFTER.match(text, s.end)
        end = m.end() if m else s.end
        pos = end
        for _ in range(4):
            nl = re.match(r"[ \t]*\n(?:[ \t>?*•·-]*\n)?", text[pos:])
            if not nl:
                break
            lm = _ADDRESS_LINE.match(text, pos + nl.end())
            if not lm:
                break
            line = lm.group(1).strip()
            tokens = line.split()
            if not line or len(tokens) > 5 or re.search(r"[?!:;@]|https?", line) or line.endswith("."):
                break
            if _SALUTATION.match(line):
                break  # the letter's salutation after the address block ("Dear Mr Yang,")
            if not all(t[:1].isupper() or t[:1].isdigit() or t.isupper() for t in tokens):
                break
            end = lm.start(1) + len(lm.group(1).rstrip())
            pos = end
        if end > s.end:
            out.append(PiiSpan("LOCATION", s.start, end, s.score))
    return out


def accept_weak_streets(text: str, candidates: list[PiiSpan], kept: list[PiiSpan]) -> list[PiiSpan]:
    """A weak "number words number" street match counts when a strong address part touches it."""
    strong = [s for s in kept if s.entity_type == "LOCATION" and s.score >= 0.5]
    if not strong:
        return kept
    out = list(kept)
    for c in candidates:
        if c.entity_type != "LOCATION" or not WEAK_STREET_SCORE <= c.score < 0.5 or c in kept:
            continue
        for s in strong:
            gap = text[c.end : s.start] if c.end <= s.start else text[s.end : c.start] if s.end <= c.start else ""
            if (c.start < s.end and s.start < c.end) or re.fullmatch(r"[\s,>]{0,12}", gap):
                out.append(PiiSpan("LOCATION", c.start, c.end, 0.5))
                break
    return out


def names_above_addresses(text: str, spans: list[PiiSpan]) -> list[PiiSpan]:
    """Address blocks in letters and signatures start with the person's name: take name-shaped
    lines among the three lines above a multi-line address block as PERSON."""
    out = list(spans)
    for s in spans:
        if s.entity_type != "LOCATION" or s.score < 0.5 or "\n" not in text[s.start : s.end]:
            continue
        line_start = text.rfind("\n", 0, s.start) + 1
        if text[line_start : s.start].strip(" \t>"):
            continue
        pos = line_start
        for _ in range(3):
            if pos <= 0:
                break
            prev_start = text.rfind("\n", 0, pos - 1) + 1
            raw = text[prev_start : pos - 1]
            pos = prev_start
            line = raw.strip(" \t>")
            label = re.match(r"(?i:(?:billing|shipping|mailing)?\s*address:\s*)", line)
            name = line[label.end() :] if label else line
            if name and looks_like_name(name):
                begin = prev_start + raw.index(name)
                out.append(PiiSpan("PERSON", begin, begin + len(name), 0.5))
    return out


def _hyphen_joined(text: str, a: int, b: int) -> bool:
    """``text[a:b]`` is joined by a hyphen to a letter before or after it ("Malhotra-Shah")."""
    before = a >= 2 and text[a - 1] == "-" and text[a - 2].isalpha()
    after = b + 1 < len(text) and text[b] == "-" and text[b + 1].isalpha()
    return before or after


def propagate_person_mentions(text: str, spans: list[PiiSpan]) -> list[PiiSpan]:
    """Mark the other mentions of a detected person (full name, surname or first name) in the text,
    and the other items of a comma list of capitalised words that contains a detected person."""
    persons = [s for s in spans if s.entity_type == "PERSON"]
    if not persons:
        return spans
    out = list(spans)
    names: set[str] = set()
    for s in persons:
        for tok in WORD_RE.findall(text[s.start : s.end]):
            tok = tok.rstrip("'’-.")
            if len(tok) >= 3 and is_cap(tok) and tok.lower() not in particles() and token_ok_for_name(tok):
                names.add(tok)
    # every whole-word mention, longest name first where two start alike ("Anna" before "Ann")
    # (not a part of a hyphen-joined word: "Shah" in the firm "Malhotra-Shah" is no mention of "Priya Shah")
    out.extend(PiiSpan("PERSON", a, b, 0.5) for a, b in word_occurrences(text, names) if not _hyphen_joined(text, a, b))
    particle = r"(?:van|von|de|der|den|ter|ten|da|di|du|del|la|le|dos|das)[ \t]+"
    item = rf"(?<!\w){WORD}(?:[ \t]+(?:{particle})*{WORD})?"
    for lm in re.finditer(rf"{item}(?:,[ \t]*{item})+,?[ \t]+(?:and|&|or)[ \t]+{item}", text):
        items = []
        pos = lm.start()
        # the items between the list's separators ("Ana Ruiz, Jan Smit and Lucas Bernard")
        for sep in [*re.finditer(r",?[ \t]*(?:,|[ \t](?:and|&|or)[ \t])[ \t]*", lm.group()), None]:
            end = lm.start() + sep.start() if sep else lm.end()
            if end > pos:
                items.append((pos, end))
            if sep:
                pos = lm.start() + sep.end()
        names_only = len(items) >= 3 and all(looks_like_name(text[a:b]) or is_cap(text[a:b]) for a, b in items)
        if names_only and any(p.start < b and a < p.end for a, b in items for p in persons):
            out.extend(PiiSpan("PERSON", a, b, 0.5) for a, b in items)
    return out
