"""Given names of many countries and how common each is, from gender-guesser's name dictionary
(Jörg Michael's ``nam_dict.txt``: about 48,000 given names of 54 countries, each with a frequency
class per country). A general list: it knows no corpus, and a name's class is what separates a
common given name ("Gregory") from a word that is a rare one somewhere ("Red", "Dell").

Beside it, the general vocabularies that say a word is no given name where it stands: English words
(WordNet's lemmas in the spaCy model), months and weekdays, countries (Babel's CLDR data) and the stop
words of the languages served."""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

# Columns 30 on hold one frequency class per country: " " absent, "1".."9", "A".."D" (10..13).
_FIRST_COUNTRY_COLUMN = 30
_WORD_PART = re.compile(r"[^\W\d_]+")


def _class(ch: str) -> int:
    if ch.isdigit():
        return int(ch)
    if "A" <= ch <= "D":
        return ord(ch) - 55
    return 0


@cache
def given_name_classes() -> dict[str, int]:
    """Lower-case given name -> its highest frequency class in any country (1 rare ... 13 very common)."""
    text = resources.files("gender_guesser").joinpath("data", "nam_dict.txt").read_text(encoding="utf-8")
    out: dict[str, int] = {}
    for line in text.splitlines():
        if not line or line[0] in "#=" or len(line) <= _FIRST_COUNTRY_COLUMN:
            continue
        fields = line[:_FIRST_COUNTRY_COLUMN].split()
        if len(fields) < 2:
            continue
        value = max((_class(c) for c in line[_FIRST_COUNTRY_COLUMN:]), default=0)
        # "+" joins the parts of a compound name, written with a hyphen, a space or nothing
        for name in {fields[1].replace("+", sep) for sep in ("-", " ", "")}:
            key = name.lower()
            out[key] = max(out.get(key, 0), value)
    return out


def given_name_class(word: str) -> int:
    """How common ``word`` is as a given name (0: not one). A compound ("Heinz-Otto") counts as its
    least common part when the dictionary lacks it whole."""
    names = given_name_classes()
    key = word.lower()
    if key in names:
        return names[key]
    parts = _WORD_PART.findall(key)
    if len(parts) < 2 or "-" not in key:
        return 0
    return min(names.get(p, 0) for p in parts)


@cache
def _english_index() -> dict[str, frozenset[str]]:
    """WordNet's English lemmas by part of speech, from the spaCy model's lemmatizer tables."""
    from spacy.lookups import Lookups

    from guardrails.model_integrity import spacy_model_folder

    lookups = Lookups().from_disk(next(spacy_model_folder().rglob("lemmatizer/lookups")))
    index = lookups.get_table("lemma_index")
    return {pos: frozenset(index.get(pos, ())) for pos in ("noun", "verb", "adj", "adv")}


@cache
def english_non_nouns() -> frozenset[str]:
    """English verbs, adjectives and adverbs. A given name that is also one of these ("Will", "Grant",
    "Frank", "Summer", "Edit") says little on its own; nouns are left out, as WordNet lists many
    people's names among them ("gregory")."""
    index = _english_index()
    return index["verb"] | index["adj"] | index["adv"]


@cache
def _english_words() -> frozenset[str]:
    return frozenset().union(*_english_index().values())


def is_english_word(word: str) -> bool:
    """``word`` (any case, a plural too) is an English lemma of WordNet: a common word ("Bridges",
    "Compiler", "Policies") or a famous person's or place's name ("Stanley", "Artois"), not a rare surname."""
    low = word.lower()
    lemmas = _english_words()
    return low in lemmas or (low.endswith("s") and (low[:-1] in lemmas or (low.endswith("es") and low[:-2] in lemmas)
                                                    or (low.endswith("ies") and low[:-3] + "y" in lemmas)))


