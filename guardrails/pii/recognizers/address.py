"""Postal addresses: street + postcode + city as one span (en, de, fr, nl, es, pl, in forms), and
street-only addresses. A postcode/city anchor is found first; the comma-separated segments before
it are taken while they look like address parts (house number, street word, unit, city)."""

from __future__ import annotations

import re
from typing import Any

from presidio_analyzer import EntityRecognizer, Pattern, PatternRecognizer, RecognizerResult

from guardrails.pii.lexicon import particles, words
from guardrails.pii.recognizers.identifiers import RECORD_WORDS, holds_digits

# Upper-case initial: a letter that is not a lower-case Latin letter (re has no \p{Lu}).
_UP = r"(?![a-zß-öø-ÿāăąćĉċčďđēĕėęěĝğġģĥħĩīĭįıĵķĺļľŀłńņňŋōŏőœŕŗřśŝşšţťŧũūŭůűųŵŷźżž])[^\W\d_]"
_CAP = _UP + r"[\w'’.\-]*"
# Lower-case words inside a city's name ("Bruck an der Leitha", "Gerasdorf bei Wien", "Stratford upon Avon").
_CITY_PARTICLE = r"(?:de|la|le|sur|am|an|der|bei|im|da|do|dos|das|del|di|upon)"
_CITY = rf"{_CAP}(?:[ \t]+(?:{_CAP}|{_CITY_PARTICLE}|on))*?"
# Postcode + city forms, one line each; the city ends at punctuation, a table cell's bar or quote, the line end
# or a lower-case word that is no particle of a city's name.
_CITY_END = rf'(?=[ \t]*(?:[,.;()|"\n]|$)|[ \t]+(?!{_CITY_PARTICLE}\b)[a-z])'
# The US, UK, Canadian and Australian forms hold the postcode (and a state's or province's code) alone;
# the city stands before it in the same segment ("221B Baker Street, London NW1 6XE", "12 Main St,
# Springfield IL 62704").
_US = r"\b[A-Z]{2,4}[ \t]+\d{5}(?:-\d{4})?\b"  # US: VA 04307; MX: YUC 04974
_UK = r"\b[A-Z]{1,2}\d[A-Z\d]?[ \t]\d[A-Z]{2}\b"  # UK: B7E 9EP
# CA: ON M5V 3L9 (a province's code, then letter-digit-letter digit-letter-digit)
_CA = (
    r"\b(?:AB|BC|MB|NB|NL|NS|NT|NU|ON|PE|QC|SK|YT),?[ \t]+"
    r"[ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z][ \t]?\d[ABCEGHJ-NPRSTV-Z]\d\b"
)
_AU = r"\b(?:NSW|VIC|QLD|WA|SA|TAS|ACT|NT),?[ \t]+\d{4}\b"  # AU: VIC 3000, NSW, 2000
_ANCHORS = [
    # DE/FR/ES/IT: 10115 Berlin, 20121 Milano (MI)
    rf"(?<![\w\-/.])\d{{5}}[ \t]+{_CITY}{_CITY_END}(?P<province>[ \t]*\([A-Z]{{2}}\))?",
    rf"(?<![\w\-/.])\d{{2}}-\d{{3}}[ \t]+{_CITY}{_CITY_END}",  # PL: 90-457 Żory
    r"(?<![\w\-/.])\d{4}[ \t]?[A-Z]{2}\b(?:,?[ \t]+" + _CITY + _CITY_END + ")?",  # NL: 9000 AY City
    _US,
    _UK,
    rf"{_CITY}(?:,?[ \t]+(?:-[ \t]*)?|-)\d{{6}}\b",  # IN: Lucknow 806360, Mathura-508227
    rf"{_CITY},[ \t]*\d{{5}}\b(?![ \t]+{_UP})",  # City, 43568 (not "Name, 53590 Elm Road")
    _CA,
    _AU,
]
# Four-digit postcodes (AT, CH, BE, DK, NO ...): "1010 Wien" alone reads like "2024 Berlin" or "1000
# Users", so these count only after a street segment ("Ringstraße 5, 1010 Wien").
# The Portuguese "1100-053 Lisboa" reads like a ticket or release id with a title ("2024-117
# Migration"), so it too counts only after a street segment.
# A comma between postcode and city ("Via Roma 7, 20121, Milano") reads like a list of a number and a
# name, so it too needs the street; the province after an Italian city ("Milano (MI)") belongs to it.
_STREET_ONLY_ANCHORS = [
    re.compile(rf"(?<![\w\-/.,])[1-9]\d{{3}}[ \t]+{_CITY}{_CITY_END}"),
    re.compile(rf"(?<![\w\-/.,])\d{{4}}-\d{{3}}[ \t]+{_CITY}{_CITY_END}"),
    re.compile(rf"(?<![\w\-/.,])\d{{4,5}},[ \t]*{_CITY}{_CITY_END}(?P<province>[ \t]*\([A-Z]{{2}}\))?"),
    # CZ/SK/SE/GR: "159 08 Boží Dar", "114 55 Stockholm"
    re.compile(rf"(?<![\w\-/.,])\d{{3}}[ \t]\d{{2}}[ \t]+{_CITY}{_CITY_END}"),
    # NZ: the city before its four-digit postcode ("20 Queen Street, Auckland 1010")
    re.compile(rf"(?<=,[ \t]){_CITY}[ \t]+\d{{4}}(?![\w\-/]|[.,]\d)"),
]
# A US military address: a unit and box or a ship, then APO/FPO/DPO and the armed forces' "state"
# ("PSC 4109, Box 4668, APO AA 17580", "USS Munoz, FPO AE 36466").
MILITARY_ADDRESS = re.compile(
    rf"\b(?:(?:PSC|CMR|Unit)[ \t]+\d{{1,5}},?[ \t]+Box[ \t]+\d{{1,5}}|US[NC]?S[ \t]+{_CAP}(?:[ \t]+{_CAP})?),?"
    rf"[ \t]+(?:APO|FPO|DPO)[ \t]+A[AEP][ \t]+\d{{5}}(?:-\d{{4}})?\b"
)
# Each form is searched on its own: "Lilas, 75011 Paris" holds an ES-order and a FR-order anchor.
_ANCHOR_RES = [re.compile(a) for a in _ANCHORS]
_CITY_BEFORE = {re.compile(a) for a in (_US, _UK, _CA, _AU)}  # (patterns compare by their text)
_CITY_SEGMENT = re.compile(rf"[ \t]*({_CITY})[ \t]+")


