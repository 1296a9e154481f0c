"""Identifiers: payment cards (Luhn + issuer), national ids with checksums, passports and driving
licences after their cue, dates of birth. Presidio's maintained recognizers are used where they
exist (IBAN, US SSN, UK NINO, IN PAN, ES NIF/NIE); python-stdnum checks the other checksums."""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Callable
from typing import Any

from presidio_analyzer import EntityRecognizer, Pattern, PatternRecognizer, RecognizerResult

from guardrails.pii.negatives import DATE_PATTERNS, MONTHS_RE

_DATE_RE = re.compile("|".join(DATE_PATTERNS))
_DIGIT = re.compile(r"\d")


def holds_digits(text: str, n: int) -> bool:
    """``text`` holds at least ``n`` digits: a recognizer's test before its patterns run.

    (Stops at the n-th digit: counting every character of a 20,000-character window in Python
    cost more than some recognizers' patterns.)
    """
    return sum(1 for _ in itertools.islice(_DIGIT.finditer(text), n)) == n

# Words that may stand between an identifier's cue and its value, in the languages the product
# serves: "passport number is X", "Reisepass-Nr.: X", "numéro de passeport : X" (the cue, then
# "number of the", "is", "reads" ...). A word outside this list (a clause, another label such as
# "ticket" or "order") ends the cue's reach, so "passport renewal ticket INC0037564" gives nothing.
_CUE_WORDS = (
    r"no|nr|nº|n°|n\.º|n\.°|n|nro|núm|num|number|numbers|nummer|numéro|numero|número|numer|nb|id|code|"
    r"is|was|reads|shows|given|provided|stated|listed|recorded|on\s+(?:file|record)|"
    # a change record: "passport number updated from X to Y", "field=passport old=X new=Y",
    # "PASSPORT_NUMBER set to X", "field=passport_no value=X", "passport -> X"
    r"from|changed|updated|set|now|old|new|previous|previously|corrected|replaced|to|value|val|"
    r"of|the|his|her|their|its|my|your|our|holder'?s?|details|data|valid|issued|"
    r"ist|lautet|est|es|jest|wynosi|van|de|du|del|des|der|dla|el|la|le|and|or|und|oder|et|ou|y|en|"
    r"nummer\w*"
)
# Separators around those words; at most one line break (a label on its own line, wrapped text).
# Punctuation includes table bars, Markdown emphasis and quotes ("**Passport:** X", "Passport | X").
# A bracket may close a qualifier after the cue ("document number (passport): X").
_SEP = r"[ \t]*(?:[:#()\-–—=/,.|*_\"“”'‘’«»\[\]>→][ \t]*){1,4}\n?[ \t]*|[ \t]+\n?[ \t]*|[ \t]*\n[ \t]*"
# Between two values of one cue: a list ("X and Y") or a change ("from X to Y", "old=X new=Y").
VALUE_LIST_SEP = (
    r"[ \t]*(?:,|;|&|and|und|et|y|en|or|oder|ou|o|i|oraz|to|->|→|=>|(?:new|neu|nouveau|nuevo)[ \t]*[=:])[ \t]*"
)


# The filler words and phrases of a gap between cue and value ("on file" is one, "on" alone none).
_FILLERS = re.compile(rf"(?i:(?<![^\W\d_])(?:{_CUE_WORDS})(?![\w']))")


def cue_window(max_words: int = 4) -> str:
    """Regex from the end of a cue to its value: up to ``max_words`` filler words (``_CUE_WORDS``)
    with punctuation between them, then the value right after. One other lower-case word may stand
    among them when a filler or a colon follows it ("passport number of the consultant is X",
    "código SWIFT del banco: X"); a record label ("ticket", "order") never does."""
    filler = rf"(?:{_SEP})(?i:{_CUE_WORDS})(?!\w)\.?"
    other = rf"(?:{_SEP})(?!{RECORD_WORDS}\b)[a-zà-ÿ][a-zà-ÿ'’\-]*"
    return rf"(?:{filler}){{0,{max_words}}}(?:{other}(?:(?:{filler}){{1,3}}|(?=[ \t]*:)))?(?:{_SEP})"


# Labels of product, parcel and device codes (GS1 barcodes, IMEIs, serials, tracking numbers).
_PRODUCT_CODE_BEFORE = re.compile(
    r"(?i:\b(?:bar[\s-]?codes?|ean(?:-?13|-?8)?|gtin(?:-?\d{1,2})?|upc|isbn(?:-?1[03])?|sku|imei|serial|s/n|"
    r"tracking|article|artikel\w*|item|product|part|order|invoice|shipment|parcel)"
    r"(?:[ \t]+(?:no\.?|nr\.?|number|code|#|id))?[ \t:#=.]*$)"
)


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
            patterns=[Pattern("card digits", r"(?<![\d+-])\d(?:[ -]?\d){11,18}(?![\d-])", 0.6)],
            context=["credit", "card", "visa", "mastercard", "amex", "maestro", "payment", "charge"],
        )

    def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None,
                regex_flags: int | None = None) -> list[RecognizerResult]:  # fmt: skip
        # A product or device code's label before the digits ("Barcode 5901234123457", "IMEI
        # 490154203237518": IMEIs carry a Luhn digit by design) makes them no card.
        results = super().analyze(text, entities, nlp_artifacts, regex_flags)
        return [r for r in results if not _PRODUCT_CODE_BEFORE.search(text, max(0, r.start - 40), r.start)]

    def validate_result(self, pattern_text: str) -> bool:
        from stdnum import luhn

        digits = re.sub(r"[ -]", "", pattern_text)
        if not luhn.is_valid(digits):
            return False
        for ranges, lengths in self.BRANDS:
            if len(digits) in lengths and any(lo <= int(digits[: len(str(lo))]) <= hi for lo, hi in ranges):
                return True
        return False


