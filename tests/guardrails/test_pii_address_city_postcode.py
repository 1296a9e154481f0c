"""Whole addresses are one span: US and UK forms with the city and postcode in one segment ("Baker
Street, London NW1 6XE"), a flat and building before the street, a floor or door between street and
postcode in each locale's writing, a house number in its own segment ("Via Roma, 7"), a table cell, a
city with particles, a country after a comma. Negatives: a postcode-shaped code after a version and a
word, a numbered segment after something that is no street, a clause after the address.

Real Presidio engine and spaCy model; every sentence is written for these rules (no evaluation-set text).
"""

from __future__ import annotations

import pytest

from guardrails.pii import PiiDetector
from tests.guardrails.pii_probe import contains as _covered
from tests.guardrails.pii_probe import overlaps as _flagged


@pytest.mark.parametrize(
    "text,address",
    [
        ("Mailing address: 221B Baker Street, London NW1 6XE", "221B Baker Street, London NW1 6XE"),
        ("Her home address is 42 Elm Road, Cambridge CB1 2AB, UK.", "42 Elm Road, Cambridge CB1 2AB"),
        ("Flat 3, 7 Station Road, Bristol BS1 4DJ", "Flat 3, 7 Station Road, Bristol BS1 4DJ"),
        ("Ship to 12 Main St, Springfield IL 62704 by Friday.", "12 Main St, Springfield IL 62704"),
        # a floor and door between the street and the postcode
        ("Dirección: Calle Mayor 10, 3º B, 28013 Madrid", "Calle Mayor 10, 3º B, 28013 Madrid"),
        ("Entregar en Avenida de América 37, 2ª, 28002 Madrid.", "Avenida de América 37, 2ª, 28002 Madrid"),
        # floors written with a full stop or a word, as each locale does
        ("Lieferadresse: Hauptstraße 12, 2. OG, 10115 Berlin.", "Hauptstraße 12, 2. OG, 10115 Berlin"),
        ("Envoyer à Rue de la Loi 155, bus 3, 1040 Bruxelles.", "Rue de la Loi 155, bus 3, 1040 Bruxelles"),
        ("Mailing address: 12 Rue Haute, 3e étage, 75001 Paris.", "12 Rue Haute, 3e étage, 75001 Paris"),
        ("Address: Kerkstraat 12, 3 hoog, 1017 GC Amsterdam.", "Kerkstraat 12, 3 hoog, 1017 GC Amsterdam"),
        ("The package went to Calle de Alcalá 48, 2º izq., 28014 Madrid.", "Calle de Alcalá 48, 2º izq., 28014 Madrid"),
        # a table cell's bar ends the city as punctuation does
        ("| Supplier | Kruschwitzstraße 2-8, 03137 Calau | net 30 |", "Kruschwitzstraße 2-8, 03137 Calau"),
        ("| Nordwind | ul. Traugutta 281, 74-316 Bielawa | net 30 |", "ul. Traugutta 281, 74-316 Bielawa"),
        # a Dutch postcode, a comma, then the city before a lower-case word
        ("Please ship to Emilylaan 6, 8234 AO, Slijkenburg before Friday.", "Emilylaan 6, 8234 AO, Slijkenburg"),
        # particles inside a city's name
        ("Please ship to Hagenweg 672, 4268 Laa an der Thaya by Monday.", "Hagenweg 672, 4268 Laa an der Thaya"),
        ("Office: Strohmayerweg 5, 2313 Gerasdorf bei Wien; reception", "Strohmayerweg 5, 2313 Gerasdorf bei Wien"),
        # Flemish street endings before a four-digit postcode
        ("Send the SOW to Elkesteeg 36, 6387 Baaigem, attention of accounts payable.", "Elkesteeg 36, 6387 Baaigem"),
        # the house number in its own segment after the street's name, or none ("S/N")
        ("Sede legale: Via Roma, 7, 20121 Milano (MI).", "Via Roma, 7, 20121 Milano"),
        ("Morada: Rua Augusta, 24, 1100-053 Lisboa.", "Rua Augusta, 24, 1100-053 Lisboa"),
        ("Morada: Rua Loureiro, S/N, 7909-378 Sines.", "Rua Loureiro, S/N, 7909-378 Sines"),
        # a CSV field in quotes; a block over lines with a house-number range
        ('PO-1,Nordwind GmbH,"Gotthardallee 79-22, 05735 Ansbach"', "Gotthardallee 79-22, 05735 Ansbach"),
        ("Remit to:\nLinden-Allee 48-44\n27940 Nordhausen\n", "Linden-Allee 48-44\n27940 Nordhausen"),
        # a flat and a building's name before the street, or before the town
        (
            "Deliver to Flat 3, Oak House, 12 High Street, Leeds LS1 4AP.",
            "Flat 3, Oak House, 12 High Street, Leeds LS1 4AP",
        ),
        ("Address: Flat 23, Beverley Hills, Exeter, EX1 1AA", "Flat 23, Beverley Hills, Exeter, EX1 1AA"),
        # a UK address whose only digits are the unit's and the postcode's
        (
            "Ship the unit to Unit 4, Riverside Park, Leeds LS1 4AP before Friday.",
            "Unit 4, Riverside Park, Leeds LS1 4AP",
        ),
    ],
)
def test_street_city_and_postcode_are_one_span(detector: PiiDetector, text: str, address: str) -> None:
    assert _covered(detector, text, address, "LOCATION")