def _street_words() -> frozenset[str]:
    return words("street_words")


def _token_kind(tok: str) -> str:
    """digit | street | cap | particle | other"""
    c = tok.strip(".,;:()")
    low = c.lower().rstrip(".")
    if not c:
        return "other"
    if any(ch.isdigit() for ch in c) and len(c) <= 8:
        return "digit"
    if low in _street_words() or low.replace(".", "") in _street_words():
        return "street"
    if low in particles() or low in ("de", "del", "la", "le", "les", "du", "des", "van", "der", "y", "d'", "do",
                                     "della", "delle", "dei", "degli", "dello"):
        return "particle"
    if c[0].isupper():  # "New", "Port", "Saint": capitalised words of place names
        return "cap"
    return "other"


def _ends_before_address(tok: str) -> bool:
    return tok.endswith(":") or (tok.endswith(".") and any(ch.isdigit() for ch in tok))


def _segment_suffix(seg: str) -> tuple[int, set[str]] | None:
    """Start (in ``seg``) of the longest address-like suffix of a segment, and its token kinds."""
    # a CSV field's opening quote is no part of the address ('"Gotthardallee 79, 05735 Ansbach"')
    toks = [(m.start(), m.group()) for m in re.finditer(r"[^\s\"“„«]\S*", seg)]
    if not toks:
        return None
    kinds = [_token_kind(t) for _, t in toks]
    i = len(toks)
    # A label ("Address:") or a sentence closed after a number ("no. K1234567.") ends the address's
    # start: neither is part of it.
    while i > 0 and kinds[i - 1] != "other" and len(toks) - i < 7 and not _ends_before_address(toks[i - 1][1]):
        i -= 1
    while i < len(toks) and kinds[i] == "particle":
        i += 1
    if i >= len(toks):
        return None
    return toks[i][0], set(kinds[i:])