# National identifiers whose checksum python-stdnum verifies. ``cue``: whether an identifier cue must
# precede the value (short digit strings pass a mod-10/11 check by chance one time in ten). Cues in
# the product's languages, compounds included ("Steueridentifikationsnummer", "BSN-nummer").
_ID_CUE = (
    # "tax reference": a person's tax number (the record word "reference" alone names no identifier)
    r"(?:tax[\s_-]+ref(?:erence)?|tax|tin|taxpayer|steuer\w*|st\.?-?nr|idnr|\w*identifikationsnummer|id|identifier|identification|identity|national|"
    r"social\s+security|social\s+insurance|national\s+insurance|insurance\s+number|ni\s+(?:no|number)|nino|itin|"
    r"sécurité\s+sociale|s[ée]cu|nir|insee|num[ée]ro\s+fiscal|identifiant|bsn\w*|burgerservicenummer|"
    r"citizen\s+service|sofi\w*|aadhaa?r|uid|uidai|pesel|nip|dni|nie|nif|cif|nss|pan|personal\s+number|"
    r"personnummer|personal\s+identity|ssn|ausweis\w*|sozialversicherungs\w*|rentenversicherungs\w*|"
    r"codice\s+fiscale|identit[ée]|identidad|documento\s+nacional|cpf|cpr|ahv|avs|hetu|henkil[öo]tunnus|"
    # German pension and Austrian social insurance numbers ("RV-Nr.", "SV-Nummer", "VSNR"), the Belgian
    # national register number ("Rijksregisternummer", "registre national", "INSZ", "NISS")
    r"rv[-\s]?n(?:r|ummer)|sv[-\s]?n(?:r|ummer)|vsnr|svnr|\w*versicherungsnummer|rijksregister\w*|"
    r"registre\s+national|nationalregister\w*|insz|niss|"
    # Canadian SIN (in capitals: "sin" is a Spanish word), Mexican CURP and RFC, Norwegian, Danish and
    # Romanian personal numbers, the Irish PPS number
    r"(?-i:SIN)|curp|rfc|f[øo]dselsnummer|cnp|pps(?:n|\s+n(?:o|umber))?)"
)
# "order id", "ticket number": an id label of a business record, not of a person.
RECORD_WORDS = (
    r"(?:order|ticket|customer|client|user|transaction|session|request|case|invoice|vendor|supplier|"
    r"product|item|tenant|account|document|contract|project|batch|job|device|asset|reference|booking|"
    r"shipment|tracking|message|correlation|trace|api|app|object|record|process|instance|system|partner|"
    r"task|change|incident|run|build|release|event|row|file|group|role|org|organisation|organization|"
    r"company|site|store|shop|sku|material|part|serial|model|license|licence|renewal|expiry)"
)
RECORD_LABEL = re.compile(rf"(?i:\b{RECORD_WORDS}[\s_-]*$)")
_GENERIC_ID_CUES = frozenset({"id", "identifier", "identification", "number", "identity", "national"})


def valid_rvnr(value: str) -> bool:
    """German pension insurance number (Rentenversicherungsnummer): area (2 digits), birth date
    (DDMMYY), the birth name's initial, a serial (2 digits) and a check digit: the letter becomes its
    two-digit place in the alphabet, each of the first 12 digits is weighted 2,1,2,5,7,1,2,1,2,1,2,1,
    the cross sums of the products are added, and the total mod 10 is the check digit."""
    v = re.sub(r"[ \t]", "", value).upper()
    if not re.fullmatch(r"\d{8}[A-Z]\d{3}", v):
        return False
    day, month = int(v[2:4]), int(v[4:6])
    if not (1 <= day <= 31 and 1 <= month <= 12):
        return False
    digits = v[:8] + f"{ord(v[8]) - 64:02d}" + v[9:11]
    weights = (2, 1, 2, 5, 7, 1, 2, 1, 2, 1, 2, 1)
    total = sum(sum(map(int, str(int(d) * w))) for d, w in zip(digits, weights, strict=True))
    return total % 10 == int(v[11])


# The one entry checked by its shape alone (no checksum): never enough without a cue in prose.
_NINO_SHAPE = "UK NINO after a cue"


