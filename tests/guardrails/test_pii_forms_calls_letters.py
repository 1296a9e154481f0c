"""Vendor forms, post-mortem timelines, calendar replies, call transcripts, HR letters, visit reports:
the shapes a second family of business texts showed (names in capitals under a role's key, surname
first, a person named with their department, a caller introducing themself, letters' sign-offs,
birth dates stated "as" a date or asked for in a transcript), each beside its hard negatives.

Real Presidio engine and spaCy model; every sentence is written for these rules (no evaluation-set
text). A positive needs the whole value covered by one span of its type.
"""

from __future__ import annotations

import pytest

from guardrails.pii import PiiDetector
from tests.guardrails.pii_probe import contains as _covered
from tests.guardrails.pii_probe import overlaps as _flagged

# -- names --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        # a role's key in mixed case, the value in capitals
        ("Bank account holder: HELGA BRANDSTÄTTER\nIBAN: see attachment", "HELGA BRANDSTÄTTER"),
        # surname first under a role's key, in title case
        ("Sole trader: Wróblewska, Halina; registered since 2019.", "Wróblewska, Halina"),
        ("Proprietor: Ramaswamy, Keerthana\nVAT: pending", "Ramaswamy, Keerthana"),
        # a booking or a card names its holder, surname in capitals first
        ("Booking for KOWALCZYK Bartosz\nPassport: see file", "KOWALCZYK Bartosz"),
        ("Charged to card ending 1111 (cardholder LORNA MACLEOD) on Monday.", "LORNA MACLEOD"),
        # a role word before a full name
        ("Traveller Nikhil Deshpande flies out on Monday; the hotel is booked.", "Nikhil Deshpande"),
        # a person beside a department word stays one
        ("The room is booked by Joanna Wierzbicka for the whole day.", "Joanna Wierzbicka"),
        # letters' closings
        ("Yours sincerely,\n\nMathilde Rousseau\nPeople Operations", "Mathilde Rousseau"),
        ("Yours faithfully,\nGerrit Bosschaart", "Gerrit Bosschaart"),
        # roles only people hold
        ("Incident lead: Sam Oduya. Customer liaison: Wiebke.", "Wiebke"),
        ("Scribe: Tomasz\nDuration: 45 min", "Tomasz"),
        ("Candidate: Ruth Kimani\nInterviewers: Olu Bankole, Fenna\nScore: 4 of 5", "Fenna"),
        # the Dutch title written out
        ("Bij aankomst vragen naar de heer Verbruggen bij de receptie.", "Verbruggen"),
        # a calendar's replies
        ("Harshad Kulkarni accepted this invitation.", "Harshad Kulkarni"),
        ("Zenon Kowal has proposed a new time: Friday 10:00.", "Zenon Kowal"),
        # a timeline's clause after a comma
        ("03:10 pager fired, Kasia acknowledged; 03:25 rollback started.", "Kasia"),
        # a caller introduces themself
        ("Caller: hi, this is Ignacio from the warehouse, about the missing pallet.", "Ignacio"),
        # a person named with their department
        ("We met the plant manager and Lieke from IT.", "Lieke"),
        ("Questions about the form go to Radhika in procurement (forms@example.com).", "Radhika"),
        ("Queries: Ewald, accounts payable, ext. 4410.", "Ewald"),
        ("The call was transferred to Ondine Marchal in billing; she refunded the fee.", "Ondine Marchal"),
    ],
)
def test_names_of_these_shapes_are_found(detector: PiiDetector, text: str, value: str) -> None:
    assert _covered(detector, text, value)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        # firms and acronyms under a role's key
        ("Payee: SAP SE\nReference: licence renewal", "SAP SE"),
        ("Account holder: NORDWIND LOGISTIK GMBH", "NORDWIND LOGISTIK GMBH"),
        ("Bank account holder: IT OPS", "IT OPS"),
        # products and firms after a booking's or a card's cue
        ("Booking for SAP Concur users is closed until Monday.", "SAP Concur"),
        ("Reservation for ORACLE Cloud, 3 seats.", "ORACLE Cloud"),
        ("Cardholder AMEX Platinum benefits apply.", "AMEX Platinum"),
        # closings signed by a team
        ("Yours sincerely,\n\nThe Payroll Team", "Payroll Team"),
        # a product or a firm next to a department word in running text
        ("Data from Snowflake in finance is loaded nightly.", "Snowflake"),
        ("Oracle, accounts payable module, version 12.", "Oracle"),
        # the parties of a transcript are roles
        ("Agent: Thank you for calling, who am I speaking with?\nCaller: it's about my order.\n"
         "Agent: Can you give me the order number?\nCaller: Yes, one moment.", "Caller"),
        ("Agent: Thank you for calling, who am I speaking with?\nCaller: it's about my order.\n"
         "Agent: Can you give me the order number?\nCaller: Yes, one moment.", "Agent"),
        # a network a site offers its guests
        ("Guest Wi-Fi access was set up for the visitors by reception.", "Guest Wi-Fi"),
        # a firm's department after its name, in lower case
        ("The meeting room is booked by Simac facilities for the whole day.", "Simac"),
        ("Catering is ordered by Kalla, Nagar and Bakshi facilities.", "Kalla"),
        # attendance labels of minutes
        ("Present: Sean Stone, Dr Natasha Cunningham and Pieter Bos.", "Present"),
        # a firm replying to an invitation
        ("Hollmann Logistics accepted this invitation.", "Hollmann Logistics"),
    ],
)
def test_firms_roles_and_products_of_these_shapes_are_not_persons(
    detector: PiiDetector, text: str, value: str
) -> None:
    assert not _flagged(detector, text, value, "PERSON")


