"""E-mail addresses, phone numbers, IP addresses and BIC/SWIFT codes."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from presidio_analyzer import EntityRecognizer, Pattern, PatternRecognizer, RecognizerResult

from guardrails.pii.negatives import DATE_PATTERNS
from guardrails.pii.recognizers.identifiers import RECORD_LABEL, RECORD_WORDS, VALUE_LIST_SEP, holds_digits

# Score of a phone candidate whose only evidence is its shape (trunk prefix or regional grouping).
WEAK_PHONE_SCORE = 0.5
GROUPED_PHONE_SCORE = 0.55
# Regions tried when a separated digit group has no country prefix: the locales the product serves.
PHONE_REGIONS: tuple[str, ...] = (
    "US", "GB", "DE", "FR", "NL", "PL", "ES", "IT", "BR", "CH", "AT", "BE", "SE", "DK", "FI", "IE", "IN", "AU",
)  # fmt: skip

PHONE_CUE = re.compile(
    r"(?i:\b(?:phone|telephone|tel|cell|cellphone|mobile|mob|call|calls|calling|called|ring|dial|fax|sms|text|"
    r"whatsapp|hotline|reach|reached|contact|number|numbers|voicemail|msisdn|caller|messages?|messaging|answering|extension|ext|landline|"
    r"switchboard|desk|direct\s+line|telefon\w*|telefoon\w*|téléphone|teléfono|telefone|móvil|handy\w*|portable|rufnummer|"
    r"mobil(?:nummer|telefon|e)?|mobiel\w*|gsm|celular|cellulare|telem[óo]vel|kom[óo]rk\w*|tlf|tfn|kontakt\w*|contacto|contatto|"
    r"tél|telefono|numer|nummer|numéro|número|ph|callback|call-back|dial-in|ping\s+me|"
    # "call" in the other languages served ("Bel me op", "Rufen Sie ... an", "appelez", "llame", "zadzwoń")
    r"bel|bellen|anrufen|rufen|appeler|appelez|appelle|llamar|llame|llámame|zadzwoń|dzwoń|chiama|chiamare|"
    # "reach" in French ("me joindre au 06 ...")
    r"joindre)\b|"
    # one-letter and "Direct" labels of signature blocks ("T: ...", "M: ...", "Direct: ...")
    r"\b(?-i:[TMPF])(?=[ \t]*:)|\b(?i:direct)(?=[ \t]*:))"
)
# A phone cue written after the number: "0612345678 as his mobile", "07700 900123 as a callback number".
_CUE_AFTER = re.compile(
    r"[ \t]*(?i:(?:as|is|was|for)[ \t]+(?:(?:his|her|their|my|your|our|a|an|the)[ \t]+)?(?:[a-z]+[ \t]+)?)"
    r"(?i:phone|telephone|mobile|cell(?:phone)?|landline|callback|call-back|fax|whatsapp|contact\s+number|"
    r"home\s+number|work\s+number|direct\s+line)\b"
)
# Abbreviated cues end with a dot that is no sentence end ("Tel. 030 ...", "Mob. ...").
_ABBREVIATED_CUE = re.compile(r"(?i:\b(tel|tél|ph|mob|fax|kom|tfn|tlf|ext|nr|no)\.)")
_TOPIC = re.compile(r"(?i:\b(?:about|regarding|concerning|re|for|on\s+(?:order|invoice|ticket|case)|"
                    r"ref(?:erence)?)\b)")
# A phone candidate: optional country prefix, digit groups with separators, on one line.
_CANDIDATE = re.compile(
    r"(?<![\w+/.\-])(?:\+[ \t]?|00)?(?:\([ \t]?\+?\d{1,5}[ \t]?\)[ \t]?)?\d[\d \t().\-/]{5,22}\d(?!(?!x\d)\w|[.\-/]\d)"
)  # an extension ("555-0100x23") may follow; the span ends before it
# The kind of line written after a number ("0490 39 07 81 (office)", "21 253 109 8211-Office").
_AFTER_LABEL = re.compile(r"[ \t]*[-(,/]?[ \t]*(?i:(?:office|work|home|desk|direct)\b)")
_GROUPS = re.compile(r"\d+")
_GENERIC_NUMBER_CUES = frozenset({"number", "numbers", "nummer", "numéro", "número", "numer"})
_NUMBER_OF = re.compile(
    rf"{RECORD_LABEL.pattern}|(?i:\b(?:identification|identity|identifier|id|tax|vat|passport|licen[cs]e|"
    r"insurance|security|registration|social|national|personal|serial|card|karte|carte|tarjeta|"
    r"de\s+(?:commande|facture|dossier)|"
    r"de\s+(?:pedido|factura))[\s_-]*$)"
)

# "Order no.", "customer number": the record's word before a generic number word
_NUMBER_SUFFIX = re.compile(rf"(?i:[ \t-]+(?:no|nr|num|ref|{'|'.join(sorted(_GENERIC_NUMBER_CUES))})\W*$)")


def labels_record(label: str) -> bool:
    """A label naming a record or an identifier ("contact_id", "Account", "Order no"), not a phone."""
    label = _ABBREVIATED_CUE.sub(r"\1 ", label.replace("_", " ")).strip(" \t:#*")
    label = _NUMBER_SUFFIX.sub("", label) or label
    return not PHONE_CUE.search(label.rsplit(" ", 1)[-1]) and bool(_NUMBER_OF.search(label))


# An extension after a number ("555-0100x23", "... ext. 23")
_EXTENSION = re.compile(r"(?:x|[ \t]?(?i:ext)\.?[ \t]?)\d{1,6}(?!\w)")


class EvidencePhoneRecognizer(EntityRecognizer):
    """Phone numbers with format evidence: a country prefix, a trunk ``0``, a phone-like grouping
    that ``phonenumbers`` accepts for one of ``PHONE_REGIONS``, or a phone cue just before.
    "Valid for some region" alone is not enough: many regions accept any 8-digit string."""

    def __init__(self) -> None:
        super().__init__(supported_entities=["PHONE_NUMBER"], name="PhoneEvidenceRecognizer", supported_language="en")

    def load(self) -> None:
        pass

    def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[Any]:
        if not holds_digits(text, 7):
            return []
        out: list[Any] = []
        for m in _CANDIDATE.finditer(text):
            cand = m.group().rstrip(" \t-./(")
            end = m.start() + len(cand)
            score = phone_score(cand, text[max(0, m.start() - 40) : m.start()], text[end : end + 40])
            prev = out[-1] if out else None
            # "changed from <phone> to <number>", "<phone> or <number>": the cue of the first is the
            # cue of the second when it has a phone's shape too.
            if (prev is not None and prev.score > WEAK_PHONE_SCORE and _LIST_GAP.fullmatch(text, prev.end, m.start())
                    and _shape_score(cand, re.sub(r"\D", "", cand), _GROUPS.findall(cand),
                                     cand.lstrip("(").startswith("0"), True)):  # fmt: skip
                score = max(score, prev.score)
            if score:
                start = m.start()
                # "(02199) 35181": the area code's opening bracket belongs to the number
                if text[start - 1 : start] == "(" and ")" in cand and "(" not in cand.split(")")[0]:
                    start -= 1
                # an extension ("555-0100x23", "... ext. 23") is part of what is masked
                ext = _EXTENSION.match(text, end)
                out.append(RecognizerResult("PHONE_NUMBER", start, ext.end() if ext else end, score))
        return out


def phone_score(cand: str, before: str, after: str = "") -> float:
    """Score of a phone candidate given the text before and after it; 0 when the evidence is
    insufficient. A cue right after the number ("... -Fax", "(mobile)") counts like one before."""
    digits = re.sub(r"\D", "", cand)
    if not 7 <= len(digits) <= 15 or "  " in cand or cand.count("/") > 1:
        return 0.0
    # A whole date is never a phone (post-processing drops it whatever its cue); answering here
    # spares the region-by-region parse, the costliest step of this recognizer.
    if _WHOLE_DATE.fullmatch(cand):
        return 0.0
    # Digits in thousands ("1 234 567", "12.345.678") without a country or trunk prefix: a count or
    # an amount, whatever cue the sentence has ("call volume was 1 234 567").
    if _THOUSANDS.fullmatch(cand):
        return 0.0
    lines = before.split("\n")
    line_before = lines[-1]
    if not line_before.strip() and len(lines) > 1 and (lines[-2].rstrip().endswith(":") or _label_line(lines[-2])):
        line_before = lines[-2]  # a label line ("Phone:", "Mobile") with the value on the next line
    # A cue speaks for the first number after it in its own sentence ("call me on 0612 345 678.
    # Order 4500012345 ..." gives the order number no cue).
    line_before = re.split(r"[.!?;](?:\s|$)|\d[\d \t().\-/]{4,}\d", _ABBREVIATED_CUE.sub(r"\1 ", line_before))[-1]
    # A field name joins its words with "_" ("mobile_number = ...", "emergency_contact_phone:").
    line_before = line_before.replace("_", " ")
    # "number" after a record or identifier label ("customer number", "tax identification number")
    # names that record's number, not a phone.
    cues = [c for c in PHONE_CUE.finditer(line_before)
            if not (c.group().lower() in _GENERIC_NUMBER_CUES and _NUMBER_OF.search(line_before[: c.start()]))]
    # "Part number 601 234 567": the value of a record's number label is that record's number.
    record_number = _RECORD_NUMBER_END.search(line_before)
    if record_number and _NUMBER_OF.search(line_before[: record_number.start()]):
        return 0.0
    # "Numéro de commande : ...", "numer zamówienia: ...": a number label naming its record after it,
    # as the Romance languages and Polish write it; the number of a phone word stays a phone.
    named = _NUMBER_NAMED_AFTER.search(line_before)
    if named and not PHONE_CUE.fullmatch(named.group(1)):
        return 0.0
    # "Dial-in code 123 456 789#", "Teams meeting ID: ...": the value of an access code, not a number to call
    if _ACCESS_CODE_END.search(line_before):
        return 0.0
    # "Contact Ana about 741-7559-3184": a number that is the topic, not the way to reach someone.
    cue = bool(cues) and not _TOPIC.search(line_before[cues[-1].end() :])
    first_after = after.split("\n", 1)[0]
    near_cue = any(c.start() >= len(line_before) - 20 for c in cues) or bool(
        re.match(rf"[ \t]*[-(,/]?[ \t]*{PHONE_CUE.pattern}", first_after) or _CUE_AFTER.match(first_after)
    )
    # A line-kind label after the number ("... office") is weaker: an order number may be followed
    # by "office supplies"; post-processing still drops it on an id or amount.
    cue = cue or bool(_AFTER_LABEL.match(after.split("\n", 1)[0]))
    # "00" is an international prefix only when a valid number follows it ("006-6692-7118" is no call
    # to country 6 or 66: the separator would split the country code).
    intl = cand.lstrip("( \t").startswith("+") or (
        cand.startswith("00") and len(digits) >= 10 and _valid_international(cand)
    )
    trunk = cand.lstrip("(").startswith("0") and not cand.startswith("00")
    groups = _GROUPS.findall(cand)
    separated = len(groups) >= 2 and all(1 <= len(g) <= 5 for g in groups[1:])
    if intl and len(digits) >= 8:
        return 0.75
    if near_cue:
        return 0.7
    if cue:
        return 0.65
    # (a record's label right before the number names it: "Order (555) 010-2299" is that order's)
    bracketed_ok = not _RECORD_WORD_END.search(line_before)
    shape_score = _shape_score(cand, digits, groups, trunk, separated, bracketed_ok)
    # "Ana is on 0612 48 22 91", "available at (020) 7946 0958": a person reachable on a number
    # with a phone's shape; the shape alone stays weak.
    if shape_score and _REACHABLE_ON.search(line_before) and not _RECORD_WORD.search(line_before):
        return 0.65  # not "the order is on 4500012345"
    return shape_score


_LIST_GAP = re.compile(VALUE_LIST_SEP)
# (two digits then groups of three with spaces are also a phone's grouping: "78 651 450")
_THOUSANDS = re.compile(r"[1-9](?:([ .,’'])\d{3})(?:\1\d{3})+|[1-9]\d(?:([.,’'])\d{3})(?:\2\d{3})+")
# A line that is only a phone label ("Phone", "Mobile / WhatsApp", "**Tel.**") above its value.
_LABEL_LINE = re.compile(
    rf"[ \t>*#|_-]*(?:{PHONE_CUE.pattern})(?:[ \t]*[/,&+]?[ \t]*(?:{PHONE_CUE.pattern}))*[ \t.*_|]*"
)


def _label_line(line: str) -> bool:
    """A phone label alone on its line; "Number" alone heads a column of any numbers."""
    return bool(_LABEL_LINE.fullmatch(line)) and line.strip(" \t>*#|_-.:").lower() not in _GENERIC_NUMBER_CUES


# A generic number label closing the text before a value ("number", "nr.", "numéro :").
_ACCESS_CODE_END = re.compile(
    r"(?i:\b(?:code|pin|passcode|password|meeting[ \t]+id|conference[ \t]+id|access[ \t]+id|"
    r"zugangscode|einwahlcode|kenncode|toegangscode|código|codice|kod)[ \t]*(?:is|:|#|=)?[ \t]*$)"
)
_RECORD_NUMBER_END = re.compile(
    r"(?i:\b(?:numbers?|nummer|numéro|número|numer)[ \t]*(?:is|was|:|#|=)?[ \t]*$)"
)
_NUMBER_NAMED_AFTER = re.compile(
    r"(?i:\b(?:numéro|número|numero|numer|n[°º])[ \t]+(?:(?:de|del|da|do|du|des|di)[ \t]+(?:la[ \t]+|l['’])?)?"
    r"([^\W\d_]+)[ \t]*(?:[:#=]|est|es|é|è|to)?[ \t]*$)"
)
_WHOLE_DATE = re.compile("|".join(f"(?:{p})" for p in DATE_PATTERNS))
_RECORD_WORD = re.compile(rf"(?i:\b{RECORD_WORDS}\b)")
_RECORD_WORD_END = re.compile(rf"(?i:\b{RECORD_WORDS}\b[ \t:#.]*(?:no\.?|nr\.?|number|id)?[ \t:#.]*$)")
# "is on", "available at", "reachable under" right before a number.
_REACHABLE_ON = re.compile(
    r"(?i:\b(?:is|are|am|be|ist|sind|available|reachable|contactable|erreichbar|joignable|bereikbaar|localizable)"
    r"[ \t]+(?:on|at|under|via|unter|au|op|en)[ \t]*$)"
)


_NANP_COUNTRY = re.compile(r"^1[ \t.\-]?(?=\(?[2-9]\d{2}\)?[ \t.\-]?\d{3}[ \t.\-]\d{4}$)")
_BRACKETED_COUNTRY = re.compile(r"\((\d{1,3})\)[ \t]?(\d[\d \t.\-]{5,14}\d)")


@lru_cache(maxsize=4096)
def _valid_after_bracketed_country(cand: str) -> bool:
    """A country calling code in brackets, then a number valid in that country."""
    m = _BRACKETED_COUNTRY.fullmatch(cand)
    if not m:
        return False
    import phonenumbers

    try:
        num = phonenumbers.parse("+" + m.group(1) + re.sub(r"\D", "", m.group(2)), None)
    except phonenumbers.NumberParseException:
        return False
    return num.country_code == int(m.group(1)) and phonenumbers.is_valid_number(num)


_NANP_BRACKETED = re.compile(r"\([2-9]\d{2}\)[ \t]?\d{3}[ \t.\-]\d{4}")
_TRUNK_BRACKETED = re.compile(r"\(0\d{1,4}\)[ \t]?\d{2,4}(?:[ \t\-]?\d{2,4}){1,3}")
_NANP_SHAPE = re.compile(r"\(\d{3}\)[ \t]?\d{3}[ \t.\-]\d{4}|\d{3}([.\-])\d{3}\1\d{4}")


def _shape_score(
    cand: str, digits: str, groups: list[str], trunk: bool, separated: bool, bracketed_ok: bool = True
) -> float:
    """Score of a candidate whose only evidence is its shape (a trunk prefix, a regional grouping):
    weak evidence, ids and order numbers have such shapes too. Post-processing keeps these only
    beside other contact details."""
    # The North American country code written before the number ("1-712-524-2731", "1 (588) 871-8033")
    nanp = _NANP_COUNTRY.sub("", cand)
    # An area code in brackets ("(0121) 496 0323", "(555) 010-2299"), or a country code in brackets
    # before a number valid in that country ("(351) 912 202 972"), is how phones alone are written.
    if bracketed_ok and (
        _NANP_BRACKETED.fullmatch(nanp)
        or (_TRUNK_BRACKETED.fullmatch(cand) and _valid_somewhere(digits))
        or _valid_after_bracketed_country(cand)
    ):
        return GROUPED_PHONE_SCORE
    if nanp != cand:
        cand, digits = nanp, digits[1:]
        groups = _GROUPS.findall(cand)
    if trunk and (separated or 9 <= len(digits) <= 12) and _valid_somewhere(digits):
        # A trunk prefix and the whole national grouping of a region where the number is valid, its
        # separators included ("06 12 84 51 89", "020 7946 0958"): the format a phone is written in.
        if separated and len(groups) >= 3 and _grouped_like_region(digits, tuple(map(len, groups)), "-" in cand):
            return GROUPED_PHONE_SCORE
        return WEAK_PHONE_SCORE
    if len(groups) == 1 and 10 <= len(digits) <= 12 and _valid_somewhere(digits):
        return WEAK_PHONE_SCORE  # a bare digit run: kept only beside other contact details
    if separated and (len(groups) >= 3 or "(" in cand):
        shape = tuple(map(len, groups))
        # A region's own national grouping and separators are format evidence of their own; the
        # grouping with other separators is shape only.
        if _grouped_like_region(digits, shape, "-" in cand):
            return GROUPED_PHONE_SCORE
        if _grouped_like_region(digits, shape):
            return WEAK_PHONE_SCORE
    if _NANP_SHAPE.fullmatch(cand):
        # The North American grouping ("(555) 010-2299", "398-127-4405") is a phone's format even
        # where the area code is unassigned (fictional and test numbers): weak, kept only beside
        # other contact details. (Last: a valid number's own grouping scores higher above.)
        return WEAK_PHONE_SCORE
    return 0.0


@lru_cache(maxsize=4096)
def _valid_international(cand: str) -> bool:
    """``00``-prefixed digits form a valid number and no separator splits the country code."""
    import phonenumbers

    digits = re.sub(r"\D", "", cand)
    try:
        num = phonenumbers.parse("+" + digits[2:], None)
    except phonenumbers.NumberParseException:
        return False
    if not phonenumbers.is_valid_number(num):
        return False
    first = _GROUPS.findall(cand)[0]
    return first in ("00", "00" + str(num.country_code))


def _grouped_like_region(digits: str, groups: tuple[int, ...], hyphens: bool = False) -> bool:
    """Valid in one of PHONE_REGIONS and written with that region's national digit grouping (with
    hyphens only where the region writes them: "341-6858-7831" is no Italian mobile)."""
    return any(g == groups and (not hyphens or h) for g, h in _national_formats(digits))


def _valid_somewhere(digits: str) -> bool:
    return bool(_national_formats(digits))


@lru_cache(maxsize=8192)
def _national_formats(digits: str) -> tuple[tuple[tuple[int, ...], bool], ...]:
    """(digit grouping, uses hyphens) of the national format in every region of PHONE_REGIONS where
    ``digits`` is a valid number; parsed once per digit string (parsing is the costly part)."""
    import phonenumbers

    out = []
    for region in PHONE_REGIONS:
        try:
            num = phonenumbers.parse(digits, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(num):
            national = phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.NATIONAL)
            out.append((tuple(len(g) for g in re.findall(r"\d+", national)), "-" in national))
    return tuple(out)


# Cues of a bank identifier code in the product's languages ("BIC/SWIFT", "SWIFT-Code", "code banque",
# "código BIC", "bank identifier code"). A national bank code (Bankleitzahl, sort code) is digits, so
# the value's shape tells it apart.
SWIFT_CUE = (
    r"(?:bic|swift|bank\s+identifier(?:\s+code)?|bank\s+code|banking\s+code|bic[-/ ]?swift|swift[-/ ]?bic|"
    r"swift[-/ ]?code|bic[-/ ]?code|swift[-\s]+(?:address|adresse)|code\s+(?:bic|swift|banque)|"
    r"c[oó]digo\s+(?:bic|swift)|kod\s+(?:bic|swift))"
)
# 4 letters (bank), 2 letters (country, checked by python-stdnum's ISO 3166 list), 2 letters or digits
# (location), optionally 3 more (branch).
_BIC_SHAPE = r"[A-Z]{6}[A-Z0-9]{2}(?:[A-Z0-9]{3})?"
# The same code written in its groups ("DEUT DE FF XXX", "NWBK GB 2L"): taken after a cue or a
# payment word only.
_BIC_SPACED = r"[A-Z]{4} [A-Z]{2} [A-Z0-9]{2}(?: [A-Z0-9]{3})?"
# Bank context for a code written without its cue: an IBAN, an account or a bank named nearby.
_BANK_CONTEXT = re.compile(
    r"(?i:\b(?:iban|banks?|banque|banco|banca|bankverbindung|kontoinhaber|account|konto|compte|cuenta|rekening|"
    r"rachunek|remit|wire|transfer|überweisung|virement|transferencia|beneficiary)\b)|"
    r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){3,7}"
)

# Words of a payment a bank code follows directly, with an optional preposition ("remittance X",
# "wire to X", "paid via X").
_PAYMENT_WORD = (
    r"(?i:\b(?:remittance|remit|remitted|payment|payments|paid|pay|payout|wire|wired|transfer|transferred|"
    r"settlement|settle|refund|refunded|beneficiary|correspondent|überweisung|virement|bonifico|"
    r"transferencia|przelew|overboeking)(?:[ \t]+(?:to|via|through|at|with|into|from|bank|bic|code))?)"
)


class SwiftRecognizer(EntityRecognizer):
    """BIC/SWIFT codes, checked by python-stdnum (shape, ISO country code): after a BIC cue (a few
    filler words allowed), or, with a lower score, an upper-case code in a line that speaks of a bank
    or holds an IBAN, standing as a list item (not followed by a lower-case word). An 8/11-letter
    upper-case word is a BIC only with a valid country code and one of those two kinds of evidence:
    "DEUTDEFF" after "BIC", never "SOFTWARE" or "NOTIFIED"."""

    def __init__(self) -> None:
        from guardrails.pii.recognizers.identifiers import cue_window

        super().__init__(supported_entities=["SWIFT_CODE"], name="SwiftRecognizer", supported_language="en")
        # The other name of the code may stand in brackets after the cue ("BIC (SWIFT): ...").
        self.cued = re.compile(
            rf"(?i:\b{SWIFT_CUE})(?!\w)(?:[ \t]*\((?i:{SWIFT_CUE})\))?{cue_window()}({_BIC_SHAPE})\b"
        )
        # The same code typed in lower case ("bic: deutdeff"); judged by ``_lower_code_ok``.
        self.cued_any_case = re.compile(
            rf"(?i:\b{SWIFT_CUE})(?!\w)(?:[ \t]*\((?i:{SWIFT_CUE})\))?{cue_window()}((?i:{_BIC_SHAPE}))\b"
        )
        self.bare = re.compile(rf"(?<![\w\-/.]){_BIC_SHAPE}(?![\w\-/])")
        # Grouped codes are rare: find the groups first, then look for the cue before them.
        self.spaced = re.compile(rf"(?<![\w\-/.])({_BIC_SPACED})(?![\w\-/])")
        self.spaced_cue = re.compile(
            rf"(?:(?i:\b{SWIFT_CUE})(?!\w)(?:[ \t]*\((?i:{SWIFT_CUE})\))?{cue_window()}|{_PAYMENT_WORD}[ \t]*:?[ \t]*)$"
        )
        self.field_cue = re.compile(rf"(?i:\b{SWIFT_CUE})(?!\w)[ \t]*:[ \t]*$")
        # A code right after a payment word ("remittance INGBNL2A", "wire to DEUTDEFF").
        self.after_payment = re.compile(rf"{_PAYMENT_WORD}[ \t]*:?[ \t]*({_BIC_SHAPE})(?![\w\-/])")
        self.more = re.compile(rf"{VALUE_LIST_SEP}(?<=[\s=:>→])({_BIC_SHAPE})\b")
        self.row_label = re.compile(rf"[ \t|*]*(?i:{SWIFT_CUE})(?!\w)[ \t*]*[|;\t]")

    def load(self) -> None:
        pass

    def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[Any]:
        from stdnum import bic

        out = []
        for m in self.cued.finditer(text):
            end = m.end(1)
            if not bic.is_valid(m.group(1)):
                continue
            out.append(RecognizerResult("SWIFT_CODE", m.start(1), end, 0.8))
            # the codes listed or changed after it ("BIC X or Y", "SWIFT changed from X to Y")
            while (more := self.more.match(text, end)) and bic.is_valid(more.group(1)):
                out.append(RecognizerResult("SWIFT_CODE", more.start(1), more.end(1), 0.8))
                end = more.end(1)
        cued = {r.start for r in out}
        for m in self.cued_any_case.finditer(text):
            value = m.group(1)
            if m.start(1) in cued or value.isupper() or not bic.is_valid(value.upper()):
                continue
            if _lower_code_ok(text, m.start(), m.start(1), m.end(1)):
                out.append(RecognizerResult("SWIFT_CODE", m.start(1), m.end(1), 0.7))
                cued.add(m.start(1))
        for m in self.after_payment.finditer(text):
            value = m.group(1)
            if m.start(1) in cued or not bic.is_valid(value) or _shouted(text, m.start(1), m.end(1)):
                continue
            # An all-letter code may be an upper-case word ("payment REVERSED."): a digit in the
            # location or branch part, or a branch part, is what no word has.
            if any(c.isdigit() for c in value) or len(value) == 11:
                out.append(RecognizerResult("SWIFT_CODE", m.start(1), m.end(1), 0.6))
                cued.add(m.start(1))
        for m in self.spaced.finditer(text):
            before = text[max(0, m.start() - 80) : m.start()]
            if not self.spaced_cue.search(before):
                continue
            value = m.group(1).replace(" ", "")
            # letters only in groups may be an upper-case phrase ("SWIFT DATA IN TX"): a digit or a
            # branch part is what no phrase has; so has a field "BIC: DEUT DE FF" that the code closes
            labelled = bool(self.field_cue.search(before)) and bool(_ITEM_END.match(text, m.end(1)))
            if m.start(1) not in cued and bic.is_valid(value) and (len(value) == 11 or not value.isalpha() or labelled):
                out.append(RecognizerResult("SWIFT_CODE", m.start(1), m.end(1), 0.7))
                cued.add(m.start(1))
        for m in self.bare.finditer(text):
            if m.start() in cued or not bic.is_valid(m.group()):
                continue
            line_start = text.rfind("\n", 0, m.start()) + 1
            line_end = text.find("\n", m.end())
            line = text[line_start : len(text) if line_end < 0 else line_end]
            # An account and its bank's code written as a pair ("GB29NWBK60161331926819 / NWBKGB2L
            # set up on ..."), or a table row labelled with the code's name ("swift | NWBKGB2L |
            # DEUTDEF1XYZ"): the evidence stands beside the code, whatever else is around it.
            if _IBAN_TAIL.search(text, line_start, m.start()) or self.row_label.match(line):
                out.append(RecognizerResult("SWIFT_CODE", m.start(), m.end(), 0.6))
                continue
            if _shouted(text, m.start(), m.end()):
                continue
            if re.match(r"[ \t]+[a-z](?![a-z_]*[=:])", text[m.end() : m.end() + 30]):
                continue  # a word in running prose ("the bank NOTIFIED us"); a code ends a list item
            if _BANK_CONTEXT.search(line.replace(m.group(), " ")):
                out.append(RecognizerResult("SWIFT_CODE", m.start(), m.end(), 0.6))
        return out


# The end of a field's value: the line, the text or a list separator ends there.
_ITEM_END = re.compile(r"[ \t]*(?:$|\n|[,;)|]|\.(?:\s|$))")


def _lower_code_ok(text: str, cue_start: int, start: int, end: int) -> bool:
    """A code typed in lower case after its cue: it ends its item (no lower-case word follows, as in
    "swift code is required for ...") and it has a digit, a branch part, or a bank account beside it
    on its line (an IBAN, "account", "bank" outside the cue): eight letters after "BIC:" may be a word."""
    if re.match(r"[ \t]+[a-z]", text[end : end + 3]):
        return False
    value = text[start:end]
    if len(value) == 11 or any(c.isdigit() for c in value):
        return True
    line_start = text.rfind("\n", 0, cue_start) + 1
    line_end = text.find("\n", end)
    rest = text[line_start:cue_start] + " " + text[end : len(text) if line_end < 0 else line_end]
    return bool(_BANK_CONTEXT.search(rest))


_IBAN_TAIL = re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,4})?[ \t,;/]*$")


def _shouted(text: str, start: int, end: int) -> bool:
    """An upper-case word among other upper-case words ("BANK NOTIFIED CUSTOMER") is a heading or
    shouting, not a code."""
    # an IBAN right before the code is its account, not a shouted word ("GB29 NWBK 6016 ... NWBKGB2L")
    before = re.findall(r"[^\W\d_]+", _IBAN_TAIL.sub("", text[max(0, start - 50) : start])[-30:])
    after = re.findall(r"[^\W\d_]+", text[end : end + 30])
    near = before[-1:] + after[:1]
    # a code alone in brackets after a bank's name ("ING (INGBNL2A)") is no word among others
    if text[start - 1 : start] == "(" and text[end : end + 1] == ")":
        return False
    # A bank label beside the code ("code BNPAFRPP, IBAN ...") is no shouting.
    return any(len(w) >= 3 and w.isupper() and w.isalpha() and w.lower() not in _BANK_LABELS for w in near)


_BANK_LABELS = frozenset({"iban", "bic", "swift", "aba", "blz", "rib", "bsb", "ifsc", "sepa", "ach", "eur", "usd",
                          "gbp", "chf"})


def contact_recognizers() -> list[Any]:
    from presidio_analyzer.predefined_recognizers import IpRecognizer

    # Presidio's e-mail recognizer checks the TLD against the public suffix list, so addresses on
    # reserved or internal domains (name@corp.example) slip through; personal data is personal anyway.
    # The last label is a top-level domain's, letters (or an IDN's "xn--"): a package pinned to its
    # version ("lodash@4.17.21", "@azure/identity@4.2.0") is no address.
    any_domain_email = PatternRecognizer(
        supported_entity="EMAIL_ADDRESS",
        name="AnyDomainEmailRecognizer",
        patterns=[
            Pattern(
                "email any tld",
                r"(?<![\w.+'-])[A-Za-z0-9][A-Za-z0-9._%+'-]{0,63}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?"
                r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)*\.(?:[A-Za-z]{2,63}|xn--[A-Za-z0-9-]{1,59})"
                r"(?![A-Za-z0-9-])",
                0.9,
            ),
            # written against harvesting: "anna (at) example (dot) com", "j.doe[at]corp[.]de"
            Pattern(
                "email spelt out",
                r"(?<![\w.+'-])[A-Za-z0-9][A-Za-z0-9._%+'-]{0,63}[ \t]*(?:\(at\)|\[at\]|\{at\}|\(@\)|\[@\])[ \t]*"
                r"[A-Za-z0-9][A-Za-z0-9-]{0,62}(?:[ \t]*(?:\(dot\)|\[dot\]|\{dot\}|\[\.\]|\(\.\)|\.)[ \t]*"
                r"[A-Za-z0-9][A-Za-z0-9-]{0,62})+",
                0.85,
            ),
        ],
    )
    return [any_domain_email, IpRecognizer(), EvidencePhoneRecognizer(), SwiftRecognizer()]