def _stdnum_checks() -> list[tuple[str, re.Pattern[str], Callable[[str], bool], bool]]:
    from stdnum import luhn
    from stdnum.at import vnr
    from stdnum.be import nn
    from stdnum.br import cpf
    from stdnum.ca import sin
    from stdnum.ch import ssn as ch_ssn
    from stdnum.de import idnr, stnr
    from stdnum.dk import cpr
    from stdnum.fi import hetu
    from stdnum.fr import nir
    from stdnum.in_ import aadhaar
    from stdnum.it import codicefiscale
    from stdnum.nl import bsn
    from stdnum.no import fodselsnummer
    from stdnum.pl import pesel
    from stdnum.ro import cnp
    from stdnum.se import personnummer

    return [
        ("DE Steuer-ID", re.compile(r"\b[1-9]\d(?:[ \t]?\d{3}){3}\b"), idnr.is_valid, True),
        # the regional tax number ("Steuernummer 21/815/08150"), a person's when self-employed
        ("DE Steuernummer", re.compile(r"\b\d{2,3}/\d{3,4}/\d{4,5}\b"), stnr.is_valid, True),
        ("FR NIR", re.compile(r"\b[12][ \t]?\d{2}[ \t]?\d{2}[ \t]?(?:\d{2}|2[AB])(?:[ \t]?\d{3}){2}[ \t]?\d{2}\b"),
         nir.is_valid, False),
        ("NL BSN", re.compile(r"\b\d{9}\b|\b\d{4}\.\d{2}\.\d{3}\b"), bsn.is_valid, True),
        ("IN Aadhaar", re.compile(r"\b[2-9]\d{3}[ \t-]?\d{4}[ \t-]?\d{4}\b"), aadhaar.is_valid, True),
        ("PL PESEL", re.compile(r"\b\d{11}\b"), pesel.is_valid, True),
        # Ten digits with a mod-11 check (Austria), eleven with a mod-97 one (Belgium): a cue is needed.
        ("AT SV-Nr", re.compile(r"\b\d{4}[ \t]?\d{6}\b"), vnr.is_valid, True),
        ("BE national number", re.compile(r"\b\d{2}[.\- ]?\d{2}[.\- ]?\d{2}[.\- ]?\d{3}[.\- ]?\d{2}\b"),
         nn.is_valid, True),
        # One check digit in ten: a cue is needed, though the letter in the middle is a shape of its own.
        ("DE RV-Nr", re.compile(r"\b\d{2}[ \t]?\d{6}[ \t]?[A-Z][ \t]?\d{2}[ \t]?\d\b"), valid_rvnr, True),
        # Shapes of their own (letters at fixed places, a fixed prefix): valid ones need no cue.
        ("IT codice fiscale", re.compile(r"\b[A-Z]{6}\d{2}[A-EHLMPR-T]\d{2}[A-Z]\d{3}[A-Z]\b"),
         codicefiscale.is_valid, False),
        ("CH AHV", re.compile(r"\b756\.\d{4}\.\d{4}\.\d{2}\b"), ch_ssn.is_valid, False),
        ("BR CPF", re.compile(r"\b\d{3}\.\d{3}\.\d{3}-\d{2}\b"), cpf.is_valid, True),
        ("SE personnummer", re.compile(r"\b(?:19|20)?\d{6}[-+]\d{4}\b"), personnummer.is_valid, True),
        ("DK CPR", re.compile(r"\b\d{6}-\d{4}\b"), cpr.is_valid, True),
        # (the century sign is part of the check: a "-" the separators' removal took is put back)
        ("FI HETU", re.compile(r"\b\d{6}[-+A]\d{3}[0-9A-Y]\b"),
         lambda v: hetu.is_valid(v if len(v) == 11 else v[:6] + "-" + v[6:]), True),
        ("CA SIN", re.compile(r"\b\d{3}[ \t-]?\d{3}[ \t-]?\d{3}\b"), sin.is_valid, True),
        ("NO fødselsnummer", re.compile(r"\b\d{6}[ \t]?\d{5}\b"), fodselsnummer.is_valid, True),
        ("RO CNP", re.compile(r"\b[1-9]\d{12}\b"), cnp.is_valid, True),
        # the Mexican social security number (IMSS NSS): eleven digits with a Luhn check digit
        ("MX NSS", re.compile(r"\b\d{11}\b"), luhn.is_valid, True),
        # A national insurance number's shape after an identifier cue, whatever its prefix and suffix
        # letter (Presidio's recognizer covers the issued prefixes without a cue; temporary and
        # placeholder ones such as "TN ..." or "ZZ ... T" are written in records too).
        (_NINO_SHAPE, re.compile(r"\b[A-Z]{2}[ \t]?\d{2}[ \t]?\d{2}[ \t]?\d{2}[ \t]?[A-Z]\b"),
         lambda v: True, True),
    ]  # fmt: skip


@functools.cache
def _stdnum_checks_cached() -> tuple[tuple[str, re.Pattern[str], Callable[[str], bool], bool], ...]:
    return tuple(_stdnum_checks())


# Forms whose only check is a Luhn digit over a plain digit run: a cue must name them.
_LUHN_ONLY = frozenset({"CA SIN", "MX NSS"})


def checksum_id(value: str, *, cued: bool = False) -> bool:
    """The whole of ``value`` is a national identifier whose checksum verifies (any country's form);
    the UK form, which has no checksum, and the Luhn-only forms only where a cue names the value
    (``cued``)."""
    value = value.strip()
    return any(
        pattern.fullmatch(value) and (cued or (name != _NINO_SHAPE and name not in _LUHN_ONLY))
        and valid(re.sub(r"[ \t.\-]", "", value))
        for name, pattern, valid, _ in _stdnum_checks_cached()
    )


# An identifier cue in prose, or a column header naming a national identifier ("BSN", "PESEL", "SSN").
ID_CUE = re.compile(rf"(?i:\b{_ID_CUE}\b)")


def cue_introduces(cue: re.Pattern[str], text: str, start: int, reach: int = 40, *, fillers: bool = False) -> bool:
    """A cue stands right before ``start`` on the same line, with no other number between them: in
    "tax id 12345678, order 4500012345" the cue belongs to the first number only, in "the id field
    shows SO 123456789" to none. Between cue and value a short filler ("no.", "number:", "(DE)");
    with ``fillers``, up to 32 characters of filler words ("number of the employee is") and at most
    one other word. A bare "id"/"number" after a record label ("order id", "ticket number") is no cue."""
    before = text[max(0, start - reach) : start].rsplit("\n", 1)[-1]
    hits = list(cue.finditer(before))
    if not hits:
        return False
    last = hits[-1]
    gap = before[last.end() :]
    if any(ch.isdigit() for ch in gap):
        return False
    if not fillers:
        return len(gap) <= 16 and len(gap.split()) <= 2
    if len(gap) > 32:
        return False
    # At most one word outside the filler vocabulary ("of the employee is"), and not a record label.
    other = re.findall(r"[^\W\d_][\w']*", _FILLERS.sub(" ", re.sub(r"\([A-Z]{2}\)", " ", gap)))  # "(DE)": a country
    if len(other) > 1 or (other and RECORD_LABEL.search(other[0])):
        return False
    word = last.group().lower()
    # "passport ID", "driving licence number": the generic word names that document's number.
    return not (word in _GENERIC_ID_CUES and (RECORD_LABEL.search(before[: last.start()])
                                              or _DOCUMENT_BEFORE.search(before[: last.start()])))