def _extend_left(text: str, start: int) -> int:
    """Start of the address whose postcode/city anchor begins at ``start``.

    Comma-separated segments before the anchor are taken back to the first one holding a number
    (house number, unit: addresses start there); segments without a number must hold a street word,
    except one (the city or district). A segment only partly address-like ends the walk.
    """
    line_start = text.rfind("\n", 0, start) + 1
    pos = start
    plain_left = 1  # segments without number or street word still allowed (a city, a district)
    for _ in range(4):
        before = _segment_before(text, line_start, pos)
        if before is None:
            return pos
        seg_start, seg = before
        if _is_floor_or_door(seg):
            # a floor or door between street and postcode ("2. OG", "bus 3", "2º izq.", "3º B"): the
            # street and its number stand in the segment before it
            street = _street_before(text, line_start, seg_start)
            if street is not None:
                return street
        if _HOUSE_NUMBER_ONLY.fullmatch(seg):
            # the house number after the street's name ("Via Roma, 7", "Rua Augusta, 24", "S/N")
            named = _street_before(text, line_start, seg_start, numbered=False)
            if named is not None:
                return named
        got = _segment_suffix(seg)
        if got is None:
            return pos
        rel, kinds = got
        whole = rel <= len(seg) - len(seg.lstrip())
        if "digit" in kinds:
            if whole:
                # a unit and a building's name before the street ("Flat 3, Oak House, 12 High St")
                building = _segment_before(text, line_start, seg_start)
                if building is not None and _BUILDING.fullmatch(building[1]):
                    unit = _unit_before(text, line_start, building[0])
                    if unit is not None:
                        return unit
            return seg_start + rel
        if "street" not in kinds:
            if not whole:
                return pos
            if plain_left == 0:
                # a building's name after a unit ("Flat 23, Beverley Hills, Exeter, EX1 1AA")
                unit = _unit_before(text, line_start, seg_start) if _BUILDING.fullmatch(seg) else None
                return unit if unit is not None else pos
            plain_left -= 1
        pos = seg_start + rel
        if not whole:
            return pos
    return pos


# A building's name: up to three capitalised words, no number ("Oak House", "Beverley Hills").
_BUILDING = re.compile(rf"[ \t]*{_CAP}(?:[ \t]+{_CAP}){{0,2}}[ \t]*")
_UNIT_AT_END = re.compile(r"(?<![\w.])(?i:flat|apartment|apt\.?|suite|unit|studio)[ \t]*\d{1,5}[A-Za-z]?[ \t]*$")


def _unit_before(text: str, line_start: int, seg_start: int) -> int | None:
    """Start of a flat, suite or unit with its number ("Flat 23") closing the segment before the
    comma before ``seg_start``; None when there is none."""
    before = _segment_before(text, line_start, seg_start)
    if before is None:
        return None
    m = _UNIT_AT_END.search(before[1])
    return before[0] + m.start() if m else None


def _is_floor_or_door(seg: str) -> bool:
    """A short segment with a number and no street word: a floor, door or unit written after the
    street ("2. OG", "bus 3", "3º B", "2º izq.", "Apt 4")."""
    toks = seg.split()
    return (
        0 < len(toks) <= 2
        and len(seg.strip()) <= 10
        and any(ch.isdigit() for ch in seg)
        and not any(_token_kind(t) == "street" and not t[:1].isdigit() for t in toks[1:])
    )


# "S/N": no number, in Portuguese and Spanish addresses
_NO_NUMBER = r"(?<!\w)[Ss]/[Nn](?!\w)"
# "7", "n.º 24", or "S/N"
_HOUSE_NUMBER_ONLY = re.compile(rf"[ \t]*(?:(?:n\.?[ºo°]?[ \t]*)?\d{{1,5}}[A-Za-z]?|{_NO_NUMBER})[ \t]*")


def _segment_before(text: str, line_start: int, pos: int) -> tuple[int, str] | None:
    """The comma-separated segment of the line that ends with the comma before ``pos`` (spaces
    aside): its start and text; None when no comma comes right before ``pos``."""
    head = text[line_start:pos].rstrip(" \t")
    if not head.endswith(","):
        return None
    comma = line_start + len(head) - 1
    seg_start = text.rfind(",", line_start, comma) + 1
    return seg_start, text[seg_start:comma]


