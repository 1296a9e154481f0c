"""Possessives and polite pronouns of the other supported languages open a sentence like a name would
("Ihre Steuer-ID ...", "Votre numéro ..."): they are never a PERSON, and the identifier after them is
still found."""

from __future__ import annotations

import pytest

from guardrails.pii import PiiDetector
from tests.guardrails.pii_probe import overlaps


@pytest.mark.parametrize(
    "text, word",
    [
        ("Sehr geehrte Frau Keller,\nIhre Steuer-ID lautet 86 095 742 719. Ihre Sozialversicherungsnummer folgt.",
         "Ihre Steuer-ID"),
        ("Unsere Buchhaltung prüft die Rechnung bis Freitag.", "Unsere Buchhaltung"),
        ("Votre dossier est complet. Notre équipe vous contactera.", "Votre dossier"),
        ("Uw aanvraag is ontvangen. Onze afdeling belt u terug.", "Uw aanvraag"),
        ("Nuestro equipo revisará su solicitud mañana.", "Nuestro equipo"),
    ],
)
def test_a_possessive_opening_a_sentence_is_no_person(detector: PiiDetector, text: str, word: str) -> None:
    assert not overlaps(detector, text, word, "PERSON")


def test_the_person_after_a_possessive_is_still_a_person(detector: PiiDetector) -> None:
    text = "Ihre Ansprechpartnerin ist Frau Agnieszka Wójcik, erreichbar unter +49 30 1234 5678."
    assert overlaps(detector, text, "Agnieszka Wójcik", "PERSON")
    assert overlaps(detector, text, "+49 30 1234 5678", "PHONE_NUMBER")