class ChecksumIdRecognizer(EntityRecognizer):
    """National identifiers verified by their checksum (and, for short digit strings, a cue)."""

    CUE = ID_CUE

    def __init__(self) -> None:
        super().__init__(supported_entities=["NATIONAL_ID"], name="ChecksumIdRecognizer", supported_language="en")
        self.checks = _stdnum_checks_cached()

    def load(self) -> None:
        pass

    def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[Any]:
        if not holds_digits(text, 6):
            return []
        out = []
        for _name, pattern, valid, needs_cue in self.checks:
            for m in pattern.finditer(text):
                if not valid(re.sub(r"[ \t.\-]", "", m.group())):
                    continue
                if needs_cue and not cue_introduces(self.CUE, text, m.start(), 48, fillers=True):
                    continue
                out.append(RecognizerResult("NATIONAL_ID", m.start(), m.end(), 0.8))
        return out


class CueValueRecognizer(EntityRecognizer):
    """A value written after its cue ("passport no. X1234567", "DOB: 03/04/1985"), and the values
    listed after it ("passports X1234567 and Y7654321"). With ``reverse``, also a value written
    right before its cue ("X1234567 (passport)", "X1234567 is her passport number")."""

    def __init__(self, entity: str, name: str, cue: str, value: str, filler: str | None = None,
                 check: Callable[[str], bool] | None = None, score: float = 0.75,
                 reverse: bool = False, any_case: bool = False, not_between: str | None = None,
                 prefix: str | None = None) -> None:  # fmt: skip
        super().__init__(supported_entities=[entity], name=name, supported_language="en")
        self.entity = entity
        # ``any_case``: after its cue the value may be typed in lower case ("passport no. x1234567",
        # a form filled in by hand); before its cue (``reverse``) it must keep its usual case.
        after = f"(?i:{value})" if any_case else value
        # "passport_number=X": a field name joins the cue to its label with "_"
        self.pattern = re.compile(rf"(?i:\b{cue})(?![^\W_]){cue_window() if filler is None else filler}({after})")
        self.more = re.compile(rf"{VALUE_LIST_SEP}(?<=[\s=:>→])({after})")
        self.reverse = (
            re.compile(rf"(?<![\w\-/.])({value})[ \t]*(?:[(,\-–—:][ \t]*)?"
                       rf"(?:(?i:is|was|as)[ \t]+(?:(?i:the|his|her|their|my|your|our|a)[ \t]+)?)?(?i:{cue})(?!\w)")
            if reverse else None
        )  # fmt: skip
        self.check = check
        self.score = score
        # A word between cue and value that names another document ("Identity document: passport,
        # number X") hands the value to that document's recognizer.
        self.not_between = re.compile(rf"(?i:\b(?:{not_between})\b)") if not_between else None
        self.any_case = any_case
        # A group before the number that is no part of its check, such as the issuing country's code
        # ("passport no. GB 123456789"): masked with the number it precedes.
        self.prefix = re.compile(prefix) if prefix else None

    def load(self) -> None:
        pass

    def _ok(self, value: str) -> bool:
        return self.check is None or self.check(value)

    def _fit(self, value: str) -> int:
        """Length of the longest head of ``value``, whole groups only, that passes the check ("C4412209
        2031" after "passport": the year is no part of the number); 0 if none does. A value read in
        any case that opens with a word in lower case is a word and a number ("seat 14C", "ending
        4821"), never one identifier."""
        first = re.split(r"[ \t\-]", value, maxsplit=1)[0]
        if self.any_case and first.isalpha() and not first.isupper():
            return 0
        if self.prefix is not None and not self._ok(value) and (p := self.prefix.match(value)):
            rest = self._fit(value[p.end() :])
            return p.end() + rest if rest else 0
        while not self._ok(value):
            cut = max(value.rfind(" "), value.rfind("\t"), value.rfind("-"))
            if cut <= 0:
                return 0
            value = value[:cut].rstrip(" \t-")
        return len(value)

    def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[Any]:
        out = []
        for m in self.pattern.finditer(text):
            if self.not_between is not None and self.not_between.search(text, m.start(), m.start(1)):
                continue
            n = self._fit(m.group(1))
            if not n:
                continue
            out.append(RecognizerResult(self.entity, m.start(1), m.start(1) + n, self.score))
            if n < len(m.group(1)):
                continue
            end = m.end(1)
            while (more := self.more.match(text, end)) and self._fit(more.group(1)) == len(more.group(1)):
                out.append(RecognizerResult(self.entity, more.start(1), more.end(1), self.score))
                end = more.end(1)
        if self.reverse is not None:
            for m in self.reverse.finditer(text):
                value = m.group(1)
                # A ticket or order id named after a passport matter ("INC0037564 (passport renewal)",
                # "order 12345678 passport fee") is no passport number.
                if not self._ok(value) or _ID_SHAPE.fullmatch(value.replace(" ", "")):
                    continue
                if RECORD_LABEL.search(text[max(0, m.start() - 30) : m.start()]):
                    continue
                out.append(RecognizerResult(self.entity, m.start(1), m.end(1), self.score - 0.1))
        return out


# Words after which a number is a record's id, an amount or a count, not the cue's value.
_NOT_AN_ID_BETWEEN = re.compile(
    rf"(?i:\b(?:{RECORD_WORDS}|costs?|fees?|price|paid|pay|amount|total|count|quantity|qty|"
    r"units?|pieces?|pages?|version|v)\b)"
)