def _street_before(text: str, line_start: int, seg_start: int, *, numbered: bool = True) -> int | None:
    """Start of the street in the segment that ends with the comma before ``seg_start`` (after any
    label); None when there is none. ``numbered``: a street word or street-name ending and a house
    number ("Calle Mayor 10, 3º B"); otherwise a street word and no number ("Via Roma, 7")."""
    before = _segment_before(text, line_start, seg_start)
    if before is None:
        return None
    prev_start, prev = before
    got = _segment_suffix(prev)
    if got is None:
        return None
    rel, kinds = got
    found = _has_street_segment(prev[rel:]) if numbered else "street" in kinds and "digit" not in kinds
    return prev_start + rel if found else None


def _has_street_segment(head: str) -> bool:
    """The address part before a postcode holds a house number and a street word or street-name
    ending ("Ringstraße 5", "12 rue Haute", "Kerkstraat 12")."""
    if not any(ch.isdigit() for ch in head) and not re.search(_NO_NUMBER, head):
        return False
    return any(_token_kind(t) == "street" for t in head.split()) or bool(
        re.search(rf"(?i:{_EURO_SUFFIX}(?!\w)|\b{_EURO_PREFIX}(?!\w))", head)
    )


# A line of an address block above its postcode: a few capitalised words, numbers and particles, no
# label, address or sentence ("0 Kayleigh Hills", "Kikisteeg 1", "Pathak Nagar", "39").
_BLOCK_LINE = re.compile(r"[ \t>]*([^\n:;@?!]{1,45}?)[ \t,]*")
_RECORD_WORD = re.compile(rf"(?i:\b{RECORD_WORDS}\b)")
_HOUSE_NUMBER = re.compile(r"(?:^|[ \t])\d{1,5}[A-Za-z]?(?:[/-]\d{1,5})?(?:$|[ \t,])")


def _block_above(text: str, start: int) -> int:
    """Start of an address block written over several lines whose postcode opens the line at
    ``start`` ("0 Kayleigh Hills\nJacksonberg\nM2U 5ZQ", "Kikisteeg 1\n4655 YG\nKûbaard"): up to three
    lines above, back to the one holding the house number; ``start`` itself when the lines above are
    no such block (a name line, a label, a sentence, or no house number)."""
    line_start = text.rfind("\n", 0, start) + 1
    if text[line_start:start].strip(" \t>"):
        return start
    begin, pos = start, line_start
    for _ in range(3):
        if pos <= 0:
            break
        prev = text.rfind("\n", 0, pos - 1) + 1
        m = _BLOCK_LINE.fullmatch(text, prev, pos - 1)
        if not m:
            break
        toks = m.group(1).split()
        if not toks or len(toks) > 5 or not all(t[:1].isupper() or t[:1].isdigit() or _token_kind(t) != "other"
                                                for t in toks):  # fmt: skip
            break
        if _RECORD_WORD.search(m.group(1)):
            break  # "Release 12", "Invoice 4711": a record's number above a code, not a house
        if _HOUSE_NUMBER.search(m.group(1)):
            begin = m.start(1)
            break
        pos = prev
    return begin


def _city_and_street_before(text: str, start: int) -> int:
    """Start of "street, City POSTCODE" for a US/UK postcode at ``start``: the city's words between the
    last comma and the postcode, then the street segments before them; ``start`` itself when no street
    segment precedes the city (a city and a postcode alone stay the postcode)."""
    line_start = text.rfind("\n", 0, start) + 1
    comma = text.rfind(",", line_start, start)
    if comma < 0:
        return start
    city = _CITY_SEGMENT.fullmatch(text, comma + 1, start)
    if not city or len(city.group(1).split()) > 3:
        return start
    begin = _extend_left(text, city.start(1))
    # a house number and a street word before the city ("Version 4.2, Build SW1 1AA" has none)
    return begin if begin < city.start(1) and _has_street_segment(text[begin : city.start(1)]) else start


