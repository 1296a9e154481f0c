"""Full names known by their given name (``GivenNameRecognizer``): a capitalised phrase opened by a
common given name of some country is a person's name with no cue around it; a product, firm, place
or street whose first word happens to be a given name is not.

Real Presidio engine, spaCy model and name dictionary. Every sentence is written for these rules (no
evaluation-set text).
"""

from __future__ import annotations

import pytest

from guardrails.pii import PiiDetector
from guardrails.pii.given_names import english_non_nouns, given_name_class, is_english_word
from tests.guardrails.pii_probe import contains as _covered
from tests.guardrails.pii_probe import overlaps as _flagged


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Garnishment order 4411 against Gregory Delgado applies from the next pay run.", "Gregory Delgado"),
        ("Contact person changed from the old owner to Morena Almagro effective Monday.", "Morena Almagro"),
        ("The refund was approved after Melania Tatarczyk checked the ledger.", "Melania Tatarczyk"),
        ("Please forward the signed copy to Friedemann Nohlmans before Friday.", "Friedemann Nohlmans"),
        ("The laptop went to Leah Preston last week.", "Leah Preston"),
        ("Quarter-end close slipped because Svetlana Okonkwo-Hale was on leave.", "Svetlana Okonkwo-Hale"),
        ("Badge access for Radomir Szczepaniak ends with the contract.", "Radomir Szczepaniak"),
        # a compound given name the dictionary holds as its parts
        ("Access for Heinz-Otto Brakelmann was removed after the audit.", "Heinz-Otto Brakelmann"),
        # a surname particle inside the name
        ("The penalty waiver went to Margarethe van Oosterzee for sign-off.", "Margarethe van Oosterzee"),
    ],
)
def test_a_phrase_opened_by_a_given_name_is_a_person(detector: PiiDetector, text: str, name: str) -> None:
    assert _covered(detector, text, name, "PERSON")


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        # a later word is an English word (WordNet lemma): a language, a building, a product's part
        ("The Julia Language runtime is bundled with the analytics add-on.", "Julia Language"),
        ("Configure Florence Cathedral tours in the travel module.", "Florence Cathedral"),
        ("Query the archive with Athena Query Editor.", "Athena Query Editor"),
        ("Sydney Harbour Bridge closes for maintenance on Sunday.", "Sydney Harbour Bridge"),
        # the given name is also an English verb or adjective
        ("Chase Zendesk tickets daily before the stand-up.", "Chase Zendesk"),
        # a house number before it makes the phrase a street
        ("Deliveries go to 12 Marisol Alcantara before noon.", "Marisol Alcantara"),
        # a place preposition before it
        ("The kick-off is held in Regina Wascana next month.", "Regina Wascana"),
        # a site's or unit's noun after it
        ("The Georgia Dalrymple plant closed for the audit.", "Georgia Dalrymple"),
        ("The Victoria Quennell site reopens next week.", "Victoria Quennell"),
        ("The Sydney Parramatta branch books the vans.", "Sydney Parramatta"),
    ],
)
def test_a_given_name_opening_a_thing_or_place_is_no_person(detector: PiiDetector, text: str, phrase: str) -> None:
    assert not _flagged(detector, text, phrase, "PERSON")


def test_a_given_name_phrase_in_the_corpus_headings_is_no_person(detector: PiiDetector) -> None:
    # a weak cue: the corpus's own titles and headings veto it ("Ingrid Solberg" names a product line here)
    text = "Customers on Ingrid Solberg get the new planner in the spring release."
    assert _covered(detector, text, "Ingrid Solberg", "PERSON")
    spans = detector.detect(text, context=["Ingrid Solberg Planner Guide"])
    assert not any(s.entity_type == "PERSON" for s in spans)


def test_given_name_classes_come_from_the_dictionary() -> None:
    assert given_name_class("Gregory") >= 5
    assert given_name_class("gregory") == given_name_class("Gregory")
    # a compound is as common as its rarer part when the dictionary lacks it whole
    assert 0 < given_name_class("Heinz-Otto") <= min(given_name_class("Heinz"), given_name_class("Otto"))
    # a rare given name somewhere that is also an English adjective opens no name
    assert given_name_class("Red") >= 1 and "red" in english_non_nouns()
    assert given_name_class("Xqzvor") == 0
    assert given_name_class("Kubernetes") == 0