class NearCueRecognizer(EntityRecognizer):
    """A value of a distinctive shape a few words after its cue in the same sentence ("passport
    issued in Lisbon last spring: X1234567"), as Presidio's context window does, but with no number,
    record label ("ticket", "order") or sentence end between cue and value."""

    def __init__(self, entity: str, name: str, cue: str, value: str, check: Callable[[str], bool],
                 max_words: int = 6, score: float = 0.6) -> None:  # fmt: skip
        super().__init__(supported_entities=[entity], name=name, supported_language="en")
        self.entity = entity
        word = r"[^\W\d_][\w'’\-]*\.?"
        sep = r"[ \t,:()\-–]+"
        self.pattern = re.compile(
            rf"(?i:\b{cue})(?!\w)((?:{sep}{word}){{1,{max_words}}}){sep}({value})(?!\w|[\-/.]\w)"
        )
        self.check = check
        self.score = score

    def load(self) -> None:
        pass

    def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[Any]:
        out = []
        for m in self.pattern.finditer(text):
            between = m.group(1)
            if re.search(r"[.!?;](?:\s|$)", between) or _NOT_AN_ID_BETWEEN.search(between):
                continue
            if self.check(m.group(2)):
                out.append(RecognizerResult(self.entity, m.start(2), m.end(2), self.score))
        return out


# The label of a document's number: "number", "no.", "Nr.", "nº", "#" in the languages served.
_NUMBER_LABEL = r"(?:number|no\.?|nr\.?|nº|n°|num\.?|nummer|numéro|número|numer|#)"


class _CueThenNumberRecognizer(EntityRecognizer):
    """A document's cue, some text, then its number label and the value. ``pattern`` captures the text
    between cue and label (group 1) and the value (group 2); the value counts when that text holds no
    number, record or other document label (``_between`` may clean it first or reject it)."""

    def __init__(self, entity: str, name: str, pattern: str, check: Callable[[str], bool],
                 others: str, score: float) -> None:  # fmt: skip
        super().__init__(supported_entities=[entity], name=name, supported_language="en")
        self.entity = entity
        self.pattern = re.compile(pattern)
        self.others = re.compile(rf"(?i:\b(?:{others})\b)")
        self.check = check
        self.score = score

    def load(self) -> None:
        pass

    def _between(self, between: str) -> str | None:
        """The text between cue and label as checked, or None when the match is no document field."""
        return _DATE_RE.sub(" ", between)

    def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[Any]:
        out = []
        for m in self.pattern.finditer(text):
            between = self._between(m.group(1))
            if between is None:
                continue
            if any(c.isdigit() for c in between) or _NOT_AN_ID_BETWEEN.search(between) or self.others.search(between):
                continue
            if self.check(m.group(2)):
                out.append(RecognizerResult(self.entity, m.start(2), m.end(2), self.score))
        return out


class DocumentFieldRecognizer(_CueThenNumberRecognizer):
    """A record naming the document, then its number field: "Document type: Passport / Document
    number: X1234567", "passport sighted, number 532198764", "Passport expiry 2030-01-01, no. P1234567".
    Between the document's cue and the number label: at most one line break, no sentence end, no
    other document or record label, and no number but a date."""

    def __init__(self, entity: str, name: str, cue: str, value: str, check: Callable[[str], bool],
                 others: str, score: float = 0.6) -> None:  # fmt: skip
        pattern = (
            rf"(?i:\b{cue})(?!\w)([^\n]{{0,60}}?(?:\n[^\n]{{0,40}}?)?)(?<!\w)(?i:{_NUMBER_LABEL})"
            # "number on file: X", "number is X"
            r"(?:[ \t]+(?i:on[ \t]+file|on[ \t]+record|is|reads))?[ \t]*[:#.]?[ \t]*"
            rf"({value})(?!\w|[\-/.]\w)"
        )
        super().__init__(entity, name, pattern, check, others, score)

    def _between(self, between: str) -> str | None:
        # Dates and years of issue or expiry may stand between ("issued 2021, no. X").
        between = re.sub(r"(?i:\bdocument\b)|\b(?:19|20)\d\d\b", " ", _DATE_RE.sub(" ", between))
        if re.search(r"[.!?](?:\s|$)", re.sub(r"(?i:\b(?:no|nr|nº|num)\.)", " ", between)):
            return None
        return between


# Articles, possessives and "new" that may open the sentence naming the number ("The new number is X",
# "Die Nummer lautet X", "Son numéro : X", "Het nummer is X", "Su número es X", "Jego numer to X").
_OPENERS = (
    r"the|its|his|her|their|new|current|die|der|das|neue|seine|ihre|le|la|son|sa|nouveau|het|de|nieuwe|zijn|"
    r"el|su|nuevo|jego|jej|nowy"
)


class NextSentenceRecognizer(_CueThenNumberRecognizer):
    """The number of a document named in the sentence before: "Passport details are on file. Number:
    X1234567.", "Her passport was renewed in March. The new number is C01X00T47." The next sentence
    must open with the number label (an article or "new" before it at most), and the document's
    sentence must hold no other number, record or document label."""

    def __init__(self, entity: str, name: str, cue: str, value: str, check: Callable[[str], bool],
                 others: str, score: float = 0.6) -> None:  # fmt: skip
        pattern = (
            rf"(?i:\b{cue})(?!\w)([^\n.!?]{{0,80}})[.!?][ \t]+(?:(?i:{_OPENERS})[ \t]+){{0,2}}(?i:{_NUMBER_LABEL})"
            r"(?:[ \t]+(?i:is|ist|lautet|est|es|is|jest|to|wynosi|reads|on\s+file))?[ \t]*[:#]?[ \t]*"
            rf"({value})(?!\w|[\-/.]\w)"
        )
        super().__init__(entity, name, pattern, check, others, score)