class PostalAddressRecognizer(EntityRecognizer):
    """Whole postal addresses anchored on a postcode/city; without a street, the anchor alone."""

    def __init__(self) -> None:
        super().__init__(supported_entities=["LOCATION"], name="PostalAddressRecognizer", supported_language="en")

    def load(self) -> None:
        pass

    def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[Any]:
        # a UK postcode holds two digits ("Leeds LS1 4AP")
        if not holds_digits(text, 2):
            return []
        out = []
        found = [(m, False) for rx in _ANCHOR_RES for m in rx.finditer(text)]
        found += [(m, True) for rx in _STREET_ONLY_ANCHORS for m in rx.finditer(text)]
        for m, needs_street in found:
            # (an Italian province's code is no street word: "(AV)" is not "av." for avenue)
            province = m.re.groupindex.get("province") and m.group("province")
            city = text[m.start() : m.start("province")] if province else m.group()
            if any(_token_kind(t) == "street" for t in city.split()[1:]):
                continue  # "53590 Larson Viaduct Apt": a house number and street, not postcode + city
            begin = _extend_left(text, m.start())
            if begin == m.start() and m.re in _CITY_BEFORE:
                begin = _city_and_street_before(text, m.start())
            if needs_street and not _has_street_segment(text[begin : m.start()]):
                continue
            if begin == m.start() and not needs_street:
                begin = _block_above(text, m.start())
            end = m.end()
            tail = re.match(rf",[ \t]*({_CITY})(?=[ \t]*(?:[.;)|\n]|$))", text[end:])
            if tail and len(tail.group(1).split()) <= 3:
                end += tail.end()
            while end > begin and text[end - 1] in ".,":
                end -= 1
            score = 0.75 if begin < m.start() else 0.5
            out.append(RecognizerResult("LOCATION", begin, end, score))
        out += [RecognizerResult("LOCATION", m.start(), m.end(), 0.85) for m in MILITARY_ADDRESS.finditer(text)]
        return out


_STREET_SUFFIX = (
    r"(?:street|st|road|rd|avenue|ave|lane|ln|boulevard|blvd|drive|dr|terrace|way|court|ct|place|pl|"
    r"square|sq|gateway|highway|hwy|parkway|pkwy|crescent|close|row|alley|trail|circle|cir|plaza|"
    r"walk|mews|grove|gardens|hill|park|green|view|port|loop|pike|route|rte)\.?"
)
_EURO_SUFFIX = (
    r"(?:gade|vej|katu|tie|kuja|polku|gatan|vägen|väg|gränd|straße|strasse|str\.|weg|laan|straat|plein|steeg|pad|hof|lei|baan|"
    r"gasse|platz|utca|tér|út|ulica|veien|vegen|gata|stræde|allee|allé|alle|singel|gracht|kade|dijk|ring|damm|"
    r"boulevard|dreef|steenweg|kaai|markt)"
)
_EURO_WORD = r"tér|u\.|utca|út|körút|krt\.|ulica|ul\.|straße|strasse|weg|gade|vej|allé|plads|torv|gata"
_EURO_PREFIX = (
    # "avenue" written first, in lower case, as French streets are ("8 avenue Jean Jaurès")
    r"(?:rue|via|viale|calle|avenida|avda\.?|avenue|rua|piazza|plaza|chemin|carrer|corso|largo|ul\.|al\.|aleja|"
    r"vicolo|piazzale|strada|contrada|lungomare|traversa|salita|"
    r"praça|alameda|travessa|estrada|"
    r"boulevard|impasse|allée|quai|paseo|camino|ronda)"
)
_W = r"[^\W\d_][\w'’.\-]*"
# A street's name holds no digits: after "via" or "plaza", a code ("via INGBNL2A", "via SAP2") is none.
_NAME_W = r"[^\W\d_][^\W\d_'’.\-]*(?:['’.\-][^\W\d_]*)*"
_W_NO_STOP = r"[^\W\d_](?:[\w'’.\-]*[\w'’\-])?"
_NUM = r"\d{1,6}[A-Za-z]?"
# A number is no date's or time's first part: "2024" in "2024-05-01", "10" in "10:30".
_NO_DATE_AFTER = r"(?![\-/.]\d{1,2}[\-/.]\d|:\d\d)"
# A capitalised word of a city's name, checked case-sensitively inside case-insensitive patterns.
_CITY_WORD = rf"(?-i:{_UP})[\w'’\-]*"


