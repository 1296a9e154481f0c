"""Letters, minutes and national number formats of the other languages served: group salutations,
lower-case Italian titles, initials after a strong cue, people responsible for action items, a first
name in brackets after a role; record labels that name their record after the number word; team
names and compound unit names after a sign-off.

Real Presidio engine and spaCy model. Every sentence is written for these rules (no evaluation-set
text); values are synthetic.
"""

from __future__ import annotations

import pytest

from guardrails.pii import PiiDetector
from guardrails.pii.names import is_org_token
from tests.guardrails.pii_probe import contains as _covered
from tests.guardrails.pii_probe import overlaps as _flagged


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Gentile dott. Rossi,\nle invio il contratto.", "Rossi"),  # a lower-case Italian title
        ("Reviewed by: Wiśniewska, J.", "Wiśniewska"),  # a record field's colon after the actor's verb
        ("Assigned to: J. de Vries", "de Vries"),  # an initial, then a particle and the surname
        ("AP: Migrationsplan prüfen – verantwortlich: Bartosz", "Bartosz"),  # who is responsible
        ("Prochaine étape : migration – responsable : Chloé", "Chloé"),
        ("Action item – Deepika to share the cut-over checklist by Friday.", "Deepika"),  # dash, not colon
        ("Our technical contact (Ravi) confirmed the maintenance window.", "Ravi"),
        ("Please ask the release manager (Jorinde) before tagging.", "Jorinde"),
        # the surname after a particle also spells a function word ("vos"): the whole name is masked
        ("Notice of termination was received from Daniel de Vos on behalf of the customer.", "Daniel de Vos"),
    ],
)
def test_names_in_letters_and_minutes(detector: PiiDetector, text: str, value: str) -> None:
    assert _covered(detector, text, value, "PERSON"), detector.detect(text)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        # a group addressed, a team or unit signing, labels and product names in the same places
        ("Liebe Kolleginnen und Kollegen,\nanbei das Protokoll.", "Kolleginnen"),
        ("Szanowni Państwo,\nprzesyłamy ofertę.", "Państwo"),
        ("Cordialement,\nL'équipe Facturation", "Facturation"),
        ("Met vriendelijke groet,\nKlantenservice", "Klantenservice"),
        ("Mit freundlichen Grüßen\nPersonalabteilung", "Personalabteilung"),
        ("Van der Valk Hotels confirmed the booking.", "Van der Valk Hotels"),
        ("Número de teléfono: 612 345 678", "Número"),
        ("Reviewed by: QA", "QA"),
        ("Assigned to: Tier 2", "Tier"),
        ("Contact: J. Support", "Support"),
        ("Action: renew licence (owner: Procurement)", "Procurement"),
        ("Action item – Finance to send the invoice.", "Finance"),
        ("Ask the support engineer (Tier 2) for logs.", "Tier"),
        ("Our hosting partner (Hetzner) confirmed the window.", "Hetzner"),  # a partner may be a firm
    ],
)
def test_groups_units_and_labels_are_not_people(detector: PiiDetector, text: str, value: str) -> None:
    assert not _flagged(detector, text, value), detector.detect(text)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Rahul Das said the plan is fine.", "Rahul Das"),  # a capitalised particle-like surname stays
        ("Best regards,\nSanne Dienstbach", "Sanne Dienstbach"),  # a surname is no compound of a unit
    ],
)
def test_surnames_near_the_new_rules_stay_names(detector: PiiDetector, text: str, value: str) -> None:
    assert _covered(detector, text, value, "PERSON"), detector.detect(text)


@pytest.mark.parametrize("word", ["Banks", "Dienstbach", "Serviceman"])
def test_short_plurals_and_surnames_are_not_organisation_words(word: str) -> None:
    assert not is_org_token(word)


@pytest.mark.parametrize("word", ["Hotels", "Klantenservice", "Kundensupport", "Personalabteilung", "L'équipe"])
def test_plurals_and_compounds_of_organisation_words(word: str) -> None:
    assert is_org_token(word)


@pytest.mark.parametrize(
    ("text", "value", "entity_type"),
    [
        ("Vous pouvez me joindre au 06 12 34 56 78.", "06 12 34 56 78", "PHONE_NUMBER"),  # "reach" in French
        ("Telemóvel: 912 345 678", "912 345 678", "PHONE_NUMBER"),
        ("Numéro de portable : 06 12 34 56 78", "06 12 34 56 78", "PHONE_NUMBER"),  # a phone word's number
        ("numer telefonu: 601 234 567", "601 234 567", "PHONE_NUMBER"),
        ("pasaporte n.º PAA123456", "PAA123456", "PASSPORT"),
        ("Número de pasaporte: PAA123456", "PAA123456", "PASSPORT"),
        ("Carta de condução: PT1234567", "PT1234567", "DRIVER_LICENSE"),
    ],
)
def test_numbers_after_cues_of_other_languages(detector: PiiDetector, text: str, value: str, entity_type: str) -> None:
    assert _covered(detector, text, value, entity_type), detector.detect(text)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        # a number label that names its record after the number word, and record labels of the other
        # languages before a number with a phone's grouping
        ("Numéro de commande : 0612345678", "0612345678"),
        ("Numéro de dossier : 120575300129", "120575300129"),
        ("Número de pedido: 612 345 678", "612 345 678"),
        ("numer zamówienia: 601 234 567", "601 234 567"),
        ("Zamówienie nr 601 234 567 zostało wysłane.", "601 234 567"),
        ("Codice articolo: 347 123 4567", "347 123 4567"),
        ("Rechnung Nr. 0171 1234567 ist bezahlt.", "0171 1234567"),
        ("Factuur 06 12 34 56 78 staat open.", "06 12 34 56 78"),
    ],
)
def test_record_numbers_of_other_languages_are_not_phones(detector: PiiDetector, text: str, value: str) -> None:
    assert not _flagged(detector, text, value), detector.detect(text)