# A licence named without "driving" ("Licence no. 1234567", "Lic. #", "numéro de permis"): a number
# label must follow (or precede) the word, and the sentence must not speak of software, where a licence
# number names a contract.
_BARE_LICENCE = r"(?:licen[cs]e|lic\.?|lizenz|licencia|licencja|licentie|permis)"
_SOFTWARE = re.compile(
    r"(?i:\b(?:software|seats?|users?|subscriptions?|keys?|activation|edition|servers?|saas|tenants?|cpus?|cores?|"
    r"concurrent|perpetual|on-?prem\w*|cloud|modules?|products?|vendor|open[\s-]?source|copyright|gpl|mit|apache|"
    r"bsd|spdx|nutzer|utilisateurs?|usuarios?|gebruikers?|użytkowni\w*|postes?|plazas?|stanowisk\w*)\b)"
)


class LicenceNumberRecognizer(EntityRecognizer):
    """A driving licence's number after "Licence no." / "Lic. #" / "License number" / "numéro de permis"
    (no "driving"): 7-18 letters and digits with at least five digits, in a sentence that does not speak
    of software (seats, users, keys, subscriptions)."""

    def __init__(self) -> None:
        super().__init__(supported_entities=["DRIVER_LICENSE"], name="LicenceNumberRecognizer",
                         supported_language="en")  # fmt: skip
        self.pattern = re.compile(
            rf"(?i:\b(?:{_BARE_LICENCE}(?<!\.)(?![^\W_])[ \t]*[-_]?[ \t]*{_NUMBER_LABEL}|"
            rf"{_NUMBER_LABEL}[ \t]+(?:de[ \t]+|du[ \t]+|of[ \t]+(?:the[ \t]+)?)?{_BARE_LICENCE}(?<!\.)(?![^\W_])|"
            rf"lic\.[ \t]*{_NUMBER_LABEL}?)"
            r"(?:[ \t]+(?:is|ist|est|es|jest|to))?[ \t]*[:#.]?[ \t]*)"
            rf"((?i:{LICENCE_VALUE}))"
        )

    def load(self) -> None:
        pass

    def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[Any]:
        out = []
        for m in self.pattern.finditer(text):
            value = m.group(1)
            compact = re.sub(r"[ \t\-]", "", value)
            if not 7 <= len(compact) <= 18 or sum(c.isdigit() for c in compact) < 5 or _DATE_RE.fullmatch(value):
                continue
            start = max(text.rfind(".", 0, max(0, m.start() - 1)), text.rfind("\n", 0, m.start())) + 1
            stop = re.search(r"[.!?](?:\s|$)|\n", text[m.end() :])
            end = m.end() + (stop.start() if stop else len(text) - m.end())
            if _SOFTWARE.search(text[start:end]):
                continue
            out.append(RecognizerResult("DRIVER_LICENSE", m.start(1), m.end(1), 0.6))
        return out


# Ticket and document ids: three or more letters then digits ("INC0037564", "CHG1234567").
_ID_SHAPE = re.compile(r"[A-Z]{3,}\d+")


# Month names of the other languages served (fr, de, nl, es, pt, it; Polish in the genitive a date
# writes): a birth date on a form is written in the form's language ("né le 4 mai 1979").
_MONTHS_ABROAD = (
    r"(?i:janvier|f[ée]vrier|mars|avril|mai|juin|juillet|ao[ûu]t|septembre|octobre|novembre|d[ée]cembre|"
    r"januar|j[äa]nner|februar|m[äa]rz|juni|juli|oktober|dezember|januari|februari|maart|mei|augustus|"
    r"enero|febrero|marzo|abril|mayo|junio|julio|agosto|se?ptiembre|setiembre|octubre|noviembre|diciembre|"
    r"janeiro|fevereiro|março|maio|junho|julho|setembro|outubro|novembro|dezembro|"
    r"gennaio|febbraio|aprile|maggio|giugno|luglio|settembre|ottobre|dicembre|"
    r"stycznia|lutego|marca|kwietnia|maja|czerwca|lipca|sierpnia|wrze[śs]nia|pa[źz]dziernika|listopada|grudnia)"
)
_TEXT_DATE = (
    rf"\d{{1,2}}(?:st|nd|rd|th|er)?\.?[ \t]+(?:de[ \t]+)?(?:{MONTHS_RE.pattern}|{_MONTHS_ABROAD})\.?,?[ \t]+"
    r"(?:de[ \t]+)?(?:19|20)\d\d|"
    rf"(?:{MONTHS_RE.pattern})\.?[ \t]+\d{{1,2}}(?:st|nd|rd|th)?,?[ \t]+(?:19|20)\d\d"
)
DATE_VALUE = "|".join(p.replace(r"\b", "") for p in DATE_PATTERNS) + "|" + _TEXT_DATE
DOB_CUE = (
    r"(?:date\s+of\s+birth|birth\s*date|birthday|born|d\.?o\.?b\.?|geboren|geburtsdatum|geb\.|n[ée]e?\s+le|"
    r"date\s+de\s+naissance|geboortedatum|geboren\s+op|fecha\s+de\s+nacimiento|nacid[oa]|data\s+urodzenia|"
    r"urodzon[ya]|ur\.|data\s+de\s+nascimento|nascid[oa](?:\s+em)?|data\s+di\s+nascita|nat[oa]\s+il|"
    # field names of exports ("date_of_birth", "birth_date", "dob")
    r"date_of_birth|birth_?date|birthdate)"
)


def _luhn_digits(value: str) -> bool:
    from stdnum import luhn

    return luhn.is_valid(re.sub(r"[ -]", "", value))


def has_digit(value: str) -> bool:
    return any(c.isdigit() for c in value) and not value.isalpha()


