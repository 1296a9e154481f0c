"""Names known by their given name, with no cue around them: two or three capitalised words whose
first is a given name of some country ("Gregory Delgado", "Morena Almagro", "Olivier-Paul Garnier"),
or one common given name inside a sentence ("alert tuning (Rajesh)", "held with Valeria"). The model
misses many such names in running text, more so outside English.

A weak cue (``WEAK_CUE_RECOGNIZERS``): the text's common words and the corpus's headings still veto
it, and a name inside an organisation or place entity the model found is left alone.
"""

from __future__ import annotations

import re
from typing import Any

from presidio_analyzer import EntityRecognizer, RecognizerResult

from guardrails.pii.given_names import (
    common_given_name,
    country_names,
    english_non_nouns,
    given_name_class,
    is_english_word,
    stop_words,
)
from guardrails.pii.lexicon import particles, words
from guardrails.pii.names import core, has_domain_word, in_bare_name_list, is_org_token, looks_like_name
from guardrails.pii.recognizers.person import (
    _NAME_PHRASE,
    _PLACE_BEFORE,
    CONTEXT_SCORE,
    _non_person_entities,
    inside_non_person,
    phrase_core,
)

# Lowest frequency class (gender-guesser's 1..13) a given name needs to mark a phrase as a name. Chosen on
# the dev halves (business families, presidio_synth): 1 found the most names (dev3 recall .9461 at 3,
# .9490 at 2, .9519 at 1) with no new span on the docs guides or the demo corpus; the English-word tests
# below keep rare given names that are also words ("Red", "Storm") from opening a product's name.
MIN_GIVEN_NAME_CLASS = 1
# A house number before the phrase makes it a street ("616 Duncan Skyway").
_NUMBER_BEFORE = re.compile(r"\d[\w/-]*[ \t]+$")
# A noun after the phrase that makes it the name of a firm's site or unit ("the Georgia Dalrymple
# plant", "Sydney Parramatta branch"), besides the organisation and domain words.
_SITE_NOUNS = frozenset(
    {
        "depot",
        "plant",
        "site",
        "branch",
        "campus",
        "clinic",
        "facility",
        "warehouse",
        "mill",
        "yard",
        "terminal",
        "port",
        "station",
        "centre",
        "center",
        "hall",
        "building",
        "works",
        "factory",
        "lab",
        "laboratory",
        "hospital",
        "school",
        "college",
        "university",
    }
)
_COUNTRY_AFTER = re.compile(r",[ \t]*([A-Z][\w'’-]*(?:[ \t]+[A-Z][\w'’-]*)?)")
_WORD_BEFORE = re.compile(r"(\S+)[ \t]+$")
_NEXT_WORD = re.compile(r"[ \t]+([^\W\d_][\w'’-]*)")
_PHRASE = re.compile(rf"(?<![\w'’.@/-])(?=({_NAME_PHRASE})(?![\w'’@/-]|\.\w))")


_CAPITALISED_BEFORE = re.compile(r"(?<![\w'’-])([A-Z][\w'’-]*)[ \t]+$")
_CLAUSE_START = re.compile(r"(?:^|[\n.!?:;,(\[\"“|>*•-])[ \t]*$")


def _inside_capitalised_run(text: str, a: int) -> bool:
    """A capitalised word stands right before the phrase, itself inside the sentence: the phrase ends a
    longer title-case run ("Galaxy Trade Marks Telnet", "Dallas Austin Houston San Antonio"), a name of
    something or a list of places. A word opening its line or sentence ("Contact", "Dear") is left to
    the other filters."""
    m = _CAPITALISED_BEFORE.search(text, max(0, a - 40), a)
    if not m:
        return False
    return not _CLAUSE_START.search(text, max(0, m.start() - 3), m.start()) and m.start() > 0


def _street_before(text: str, a: int) -> bool:
    """A street word before the phrase, particles skipped: a street named after a person ("avenue
    Suzanne Leclercq", "rue de Marie Curie", "Calle Juan Pérez")."""
    while m := _WORD_BEFORE.search(text, max(0, a - 30), a):
        word = core(m.group(1)).lower()
        if word not in particles():
            return word in words("street_words") or word.rstrip(".") in words("street_words")
        a = m.start()
    return False


def _names_a_thing(word: str) -> bool:
    low = word.lower()
    return low in _SITE_NOUNS or is_org_token(word) or has_domain_word(word)