@pytest.mark.parametrize(
    "text,phrase",
    [
        ("Version 4.2, Build SW1 1AA is a postcode in the docs.", "Version 4.2"),
        ("Release notes, London NW1 6XE office opening", "Release notes"),
        # a short numbered segment before a postcode, with no street before it
        ("Order 7781, box 2, 28013 Madrid warehouse", "Order 7781"),
        # a short numbered segment after something that is no street
        ("See section 4, step 2, 1010 Wien.", "section 4"),
        ("Version 4.2, Build 7, 10115 Berlin.", "Version 4.2"),
        ("Release 5.2, step 4, 1010 users migrated.", "Release 5.2"),
        ("Ticket 4711, S/N, 1010 Wien desk", "Ticket 4711"),
        # hardware sizes shaped like a UK postcode
        ("Add a G5 4GB module.", "G5 4GB"),
    ],
)
def test_no_street_no_address(detector: PiiDetector, text: str, phrase: str) -> None:
    assert not _flagged(detector, text, phrase, "LOCATION")


@pytest.mark.parametrize(
    "text,address,clause",
    [
        (
            "Send the SOW to Seebacherstraße 647, 77506 Gunzenhausen, attention of accounts payable.",
            "Seebacherstraße 647, 77506 Gunzenhausen",
            "attention",
        ),
        ("Ship to 12 High Street, Leeds LS1 4AP, United Kingdom.", "12 High Street, Leeds LS1 4AP, United Kingdom", ""),
    ],
)
def test_a_country_after_the_address_joins_it_a_clause_does_not(
    detector: PiiDetector, text: str, address: str, clause: str
) -> None:
    assert _covered(detector, text, address, "LOCATION")
    if clause:
        assert not _flagged(detector, text, clause, "LOCATION")


# -- a comma between postcode and city, an Italian province, Italian street words ------------------


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("Ufficio: Via Roma 7, 20121, Milano", "Via Roma 7, 20121, Milano"),
        ("Send it to Viale Monza 140, 20127, Milano (MI).", "Viale Monza 140, 20127, Milano (MI)"),
        ("Sede legale: Via Garibaldi 12, 00184 Roma (RM), Italia", "Via Garibaldi 12, 00184 Roma (RM)"),
        ("Deliver to Piazzale Loreto 3, 20131 Milano.", "Piazzale Loreto 3, 20131 Milano"),
        ("Magazzino: Contrada Rossi, 12, 90010, Ficarazzi (PA)", "Contrada Rossi, 12, 90010, Ficarazzi (PA)"),
        ("Kantoor: Ellendreef 28, 1012, La Hestre", "Ellendreef 28, 1012, La Hestre"),
    ],
)
def test_postcode_comma_city_and_province(detector: PiiDetector, text: str, address: str) -> None:
    assert _covered(detector, text, address, "LOCATION"), detector.detect(text)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Release 20121, Milano team sign-off pending.", "20121, Milano"),
        ("We shipped 2024, Berlin office first.", "2024, Berlin"),
        ("The strada 5 build is out.", "strada 5"),
    ],
)
def test_number_comma_name_without_street_is_no_address(detector: PiiDetector, text: str, value: str) -> None:
    assert not _flagged(detector, text, value, "LOCATION"), detector.detect(text)