# Passport cues in the product's languages, compounds included ("Reisepassnummer", "Pass-Nr.").
PASSPORT_CUE = (
    r"(?:passports?|pasaporte|passeport|reisepass\w*|pass(?=\.?[ \t]*[-.]?[ \t]*(?:nr|no|nummer)\b)|passnummer|passnr|"
    r"paszport\w*|paspoort\w*|passaporto|passaporte|travel[\s_-]+(?:documents?|docs?|id)|document\s+de\s+voyage|"
    # "PP#", "pp no." (a bare "pp" before a number is a page range: "pp. 12-14")
    r"pp(?=[ \t]*(?:#|no\b|nr\b|number\b))|"
    r"documento\s+de\s+viaje|reisedokument)"
)
# National passport numbers: 6-10 letters and digits, possibly in up to three groups ("12AB 34567",
# "EP-1234567", "C-2291-0044"); a group after the first holds a digit (not a word that follows).
# The look-ahead keeps a short label ("PP#") from being taken, and consumed, as a value.
PASSPORT_VALUE = r"(?=[A-Z0-9 \t\-]{0,11}\d)[A-Z0-9]{1,10}(?:[ \t\-](?=[A-Z]{0,8}\d)[A-Z0-9]{2,9}){0,2}(?!\w|[\-/.]\w)"
IBAN_VALUE = r"[a-zA-Z]{2}\d{2}(?:[ ]?[a-zA-Z0-9]{4}){2,7}(?:[ ]?[a-zA-Z0-9]{1,4})?\b"
LICENCE_CUE = (
    r"(?:driving\s+licen[cs]es?|driver'?s?\s+licen[cs]es?|driver'?s?\s+lic\.|driving\s+permit|dl|führerschein\w*|"
    r"fahrerlaubnis\w*|permis\s+de\s+conduire|rijbewijs\w*|carn(?:et|é|e)\s+de\s+conducir|permiso\s+de\s+conducir|"
    r"carta\s+de\s+condução|carteira\s+de\s+motorista|"
    r"prawo\s+jazdy|patente(?:\s+di\s+guida)?)"
)
LICENCE_VALUE = (
    # a UK licence written in its groups ("JONES 610101 AB9CD"): surname part, birth date, initials
    r"[A-Z9]{5}[ \t]\d{6}[ \t]?[A-Z9]{2}\d[A-Z]{2}(?:[ \t]?\d{2})?(?!\w)|"
    r"[A-Z0-9][A-Z0-9\-]{5,19}(?!\w|[\-/.]\w)"
)
# Identity cards in the product's languages; their number is a national identifier.
ID_CARD_CUE = (
    r"(?:(?:national\s+)?id(?:entity)?[\s_-]*cards?|personalausweis\w*|ausweisnummer|"
    r"carte\s+(?:nationale\s+)?d['’]identit[ée]|cni|documento\s+(?:nacional\s+)?de\s+identidad|"
    r"dow[óo]d\w*\s+osobist\w*|identiteitskaart|id-kaart|carta\s+d['’]identit[àa])"
)


# A document named only as an identity document ("identity document no. X", "ID document: X"): its
# type is not said, so the value's shape decides (``_passport_shaped`` below).
IDENTITY_DOCUMENT_CUE = r"(?:(?:identity|identification|id)[\s_-]+doc(?:ument)?s?|identiteitsbewijs|ausweisdokument)"


def _passport_shaped(value: str) -> bool:
    """The ICAO machine-readable shapes of passport numbers: one or two letters then 6-8 digits, or 9
    letters and digits mixed, starting with a letter. A generic identity document with such a number
    is taken for a passport, the document most often presented as one abroad; an all-digit number is
    left to the identity-card reading."""
    compact = re.sub(r"[ \t\-]", "", value).upper()
    return passport_like(compact) and bool(re.fullmatch(r"[A-Z]{1,2}\d{6,8}|[A-Z][A-Z0-9]{8}", compact))


def card_number_like(value: str) -> bool:
    """An identity card number: 6-12 letters and digits with at least two digits; all-digit only
    with 8-12 digits that do not read as a date."""
    compact = re.sub(r"[ \t\-]", "", value)
    if not 6 <= len(compact) <= 12 or sum(c.isdigit() for c in compact) < 2:
        return False
    if compact.isdigit():
        return len(compact) >= 8 and not _DATE_RE.fullmatch(compact[:8])
    return True


def _licence_near_cue(value: str) -> bool:
    """A licence number a few words after its cue: letters and digits mixed, 8-18 characters (a
    bare word or count never has that shape)."""
    compact = value.replace(" ", "")
    return 8 <= len(compact) <= 18 and sum(c.isdigit() for c in compact) >= 3 and any(c.isalpha() for c in compact)


_DOCUMENT_BEFORE = re.compile(rf"(?i:\b(?:{PASSPORT_CUE}|{LICENCE_CUE}|travel|visa)[\s_-]*$)")


def _valid_iban(value: str) -> bool:
    from stdnum import iban

    return bool(iban.is_valid(value.upper()))


def passport_like(value: str) -> bool:
    """6-10 letters and digits, at least two of them digits; all-digit only with 8-10 digits (as US
    and UK passports) that do not read as a date."""
    compact = re.sub(r"[ \t\-]", "", value)
    if not 6 <= len(compact) <= 10 or sum(c.isdigit() for c in compact) < 2:
        return False
    if compact.isdigit():
        return len(compact) >= 8 and not _DATE_RE.fullmatch(compact[:8])
    return True


# Presidio's low-confidence PAN pattern looks ahead with ``.*?`` to the end of the line for a
# letter and four digits, from every word boundary: quadratic in the line length (0.8 s for a
# 20,000-character window of prose, more than spaCy itself) and it matches any 10-character word
# on a line that has a year in it. Here the look-aheads stay inside the 10-character token.
IN_PAN_LOW = r"\b((?=[\w@#$%^?~-]{0,9}[a-zA-Z])(?=[\w@#$%^?~-]{0,6}[0-9]{4})[\w@#$%^?~-]{10})\b"


def in_pan_patterns() -> list[Any]:
    """Presidio's PAN patterns with the low-confidence one bounded to the token (same score)."""
    from presidio_analyzer import Pattern
    from presidio_analyzer.predefined_recognizers import InPanRecognizer

    return [Pattern(p.name, IN_PAN_LOW, p.score) if p.name == "PAN (Low)" else p for p in InPanRecognizer.PATTERNS]