# -- dates of birth and phones ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Our records show your date of birth as 14 March 1988 and your grade as B2.", "14 March 1988"),
        ("Our records show your date of birth as 1979-06-02.", "1979-06-02"),
        ("Agent: Can you confirm your date of birth?\nCaller: 21.11.1990.", "21.11.1990"),
    ],
)
def test_birth_dates_stated_as_or_answered(detector: PiiDetector, text: str, value: str) -> None:
    assert _covered(detector, text, value, "DATE_OF_BIRTH")


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Agent: Can you confirm the order date?\nCaller: 2024-12-27.", "2024-12-27"),
        ("The contract starts as of 2025-01-01; the date of birth field stays empty.", "2025-01-01"),
    ],
)
def test_other_dates_are_not_birth_dates(detector: PiiDetector, text: str, value: str) -> None:
    assert not _flagged(detector, text, value, "DATE_OF_BIRTH")


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Agent: Which version are you on?\nCaller: 5.3.0.73490, since the last upgrade.", "5.3.0.73490"),
        ("Agent: Which build?\nCaller: 2024.3.1389 on the test system.", "2024.3.1389"),
    ],
)
def test_versions_after_a_phone_cue_are_not_phones(detector: PiiDetector, text: str, value: str) -> None:
    assert not _flagged(detector, text, value, "PHONE_NUMBER")


def test_a_dotted_phone_after_its_cue_stays_a_phone(detector: PiiDetector) -> None:
    text = "Caller: please ring me back on +34 612.59.27.23 after five."
    assert _flagged(detector, text, "612.59.27.23", "PHONE_NUMBER")


# -- a letter's address block ----------------------------------------------------------------------

_LETTER = (
    "Private and confidential\nTrevor Lang\n5512 Maple Crossing\nSpringfield, OH 43316\n\nDear Mr Lang,\n\nthank you."
)


def test_the_name_heading_an_address_block_is_a_person(detector: PiiDetector) -> None:
    assert _covered(detector, _LETTER, "Trevor Lang")
    assert _covered(detector, _LETTER, "5512 Maple Crossing\nSpringfield, OH 43316", "LOCATION")


def test_the_salutation_after_an_address_block_is_no_part_of_it(detector: PiiDetector) -> None:
    assert not _flagged(detector, _LETTER, "Dear", "LOCATION")


def test_a_firm_heading_an_address_block_is_no_person(detector: PiiDetector) -> None:
    text = "Invoice to:\nNordwind Logistik GmbH\n12 Quay Street\nBristol BS1 4DJ"
    assert not _flagged(detector, text, "Nordwind Logistik GmbH", "PERSON")


# -- an invitation's attendee lines -----------------------------------------------------------------

_INVITE = ("Invitation: mapping review\nOrganizer: Ilse Vermeulen\nRequired: Maurits Lanting; Gideon Sarr; "
           "planning@example.org\nOptional: ROSALIND THORNE (external), Henrike Saalfeld")


@pytest.mark.parametrize("value", ["Maurits Lanting", "Gideon Sarr", "ROSALIND THORNE", "Henrike Saalfeld"])
def test_attendees_of_an_invitation_are_persons(detector: PiiDetector, value: str) -> None:
    assert _covered(detector, _INVITE, value)


@pytest.mark.parametrize("value", ["Finance Team", "Project Board", "SAP Concur", "Conference Room"])
def test_units_products_and_rooms_on_attendee_lines_are_not_persons(detector: PiiDetector, value: str) -> None:
    text = "Required: Finance Team; Project Board; IT OPS\nOptional: SAP Concur (external), Conference Room 4"
    assert not _flagged(detector, text, value, "PERSON")


def test_a_clause_number_does_not_start_an_address(detector: PiiDetector) -> None:
    text = "A discount needs approval under § 16.11 of the Harbour Loop Travel Policy."
    assert not _flagged(detector, text, "11 of the Harbour Loop", "LOCATION")


def test_a_house_number_still_starts_an_address(detector: PiiDetector) -> None:
    text = "Deliver the kit to 11 Harbour Loop, Bristol BS1 4DJ before Monday."
    assert _flagged(detector, text, "11 Harbour Loop", "LOCATION")