class StreetAddressRecognizer(PatternRecognizer):
    """House-number street addresses (US and European orders), units and PO boxes."""

    def __init__(self) -> None:
        patterns = [
            Pattern("number street suffix",
                    rf"\b{_NUM}(?:\s+\d{{1,4}})?\s+(?:{_W}\s+){{0,3}}{_STREET_SUFFIX}(?!\w)", 0.55),
            # (the lookahead only skips, at once, the words no number follows: the word and its
            # suffix are all of these characters, and trying every suffix at every ending of every
            # word was this recognizer's largest cost)
            Pattern("euro street number",
                    rf"(?:\b{_NUM}\s+)?\b(?=[\w'’.\-]*\s+\d){_W}{_EURO_SUFFIX}\s+{_NUM}\b", 0.55),
            Pattern("prefix street",
                    rf"(?i:\b(?:{_NUM},?\s+)?{_EURO_PREFIX})\s+(?:{_NAME_W}(?![\w'’.\-])\s*){{1,4}}"
                    rf"(?:\s+{_NUM}\b)?", 0.5),
            # "via Garibaldi 7, Milano", "calle Mayor 12, Sevilla": a prefix street with its house number
            # and the city after a comma. The prefix may be written in lower case (Italian and Spanish
            # do), so the number and the city are the evidence, not the prefix word. Presidio matches
            # case-insensitively: capitals are checked case-sensitively; an acronym ("via SAP 4") is no
            # street name.
            Pattern("prefix street number city",
                    rf"(?i:\b{_EURO_PREFIX})\s+(?-i:(?![A-Z]{{2,}}\b)){_NAME_W}(?:[ \t]+{_NAME_W}){{0,3}}[ \t]+{_NUM}\b"
                    rf",[ \t]*{_CITY_WORD}(?:[ \t]+{_CITY_WORD}){{0,2}}(?=[ \t]*(?:[,.;)|\n]|$))", 0.55),
            # Words without a closing full stop: "1070 Wien. In 2024" spans two sentences. The closing
            # number is no date's or time's first part ("12 Main Street on 2024-05-01", "at 10:30").
            Pattern("number words number",
                    rf"(?<![\w-])\d{{1,6}}\s+(?:{_W_NO_STOP}\s+){{1,3}}\d{{1,4}}[A-Za-z]?\b{_NO_DATE_AFTER}", 0.3),
            Pattern("street word number", rf"\b(?:{_NUM}\s+)?(?:{_W}\s+){{1,3}}(?:{_EURO_WORD})\s+{_NUM}\b", 0.55),
            Pattern("unit",
                    r"(?i:\b(?:apt|apartment|suite|ste|unit|flat)\.?\s*#?\s*\d{1,5}[A-Za-z]?\b)(?![.,]\d)", 0.55),
            Pattern("po box",
                    r"(?i:\b(?:p\.?\s?o\.?\s*box|psc\s+\d{1,5},?\s*box|unit\s+\d{1,5}\s+box)\s*\d{1,6})", 0.6),
            Pattern("military", r"\b(?:APO|FPO|DPO)\s+A[AEP]\s+\d{5}\b", 0.6),
        ]  # fmt: skip
        super().__init__(
            supported_entity="LOCATION",
            name="StreetAddressRecognizer",
            patterns=patterns,
            context=["address", "street", "lives", "living", "located", "shipping", "delivery", "billing",
                     "mailing", "zip", "postcode", "postal", "residing", "resides"],  # fmt: skip
        )


class LocationCueRecognizer(EntityRecognizer):
    """Place names after residence/travel cues ("grew up in Sund", "City: ...")."""

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
        from guardrails.pii.names import has_domain_word, name_tokens

        out = []
        for m in self.CUE.finditer(text):
            span = name_tokens(text, m.end(), allow_lower=False, max_tokens=4)
            if span and not has_domain_word(text[span[0] : span[1]]):
                out.append(RecognizerResult("LOCATION", span[0], span[1], 0.5))
        return out


def address_recognizers() -> list[Any]:
    return [PostalAddressRecognizer(), StreetAddressRecognizer(), LocationCueRecognizer()]