def test_english_words_include_plurals_and_famous_names_not_rare_surnames() -> None:
    assert is_english_word("Compiler") and is_english_word("bridges") and is_english_word("Stanley")
    assert not is_english_word("Tatarczyk")
    assert not is_english_word("Almagro")


# -- one word the model reads as a person, with no cue: kept when it is a common given name ----------


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("The purchase request was registered for cost centre 4410 by Allison.", "Allison"),
        ("I have worked with Deborah for four years on the payroll side.", "Deborah"),
        ("Recommend Jeremiah for the team lead role.", "Jeremiah"),
        # a list of given names is a list of people
        ("Thanks to Erik, Amy and Donald for the review.", "Amy"),
    ],
)
def test_a_single_common_given_name_is_a_person(detector: PiiDetector, text: str, name: str) -> None:
    assert _covered(detector, text, name, "PERSON")


@pytest.mark.parametrize(
    ("text", "word"),
    [
        # one partner of a firm named by bare surnames
        ("Hughes, Thomas and Hudson provides the integration middleware.", "Thomas"),
        ("Berger, Walter and Krause audited the ledger.", "Walter"),
        # a legal form written as initials after it
        ("Walter e.G. moved the delivery to Monday.", "Walter"),
        # initials before it: a surname, here a firm's
        ("J.P. Morgan signed the credit facility.", "Morgan"),
        # a month in another language that is a given name too
        ("Die Migration beginnt im Mai.", "Mai"),
        ("Der Vertrag endet am 3. Juni, Abnahme im Mai.", "Mai"),
        # a country that is a given name too
        ("Offices: Jordan", "Jordan"),
    ],
)
def test_a_single_given_name_in_a_firm_or_a_date_is_no_person(detector: PiiDetector, text: str, word: str) -> None:
    assert not _flagged(detector, text, word, "PERSON")


# -- one common given name the model does not read as a person (``SingleGivenNameRecognizer``) ---------


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Follow-ups: load testing (Rajesh), alert tuning (Helen), runbook update in the wiki.", "Rajesh"),
        ("The second interview was held with Valeria and the hiring manager.", "Valeria"),
        ("AOB: Ewa to share the dial-in before the call.", "Ewa"),
        ("Send the minutes to Priya and the steering group.", "Priya"),
    ],
)
def test_a_common_given_name_inside_a_sentence_is_a_person(detector: PiiDetector, text: str, name: str) -> None:
    assert _covered(detector, text, name, "PERSON")


@pytest.mark.parametrize(
    "text",
    [
        # a sentence's subject may be a firm or product named like a person
        "Valeria provides the integration middleware for the rollout.",
        # a partner in a firm named by its founders
        "We paid the invoice to Kalita, Valeria and Virk last week.",
        # a house number or a street word before it: a street
        "Deliveries go to 14 Valeria before noon.",
        "The office moved to rue Valeria in the spring.",
        # part of a longer capitalised name
        "The release adds Valeria Portal to the catalogue.",
        "The Valeria Consulting team reviews the budget.",
        # an English word, a month
        "The Rose Garden venue hosts the partner summit.",
        "The shipment leaves on the first Monday of April as planned.",
    ],
)
def test_the_single_given_name_recognizer_skips_streets_firms_and_words(text: str) -> None:
    """Read on the recognizer's own output: each case is one of its vetoes (the filters after it
    might drop some of them for other reasons)."""
    from guardrails.pii.recognizers.person_given import SingleGivenNameRecognizer

    assert SingleGivenNameRecognizer().analyze(text, ["PERSON"], None) == []


def test_the_single_given_name_recognizer_finds_a_name_its_vetoes_spare() -> None:
    from guardrails.pii.recognizers.person_given import SingleGivenNameRecognizer

    text = "The invoice was approved by Valeria after the review."
    found = SingleGivenNameRecognizer().analyze(text, ["PERSON"], None)
    assert [text[r.start : r.end] for r in found] == ["Valeria"]


def test_calendar_words_cover_the_languages_served() -> None:
    from guardrails.pii.given_names import calendar_words

    words = calendar_words()
    assert {"mai", "juni", "lundi", "mei", "maj", "agosto", "sonntag"} <= words
    assert "deborah" not in words