# Languages whose month and weekday names are known (Babel's CLDR data): those the PII rules serve.
_CALENDAR_LOCALES = ("en", "de", "fr", "nl", "es", "it", "pt", "pl", "sv", "da", "nb", "fi", "cs", "sk", "ro",
                     "hu", "tr", "id", "vi")  # fmt: skip


@cache
def calendar_words() -> frozenset[str]:
    """Month and weekday names, wide and abbreviated, in the languages served ("Mai", "Juni", "lundi"):
    several are given names too ("Mai", "April"), and after a date word they are no person."""
    from babel.dates import get_day_names, get_month_names

    out: set[str] = set()
    for locale in _CALENDAR_LOCALES:
        for width in ("wide", "abbreviated"):
            for context in ("format", "stand-alone"):
                for names in (get_month_names(width, context, locale), get_day_names(width, context, locale)):
                    out.update(v.lower().rstrip(".") for v in names.values())
    return frozenset(out)


@cache
def country_names() -> frozenset[str]:
    """Countries and regions by their English names (Babel's CLDR data), lower case, each part of a
    compound name too ("Hong Kong" of "Hong Kong SAR China", "Trinidad" of "Trinidad & Tobago"):
    several are given names ("Georgia", "Jordan", "Hong"), and beside a place they name the place."""
    from babel import Locale

    out: set[str] = set()
    for name in Locale.parse("en").territories.values():
        low = name.lower()
        out.add(low)
        out.update(part.strip() for part in re.split(r"\s+sar\s+|\s*[(&,]\s*|\)", low) if part.strip())
    return frozenset(out)


_STOP_WORD_LANGUAGES = ("en", "de", "fr", "nl", "es", "it", "pt", "pl", "sv", "da", "nb", "fi", "cs", "ro")


@cache
def stop_words() -> frozenset[str]:
    """Function words of the languages served (spaCy's lists): "than", "these", "alle", "ella" are
    given names in the dictionary too, and in lower-case prose they are the function words."""
    import importlib

    out: set[str] = set()
    for lang in _STOP_WORD_LANGUAGES:
        out.update(importlib.import_module(f"spacy.lang.{lang}.stop_words").STOP_WORDS)
    return frozenset(w.lower() for w in out)


def is_inflected_english(word: str) -> bool:
    """``word`` is an English verb's "-ing" or "-ed" form ("having", "planned", "used")."""
    low = word.lower()
    for suffix in ("ing", "ed"):
        if low.endswith(suffix) and len(low) > len(suffix) + 2:
            stem = low[: -len(suffix)]
            forms = {stem, stem + "e", stem[:-1] if len(stem) > 2 and stem[-1] == stem[-2] else stem}
            if any(is_english_word(f) for f in forms):
                return True
    return False


# A single word is a common given name from this frequency class up (gender-guesser's 1..13). Chosen on
# the dev halves (business families, presidio_synth): for a word the model reads as a person, without
# the rule / 7 / 5 / 3, dev2 recall .9412 / .9535 / .9562 / .9590, dev3 .9519 / .9548 / .9548 / .9548,
# presidio_synth .7931 / .8011 / .8131 / .8131, hard negatives flagged 3 / 4 / 4 / 11 (5 the most recall
# for one more: a firm named "Denis"); no new span on the docs guides or demo corpus.
SINGLE_GIVEN_NAME_CLASS = 5


def common_given_name(word: str) -> bool:
    """A common given name that is no English verb, adjective or adverb ("Will", "Frank") and no
    month, weekday ("Mai", "April") or country ("Georgia")."""
    low = word.lower()
    return (given_name_class(word) >= SINGLE_GIVEN_NAME_CLASS and low not in english_non_nouns()
            and low not in calendar_words() and low not in country_names())  # fmt: skip


def load() -> None:
    """Read every word list now: a serving process pays it at start-up, not in its first request
    (the stop words of the supported languages alone take about two CPU seconds)."""
    for f in (given_name_classes, _english_words, english_non_nouns, calendar_words, country_names, stop_words):
        f()