# -- street names with "do"/"della", US military addresses ------------------------------------------


@pytest.mark.parametrize(
    ("text", "address"),
    [
        (
            "Send the contract to Rua do Carmo, 41, 1200-093 Lisboa, attention of legal.",
            "Rua do Carmo, 41, 1200-093 Lisboa",
        ),
        ("Escritório: Avenida do Brasil, S/N, 4150-153 Porto", "Avenida do Brasil, S/N, 4150-153 Porto"),
        ("Sede: Via della Moscova 18, 20121 Milano", "Via della Moscova 18, 20121 Milano"),
        ("Ship the laptop to PSC 1234, Box 5678, APO AE 09012 by Monday.", "PSC 1234, Box 5678, APO AE 09012"),
        ("Her mailing address is USS Harmon, FPO AP 96601-1234.", "USS Harmon, FPO AP 96601-1234"),
        ("Mail: Unit 2050 Box 4190, DPO AA 34020", "Unit 2050 Box 4190, DPO AA 34020"),
    ],
)
def test_street_particles_and_military_addresses(detector: PiiDetector, text: str, address: str) -> None:
    assert _covered(detector, text, address, "LOCATION"), detector.detect(text)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Flight AA 23192 departs at 9 from gate 4.", "AA 23192"),
        ("The USS Enterprise was the first nuclear carrier.", "USS Enterprise"),
        ("Ticket FPO 23192 was closed by the desk.", "FPO 23192"),
    ],
)
def test_military_shapes_without_an_address_are_none(detector: PiiDetector, text: str, value: str) -> None:
    assert not _flagged(detector, text, value, "LOCATION"), detector.detect(text)


# -- Canadian, Australian, New Zealand, Mexican and Czech forms ------------------------------------


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("Office: 100 King St W, Toronto, ON M5X 1A9", "100 King St W, Toronto, ON M5X 1A9"),
        ("Send to 5 Rue Sainte-Catherine, Montréal, QC H3B 1A7.", "5 Rue Sainte-Catherine, Montréal, QC H3B 1A7"),
        ("Ship to 12 George St, Sydney NSW 2000 by Friday.", "12 George St, Sydney NSW 2000"),
        ("Unit 4, 22 Smith Street, Fitzroy, VIC, 3065", "Unit 4, 22 Smith Street, Fitzroy, VIC, 3065"),
        ("Ship to 20 Queen Street, Auckland 1010 by Friday.", "20 Queen Street, Auckland 1010"),
        ("Deliver to Calzada de Tlalpan 1924, Coyoacán, CDMX 04000.", "Calzada de Tlalpan 1924, Coyoacán, CDMX 04000"),
        ("Kancelář: Národní třída 25, 110 00 Praha", "Národní třída 25, 110 00 Praha"),
    ],
)
def test_more_national_address_forms(detector: PiiDetector, text: str, address: str) -> None:
    assert _covered(detector, text, address, "LOCATION"), detector.detect(text)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Sales in NSW 2024 grew by four percent.", "NSW 2024"),
        ("The ACT 2025 amendments apply from July.", "ACT 2025"),
        ("Revenue rose, Auckland 2024 results were strong.", "Auckland 2024"),
        ("Ticket SAP 12345 is closed.", "SAP 12345"),
        ("Order 500 12 Berlin shipped on time.", "500 12 Berlin"),
    ],
)
def test_state_codes_and_numbers_without_a_street_are_no_address(detector: PiiDetector, text: str, value: str) -> None:
    assert not _flagged(detector, text, value, "LOCATION"), detector.detect(text)