class GivenNameRecognizer(EntityRecognizer):
    """A capitalised phrase opened by a common given name is a person's full name."""

    def __init__(self, min_class: int = MIN_GIVEN_NAME_CLASS) -> None:
        super().__init__(supported_entities=["PERSON"], name="GivenNameRecognizer", supported_language="en")
        self.min_class = min_class

    def load(self) -> None:
        pass

    def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[Any]:
        out: list[Any] = []
        orgs = _non_person_entities(nlp_artifacts)
        taken_until = -1
        for m in _PHRASE.finditer(text):
            if m.start(1) < taken_until or not text[m.start(1)].isupper():
                continue
            a, b = phrase_core(text, m.start(1), m.end(1))
            seg = text[a:b]
            toks = [re.sub(r"['’]s$", "", core(t).lower()) for t in seg.split()]
            if len(toks) < 2 or given_name_class(toks[0]) < self.min_class or toks[0] in english_non_nouns():
                continue
            if any(is_english_word(t) for t in toks[1:] if t not in particles()) or " ".join(toks) in country_names():
                continue
            if _inside_capitalised_run(text, a):
                continue
            if any(t in words("street_words") for t in toks) or _NUMBER_BEFORE.search(text[max(0, a - 12) : a]):
                continue
            if not looks_like_name(seg) or has_domain_word(seg) or inside_non_person(text, a, b, orgs):
                continue
            if _PLACE_BEFORE.search(text[max(0, a - 12) : a]) or _street_before(text, a):
                continue
            if (nxt := _NEXT_WORD.match(text, b)) and _names_a_thing(nxt.group(1)):
                continue
            if (land := _COUNTRY_AFTER.match(text, b)) and land.group(1).lower() in country_names():
                continue  # "Tou-Liu City, Yun-Lin Hsien, Taiwan": a region before its country
            out.append(RecognizerResult("PERSON", a, b, CONTEXT_SCORE))
            taken_until = b
        return out


# One capitalised word, letters and apostrophes, perhaps hyphenated ("Jean-Luc"); no initial, handle,
# path or file name.
_SINGLE_WORD = re.compile(r"(?<![\w'’.@/#-])([^\W\d_][\w'’]*(?:-[^\W\d_][\w'’]*)?)(?![\w'’@/-]|\.\w)")
_CAPITALISED_AFTER = re.compile(r"[ \t]+[A-Z]")
# Where a sentence or line starts: a capitalised word there may be any word ("Florence offers ...").
_SENTENCE_START = re.compile(r"(?:^|[\n.!?])[ \t\"“*•-]*$")


def _any_given_name(word: str) -> bool:
    return given_name_class(word) > 0


def _title_cased(word: str) -> bool:
    return all(p[:1].isupper() and (p[1:].islower() or len(p) == 1) for p in word.split("-"))


class SingleGivenNameRecognizer(EntityRecognizer):
    """One common given name inside a sentence stands for a person ("approved by Valeria").

    Only a word that is nothing else: no English word at all (nouns included: "Rose", "Job"; famous
    namesakes too: "Florence", "Helen"), no month, weekday, country or stop word, no word of a longer
    capitalised run (a phrase is ``GivenNameRecognizer``'s), not at a sentence's start, where firms and
    products are subjects ("Denis provides the middleware"), nor a partner in a firm's name ("Kalita,
    Subramaniam and Virk").
    """

    def __init__(self) -> None:
        super().__init__(supported_entities=["PERSON"], name="SingleGivenNameRecognizer", supported_language="en")

    def load(self) -> None:
        pass

    def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[Any]:
        out: list[Any] = []
        orgs = _non_person_entities(nlp_artifacts)
        for m in _SINGLE_WORD.finditer(text):
            a, b = m.span(1)
            word = m.group(1)
            if not _title_cased(word) or not common_given_name(word):
                continue
            low = word.lower()
            if is_english_word(low) or low in stop_words():  # months and countries: common_given_name
                continue
            if _inside_capitalised_run(text, a) or _CAPITALISED_AFTER.match(text, b):
                continue
            if _SENTENCE_START.search(text, max(0, a - 4), a):
                continue
            if _NUMBER_BEFORE.search(text[max(0, a - 12) : a]) or _PLACE_BEFORE.search(text[max(0, a - 12) : a]):
                continue
            if _street_before(text, a) or in_bare_name_list(text, a, b, _any_given_name, comma_before=False):
                continue
            if (nxt := _NEXT_WORD.match(text, b)) and _names_a_thing(nxt.group(1)):
                continue
            if inside_non_person(text, a, b, orgs):
                continue
            out.append(RecognizerResult("PERSON", a, b, CONTEXT_SCORE))
        return out