def identifier_recognizers() -> list[Any]:
    from presidio_analyzer.predefined_recognizers import (
        EsNieRecognizer,
        EsNifRecognizer,
        IbanRecognizer,
        InPanRecognizer,
        UkNinoRecognizer,
        UsSsnRecognizer,
    )

    return [
        IbanRecognizer(),
        UsSsnRecognizer(),
        # Country recognizers default to their own language; our texts are analysed as English.
        UkNinoRecognizer(supported_language="en"),
        InPanRecognizer(supported_language="en", patterns=in_pan_patterns()),
        EsNifRecognizer(supported_language="en"),
        EsNieRecognizer(supported_language="en"),
        CardNumberRecognizer(),
        # (A "+" before the digits makes them a phone number: "to=+4915112345678" passes Luhn by chance.)
    # After a card cue any Luhn-valid 12-19 digit number is a card, whatever its issuer prefix.
        CueValueRecognizer(
            "CREDIT_CARD", "CardCueRecognizer", r"(?:card|karte|carte|tarjeta|karta|kaart)",
            r"\d(?:[ -]?\d){11,18}(?![\d-])", check=_luhn_digits,
        ),
        ChecksumIdRecognizer(),
        # Presidio's IBAN recognizer reads upper case only; after its cue an IBAN in any case is one.
        CueValueRecognizer("IBAN_CODE", "IbanCueRecognizer", r"(?:iban)",
                           IBAN_VALUE, check=_valid_iban),
        CueValueRecognizer("PASSPORT", "PassportCueRecognizer", PASSPORT_CUE, PASSPORT_VALUE, check=passport_like,
                           reverse=True, any_case=True, prefix=r"[A-Z]{2,3}[ \t\-]"),
        # Passport numbers of the common national shapes (letters then digits, nine digits) a few
        # words after the cue.
        NearCueRecognizer("PASSPORT", "PassportNearCueRecognizer", PASSPORT_CUE,
                          r"[A-Z]{1,2}[ \t]?\d{6,8}|\d{9}|[A-Z0-9]{9}", check=passport_like),
        DocumentFieldRecognizer("PASSPORT", "PassportFieldRecognizer", PASSPORT_CUE, PASSPORT_VALUE,
                                check=passport_like, others=rf"{LICENCE_CUE}|{_ID_CUE}|visa|card|carte|karte"),
        NextSentenceRecognizer("PASSPORT", "PassportNextSentenceRecognizer", PASSPORT_CUE, PASSPORT_VALUE,
                               check=passport_like, others=rf"{LICENCE_CUE}|{_ID_CUE}|visa|card|carte|karte"),
        LicenceNumberRecognizer(),
        NextSentenceRecognizer("DRIVER_LICENSE", "LicenceNextSentenceRecognizer", LICENCE_CUE, LICENCE_VALUE,
                               check=_licence_near_cue, others=rf"{PASSPORT_CUE}|{_ID_CUE}|visa|card|carte|karte"),
        CueValueRecognizer("DRIVER_LICENSE", "DrivingLicenceCueRecognizer", LICENCE_CUE, LICENCE_VALUE,
                           check=has_digit),
        # "DL number for the car hire is SMITH712045AB9CD": a licence's mixed shape a few words on.
        NearCueRecognizer("DRIVER_LICENSE", "DrivingLicenceNearCueRecognizer", LICENCE_CUE,
                          r"[A-Z0-9]{8,18}", check=_licence_near_cue),
        CueValueRecognizer("NATIONAL_ID", "IdCardCueRecognizer", ID_CARD_CUE, r"[A-Z0-9]{1,3}[ \t]?[A-Z0-9]{4,10}",
                           check=card_number_like, any_case=True, not_between=rf"{PASSPORT_CUE}|{LICENCE_CUE}"),
        CueValueRecognizer("PASSPORT", "IdentityDocumentPassportRecognizer", IDENTITY_DOCUMENT_CUE,
                           r"[A-Z0-9]{1,3}[ \t]?[A-Z0-9]{4,10}", check=_passport_shaped,
                           not_between=rf"{LICENCE_CUE}|(?:id(?:entity)?[\s_-]*)?cards?|carte|karte|ausweis\w*"),
        CueValueRecognizer("NATIONAL_ID", "IdentityDocumentRecognizer", IDENTITY_DOCUMENT_CUE,
                           r"[A-Z0-9]{1,3}[ \t]?[A-Z0-9]{4,10}",
                           check=lambda v: card_number_like(v) and not _passport_shaped(v),
                           not_between=rf"{PASSPORT_CUE}|{LICENCE_CUE}"),
        CueValueRecognizer(
            "DATE_OF_BIRTH", "BirthDateRecognizer", DOB_CUE, rf"(?:{DATE_VALUE})\b",
            # a field of an export may quote its name and value ('"dob": "1992-02-29"'); a letter states
            # it "as" a date ("your date of birth as 4 May 1979"); a transcript asks for it and the next
            # line answers after its speaker's label ("... date of birth?\nCaller: 04.12.1991"), a chat
            # log's line after its time stamp too ("confirm your birthday.\n[10:06] customer: ..."); a
            # key-value table has a bar between ("| Date of birth | 1979-11-03 |")
            filler=r"[\"']?[ \t]*(?:\(|:|=|,|-|\||on|is|of|am|le|el|op|em|il|dnia|as|"
            r"[?.][ \t]*\n[ \t]*(?:\[[\d:. ]{3,12}\][ \t]*)?[^\W\d_][\w.\-]{0,19}[ \t]*:)?[ \t]*(?:on|:)?[ \t]*[\"']?",
            score=0.85,
        ),
    ]  # fmt: skip