# -- surname first in a field or a cell ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Pay to: Morel, Lucas | IBAN on file", "Morel, Lucas"),
        ("New remit-to: Albers, Theda | Svenja-Thies-Allee 48 | 27940 Nordhausen", "Albers, Theda"),
    ],
)
def test_surname_comma_given_name_in_a_field_is_a_person(detector: PiiDetector, text: str, name: str) -> None:
    # the model reads neither once turned round ("Lucas Morel"): the given name says it
    assert _covered(detector, text, name, "PERSON")


def test_a_place_and_its_country_in_a_cell_is_no_person(detector: PiiDetector) -> None:
    assert not _flagged(detector, "| Warehouse | Lyon, France | 2027-01-01 |", "Lyon", "PERSON")


@pytest.mark.parametrize(
    "text",
    [
        "Deliveries to avenue Suzanne Leclercq 14 start on Monday.",
        "The depot moved to Calle de Marisol Alcantara in March.",
    ],
)
def test_no_given_name_phrase_after_a_street_word(detector: PiiDetector, text: str) -> None:
    # the recognizer itself (the model may still read the street's namesake as a person)
    from guardrails.pii.recognizers.person_given import GivenNameRecognizer

    artifacts = detector.analyzer.nlp_engine.process_text(text, "en")
    assert GivenNameRecognizer().analyze(text, ["PERSON"], artifacts) == []


# -- names in lower case --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("marcelo belda was the strongest candidate on the case study.", "marcelo belda"),
        ("Ticket reassigned; ping agnieszka wróblewska when the export finishes.", "agnieszka wróblewska"),
    ],
)
def test_a_lower_case_name_opened_by_a_given_name_is_a_person(detector: PiiDetector, text: str, name: str) -> None:
    assert _covered(detector, text, name, "PERSON")


@pytest.mark.parametrize(
    "text",
    [
        # "than" is a given name in the dictionary and a function word; "having" an English verb form
        "rather than having to restart the service, reload the configuration.",
        "the analysis ran over these reports and alle ordini.",
        # a two-letter second word is no surname
        "the maria db cluster runs on three nodes.",
    ],
)
def test_lower_case_prose_holds_no_name(detector: PiiDetector, text: str) -> None:
    from guardrails.pii.recognizers.person_case import _lower_given_names

    assert _lower_given_names(text) == []
    assert not any(s.entity_type == "PERSON" for s in detector.detect(text))


@pytest.mark.parametrize(
    "text",
    [
        # a place whose first word is a given name somewhere
        "The offer is not made under the Companies Ordinance (Cap.32, Laws of Hong Kong), or to the public.",
        "Our office in Kowloon, Hong Kong handles the orders.",
        # the end of a longer title-case run: a trade mark's owner, a list of cities
        "The Galaxy Trade Marks Telnet acknowledges are listed in schedule 2.",
        "Offices: Texas Dallas Austin Houston San Antonio Utah Salt Lake City.",
        # a region before its country
        "The plant is in Tou-Liu City, Yun-Lin Hsien, Taiwan, R.O.C. today.",
    ],
)
def test_no_given_name_phrase_in_a_place_or_a_longer_name(detector: PiiDetector, text: str) -> None:
    from guardrails.pii.recognizers.person_given import GivenNameRecognizer

    artifacts = detector.analyzer.nlp_engine.process_text(text, "en")
    assert GivenNameRecognizer().analyze(text, ["PERSON"], artifacts) == []


def test_a_legal_form_written_as_initials_makes_a_firm_of_any_name(detector: PiiDetector) -> None:
    # the check stands in the shared person filter: a full name before "e.G." is a cooperative too
    assert not _flagged(detector, "The spare parts come from Jens Petersen e.G. every month.", "Jens Petersen")
    # "e.g." (for example) is no legal form
    assert _covered(detector, "Ask Anna Hoffmann e.g. about the key rotation.", "Anna Hoffmann", "PERSON")


@pytest.mark.parametrize("word", ["Policies", "Specifies", "Compilers", "Boxes"])
def test_a_plural_or_third_person_form_is_an_english_word(word: str) -> None:
    assert is_english_word(word)


def test_a_rare_surname_is_no_english_word() -> None:
    assert not is_english_word("Kowalczyk")
