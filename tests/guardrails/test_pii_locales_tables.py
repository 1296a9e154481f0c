"""Names in people columns of tables and CSV exports, names as subjects of verbs of other languages,
German title abbreviations and initials, with the hard negatives of each rule (department and product
columns, firms as subjects, weekday and currency abbreviations).

Real Presidio engine and spaCy model. Every text is written for these rules (no evaluation-set text).
"""

from __future__ import annotations

import pytest

from guardrails.pii import PiiDetector
from tests.guardrails.pii_probe import contains as _covered
from tests.guardrails.pii_probe import overlaps as _flagged

# -- people columns ----------------------------------------------------------------------------------

_CSV = "Vorname;Nachname;Abteilung\nJonas;Weber;Einkauf\nLea;Schulz;Vertrieb"
_MARKDOWN = "| Attendee | Company |\n| --- | --- |\n| Radek | Initech |\n| Ilona | Initech |"
_NAME_COLUMN = "| Name | Role |\n|---|---|\n| Wouter Smit | Approver |\n| Inês Ferreira | Reviewer |"
_TSV = "Employee\tStart date\tSite\nNikhil Bansal\t2024-04-01\tPune\nHelena Lindqvist\t2024-05-06\tMalmö"


@pytest.mark.parametrize(
    ("text", "value"),
    [
        (_CSV, "Weber"),
        (_CSV, "Lea"),
        (_MARKDOWN, "Radek"),
        (_NAME_COLUMN, "Wouter Smit"),
        ("name,team,start\nKatarzyna Dąbrowska,Finance,2024-02-01\nMatteo Bianchi,Legal,2024-03-01", "Matteo Bianchi"),
        (_TSV, "Helena Lindqvist"),
        ("Participant list\n- Henrik Nyström\n- Beatriz Sousa\n- Kwame Mensah", "Beatriz Sousa"),
        ("Present\n1. Tobias Meier (chair)\n2. Beatriz Sousa, finance", "Beatriz Sousa"),
    ],
)
def test_cells_of_a_people_column(detector: PiiDetector, text: str, value: str) -> None:
    assert _covered(detector, text, value), detector.detect(text)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        (_CSV, "Einkauf"),
        (_MARKDOWN, "Initech"),
        # a bare "Name" column also lists services and products: one word there is no person
        ("name,owner,tier\nbilling-api,Payments,1\nsearch-svc,Discovery,2", "Payments"),
        ("| Name | Version |\n| --- | --- |\n| Kafka | 3.6 |\n| Airflow | 2.9 |", "Kafka"),
        ("Product name,Price\nTeams Premium,10.00\nCopilot Studio,200.00", "Teams Premium"),
        # a list under a heading of people with a team in it makes no claim for its other items
        ("Attendees\n- Finance\n- Procurement", "Procurement"),
        ("Participants:\n- Legal team\n- Service Desk", "Service Desk"),
        # a sentence with a comma is no header row
        ("Please add the attendee, then send the invite.\nThe room, the date and the agenda are set.", "room"),
    ],
)
def test_other_columns_and_product_names_stay(detector: PiiDetector, text: str, value: str) -> None:
    assert not _flagged(detector, text, value, "PERSON"), detector.detect(text)


# -- subjects of verbs in the other languages served ---------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Giulia Ferraro ha firmato il verbale ieri.", "Giulia Ferraro"),
        ("Carmen Ruiz firmó el acuerdo de confidencialidad.", "Carmen Ruiz"),
        ("Luca ha detto che il rilascio slitta.", "Luca"),
        ("Claire a dit que la migration est terminée.", "Claire"),
        ("Sven zei dat de koppeling werkt.", "Sven"),
        ("Kuba powiedział, że test przeszedł.", "Kuba"),
        ("Giovanni ha chiesto di spostare la riunione.", "Giovanni"),
    ],
)
def test_subject_of_a_verb_of_speech_or_signing_abroad(detector: PiiDetector, text: str, value: str) -> None:
    assert _covered(detector, text, value), detector.detect(text)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Microsoft Teams a rendu la réunion impossible.", "Microsoft Teams"),
        ("Google Cloud ha confermato il ripristino.", "Google Cloud"),
        ("Banco Santander firmó el acuerdo marco.", "Banco Santander"),
        ("Allianz Versicherung bestätigte den Schaden.", "Allianz Versicherung"),
        # "confirmed" is said of firms and carriers as often
        ("Deutsche Bahn bestätigte die Verspätung.", "Deutsche Bahn"),
        ("Release 4.2 ha detto addio al vecchio driver.", "Release"),
    ],
)
def test_firms_and_products_as_those_subjects_stay(detector: PiiDetector, text: str, value: str) -> None:
    assert not _flagged(detector, text, value, "PERSON"), detector.detect(text)


# -- titles, initials, role labels -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Hr. Brandt hat die Freigabe erteilt.", "Brandt"),
        ("Sig.ra Colombo ha inviato i documenti.", "Colombo"),
        ("Fr. Oberhuber ist ab Montag zuständig.", "Oberhuber"),
        ("R. Venkatesh signed the NDA.", "R. Venkatesh"),
        ("Owner - Tiago Almeida", "Tiago Almeida"),
    ],
)
def test_titles_initials_and_owner_label(detector: PiiDetector, text: str, value: str) -> None:
    assert _covered(detector, text, value), detector.detect(text)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Mo.–Fr. Support von 8 bis 18 Uhr.", "Support"),
        ("Preis: Fr. 120.– pro Monat", "120"),
        ("U.S. Bank approved the wire.", "U.S. Bank"),
        # two initials joined before a name: firms are named so
        ("J.P. Morgan signed the credit facility.", "J.P. Morgan"),
        # capitals with dots after a name are a legal form
        ("Supplier Ferreira y Castro S.L.U. sent the invoice.", "Castro S.L.U."),
        ("Owner - Platform Engineering", "Platform Engineering"),
    ],
)
def test_weekdays_currencies_firms_and_teams_stay(detector: PiiDetector, text: str, value: str) -> None:
    assert not _flagged(detector, text, value), detector.detect(text)
