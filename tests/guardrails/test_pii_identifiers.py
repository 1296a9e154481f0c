"""Identifier recall in other wordings and languages, with the precision guards of each rule.

Real Presidio engine and spaCy model. Every sentence is written for these rules (no evaluation-set
text); identifier values are synthetic and pass their checksum where one exists.
"""

from __future__ import annotations

import pytest

from guardrails.pii import PiiDetector
from tests.guardrails.pii_probe import contains as _covered
from tests.guardrails.pii_probe import overlaps as _flagged


def _typed(detector: PiiDetector, text: str) -> set[tuple[str, str]]:
    return {(s.entity_type, text[s.start : s.end]) for s in detector.detect(text)}


# -- passports: cue vocabulary in several languages, a few words between cue and value --------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Her passport number is X4412209; the visa is stamped on page 4.", "X4412209"),
        ("Reisepass-Nr.: C01X00T47 (gültig bis 2031).", "C01X00T47"),
        ("Paspoortnummer: NW1K2L3M4, afgegeven in Utrecht.", "NW1K2L3M4"),
        ("Pasaporte del consultor: número XDA123456, presentado en la recepción.", "XDA123456"),
        ("The consultant's passport no. is P7723105 according to HR.", "P7723105"),
        ("Travel document no. LK0039521 was scanned at check-in.", "LK0039521"),
        # A nine-digit passport number that also passes the Dutch BSN check: "ID" names the passport's number.
        ("The hotel needs the guest's passport ID 123456782 at check-in.", "123456782"),
        ("We recorded the travel ID J40917725 for the contractor.", "J40917725"),
    ],
)
def test_passport_after_cue_in_other_wordings(detector: PiiDetector, text: str, value: str) -> None:
    assert _covered(detector, text, value, "PASSPORT"), detector.detect(text)


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("K30918274 (passport) was checked at the door.", ["K30918274"]),
        ("M55102938 is her passport number.", ["M55102938"]),
        ("| **Passport:** | 304417765 |", ["304417765"]),
        ("Passports R20938475 and T77120394 were scanned.", ["R20938475", "T77120394"]),
        ("Passport and visa: W19283746, stamped on arrival.", ["W19283746"]),
    ],
)
def test_passport_before_its_cue_in_lists_and_tables(detector: PiiDetector, text: str, values: list[str]) -> None:
    for value in values:
        assert _covered(detector, text, value, "PASSPORT"), detector.detect(text)


def test_passport_a_few_words_after_its_cue(detector: PiiDetector) -> None:
    text = "Her passport, issued in Lisbon last spring: X1234567, is still valid."
    assert _covered(detector, text, "X1234567", "PASSPORT"), detector.detect(text)
    text = "The passport presented at the front desk was 533380006."
    assert _covered(detector, text, "533380006", "PASSPORT"), detector.detect(text)
    # An amount, a record id or the next sentence's number is not the cue's value.
    negatives = "Passport photos cost 123456789 cents. Passport office closed. Call 987654321 tomorrow."
    assert not any(s.entity_type == "PASSPORT" for s in detector.detect(negatives)), detector.detect(negatives)


def test_ticket_named_after_a_passport_matter_is_no_passport(detector: PiiDetector) -> None:
    text = "Ticket INC0037564 (passport renewal) is open; order 45001234 passport fee was paid."
    assert not any(s.entity_type == "PASSPORT" for s in detector.detect(text)), detector.detect(text)
    assert _covered(detector, "Q44120938 (passport) was copied.", "Q44120938", "PASSPORT")


def test_passport_cue_does_not_reach_past_other_labels(detector: PiiDetector) -> None:
    text = (
        "Passport renewal ticket INC0037564 is open. Passport expires 2031-05-01. "
        "The passport number of the contractor is AB7741203."
    )
    got = _typed(detector, text)
    assert ("PASSPORT", "AB7741203") in got
    assert not _flagged(detector, text, "INC0037564") and not _flagged(detector, text, "2031-05-01")


# -- driving licences -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("My driver's licence number is D1234-56789-0 and it is valid.", "D1234-56789-0"),
        ("Führerscheinnummer B072RRE2I55 liegt der Akte bei.", "B072RRE2I55"),
    ],
)
def test_driving_licence_after_cue(detector: PiiDetector, text: str, value: str) -> None:
    assert _covered(detector, text, value, "DRIVER_LICENSE"), detector.detect(text)


# -- BIC / SWIFT ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Refunds go to bank code: DEUTDEFF500 within five days.", "DEUTDEFF500"),
        ("The Swift code of the receiving bank is BNPAFRPP.", "BNPAFRPP"),
        ("Código SWIFT del banco: CAIXESBBXXX para la transferencia.", "CAIXESBBXXX"),
        ("Code banque BNPAFRPPXXX indiqué sur le RIB.", "BNPAFRPPXXX"),
    ],
)
def test_bic_after_cue_in_other_wordings(detector: PiiDetector, text: str, value: str) -> None:
    assert _covered(detector, text, value, "SWIFT_CODE"), detector.detect(text)


def test_bic_in_bank_context_but_never_a_word(detector: PiiDetector) -> None:
    text = "Bankverbindung: Commerzbank, COBADEFFXXX\nOur bank NOTIFIED us about the SOFTWARE change."
    assert _covered(detector, text, "COBADEFFXXX", "SWIFT_CODE"), detector.detect(text)
    assert not _flagged(detector, text, "NOTIFIED") and not _flagged(detector, text, "SOFTWARE")
    shouting = "THE BANK NOTIFIED CUSTOMER SERVICE. The SWIFT network NOTIFIED the bank."
    assert not any(s.entity_type == "SWIFT_CODE" for s in detector.detect(shouting))


# -- national identifiers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Steueridentifikationsnummer: 65929970489 (laut Lohnsteuerkarte).", "65929970489"),
        ("Burgerservicenummer van de medewerker: 111222333.", "111222333"),
        ("The tax identification number (TIN) of the employee is 65929970489.", "65929970489"),
        ("Her national identifier TN441207A is temporary.", "TN441207A"),
        ("Codice fiscale RSSMRA85T10A562S del consulente.", "RSSMRA85T10A562S"),
        ("AHV-Nr. 756.1234.5678.97 des Mitarbeiters.", "756.1234.5678.97"),
        # the German regional tax number of a sole trader, slashes and all
        ("Steuernummer 21/815/08150 des Einzelunternehmers.", "21/815/08150"),
        ("St.-Nr. 181/815/08155, Finanzamt Köln-Mitte", "181/815/08155"),
    ],
)
def test_national_id_with_cue_in_other_wordings(detector: PiiDetector, text: str, value: str) -> None:
    assert _covered(detector, text, value, "NATIONAL_ID"), detector.detect(text)


def test_nine_digit_id_after_a_long_social_security_cue_stays_a_national_id(detector: PiiDetector) -> None:
    # A Dutch BSN is often called a social security number; the SSN cue keeps its short reach.
    text = "The social security number of the employee is 111222333."
    got = _typed(detector, text)
    assert ("NATIONAL_ID", "111222333") in got and not any(t == "US_SSN" for t, _ in got), got


@pytest.mark.parametrize(
    ("text", "value"),
    [
        # Checksum-valid numbers (BSN, Steuer-ID, PESEL) behind the id label of a business record.
        ("Order id 111222333 shipped yesterday.", "111222333"),
        ("Customer identification number 65929970489 was merged into the new account.", "65929970489"),
        ("Ticket ID 44051401359 was closed after the fix.", "44051401359"),
        # a tax number's shape without a tax cue
        ("Invoice 21/815/08150 dated 2024-05-01.", "21/815/08150"),
    ],
)
def test_record_ids_are_not_national_ids(detector: PiiDetector, text: str, value: str) -> None:
    assert not _flagged(detector, text, value), detector.detect(text)


# -- IBAN and phones --------------------------------------------------------------------------------


def test_lower_case_iban_after_its_cue(detector: PiiDetector) -> None:
    text = "please wire it to iban nl91abna0417164300 today"
    assert _covered(detector, text, "nl91abna0417164300", "IBAN_CODE"), detector.detect(text)


def test_phone_with_extension_and_compound_cues(detector: PiiDetector) -> None:
    text = "Fax 212-555-0148x220 for the signed form."
    assert _flagged(detector, text, "212-555-0148"), detector.detect(text)
    text = "Ihre Telefonnummer lautet 4711 229 905, bitte zurückrufen."
    assert _covered(detector, text, "4711 229 905", "PHONE_NUMBER"), detector.detect(text)


def test_person_reachable_on_a_phone_shaped_number(detector: PiiDetector) -> None:
    text = "The escalation manager is on 06 41 72 93 05 during the cut-over."
    assert _covered(detector, text, "06 41 72 93 05", "PHONE_NUMBER"), detector.detect(text)
    text = "Sabine ist unter 08778 932879 erreichbar."
    assert _covered(detector, text, "08778 932879", "PHONE_NUMBER"), detector.detect(text)
    records = "The order is on 4500012345 and the invoice is on 0612345678 in the portal."
    assert not any(s.entity_type == "PHONE_NUMBER" for s in detector.detect(records)), detector.detect(records)


def test_phone_labelled_after_the_number(detector: PiiDetector) -> None:
    text = "Amira can be booked via 0612 48 22 91 (office) during the cut-over."
    assert _covered(detector, text, "0612 48 22 91", "PHONE_NUMBER"), detector.detect(text)
    order = "Invoice 2024 5567 8812 office supplies were delivered."
    assert not any(s.entity_type == "PHONE_NUMBER" for s in detector.detect(order))


# -- postal addresses: street + postcode + city as one span -----------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Las muestras se envían a Calle de Alcalá 45, Madrid, 28014 antes del viernes.",
         "Calle de Alcalá 45, Madrid, 28014"),
        ("Die Ware geht an Mariahilfer Straße 12, 1070 Wien und nicht ins Lager.", "Mariahilfer Straße 12, 1070 Wien"),
        ("Stuur de factuur naar Kortrijksesteenweg 1200, 9051 Gent voor vrijdag.",
         "Kortrijksesteenweg 1200, 9051 Gent"),
        ("Livraison au 22 rue Haute, 1000 Bruxelles avant midi.", "22 rue Haute, 1000 Bruxelles"),
    ],
)  # fmt: skip
def test_address_forms_are_one_span(detector: PiiDetector, text: str, value: str) -> None:
    assert _covered(detector, text, value, "LOCATION"), detector.detect(text)


def test_four_digit_postcode_needs_a_street(detector: PiiDetector) -> None:
    text = "Ship to Lindengasse 8, 1070 Wien. In 2024 Berlin hosted the summit; 1500 Seats were sold."
    assert _covered(detector, text, "Lindengasse 8, 1070 Wien", "LOCATION"), detector.detect(text)
    assert not _flagged(detector, text, "2024 Berlin") and not _flagged(detector, text, "1500 Seats")


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Mail me at anna (at) example (dot) com for the slides.", "anna (at) example (dot) com"),
        ("Contact: j.doe[at]corp[.]de", "j.doe[at]corp[.]de"),
        ("Write to jan [at] firma.nl before Friday.", "jan [at] firma.nl"),
    ],
)
def test_email_spelt_out_against_harvesting(detector: PiiDetector, text: str, value: str) -> None:
    assert _covered(detector, text, value, "EMAIL_ADDRESS"), detector.detect(text)


def test_at_and_dot_in_prose_are_no_email(detector: PiiDetector) -> None:
    text = "We meet at the office (at) 10:00 and look at the dot plot."
    assert not any(s.entity_type == "EMAIL_ADDRESS" for s in detector.detect(text))


# -- a checksum-valid national identifier among a person's details, without a cue ------------------
# (PESEL 44051401359, BSN 111222333 and Aadhaar 2341 2341 2346 verify; 111222334 and 44051401358 do not)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Sole proprietor ANNA NOWAK, 44051401359, ul. Polna 9, 00-950 Warszawa.", "44051401359"),
        ("Freelancer: Pieter de Vries, 111222333, Kerkstraat 12, 1017 GC Amsterdam", "111222333"),
        ("Contractor Rohan Mehta (2341 2341 2346), 14 MG Road, Pune 411001", "2341 2341 2346"),
        ("| Ewa Lis | 44051401359 | ul. Długa 5, 80-831 Gdańsk |", "44051401359"),
    ],
)
def test_checksum_id_beside_a_persons_details_is_a_national_id(detector: PiiDetector, text: str, value: str) -> None:
    assert _covered(detector, text, value, "NATIONAL_ID"), detector.detect(text)
    # a role entitled to phone numbers must not see it as one
    assert not _flagged(detector, text, value, "PHONE_NUMBER"), detector.detect(text)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        # a word before the number names what it is
        ("Pieter de Vries, PO 111222333, Kerkstraat 12, 1017 GC Amsterdam", "111222333"),
        ("Order 111222333 shipped to Kerkstraat 12, 1017 GC Amsterdam.", "111222333"),
        # no person's detail beside it
        ("Batch totals: 111222333, 222333444 and 333444555 rows.", "111222333"),
        # beside a name, but the checksum fails
        ("Sole proprietor ANNA NOWAK, 44051401358, ul. Polna 9, 00-950 Warszawa.", "44051401358"),
    ],
)
def test_number_without_id_evidence_stays_no_national_id(detector: PiiDetector, text: str, value: str) -> None:
    assert not _flagged(detector, text, value, "NATIONAL_ID"), detector.detect(text)


def test_checksum_id_under_a_record_column_stays_business_data(detector: PiiDetector) -> None:
    text = "| Contact | Order number |\n|---|---|\n| Ewa Lis | 111222333 |\n| Jan Kos | 44051401359 |"
    assert not _flagged(detector, text, "111222333", "NATIONAL_ID"), detector.detect(text)
    assert not _flagged(detector, text, "44051401359", "NATIONAL_ID"), detector.detect(text)


# -- a UK national insurance number with a placeholder prefix or suffix; "on file"/"on record" -----


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("National Insurance number: ZZ 57 36 81 T", "ZZ 57 36 81 T"),
        ("Her NI number ZZ145475T is on the P45.", "ZZ145475T"),
        ("| Name | National Insurance number |\n|---|---|\n| Ewa Lis | TN 20 03 32 E |", "TN 20 03 32 E"),
        ("Please update the BSN on file to 111222333 before payroll runs.", "111222333"),
        ("The PESEL on record: 44051401359.", "44051401359"),
    ],
)
def test_cued_identifiers_without_checksum_or_after_on_file(detector: PiiDetector, text: str, value: str) -> None:
    assert _covered(detector, text, value, "NATIONAL_ID"), detector.detect(text)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Batch ZZ 12 34 56 T shipped on time.", "ZZ 12 34 56 T"),
        ("| Item | Code |\n|---|---|\n| Cable | AB 20 03 32 X |", "AB 20 03 32 X"),
        ("The order on file to 111222333 was cancelled.", "111222333"),
        # "on file"/"on record" are filler phrases; "record" alone is a record's label
        ("The tax id record 111222333 was archived.", "111222333"),
    ],
)
def test_identifier_shapes_without_a_cue_stay(detector: PiiDetector, text: str, value: str) -> None:
    assert not _flagged(detector, text, value, "NATIONAL_ID"), detector.detect(text)


# -- e-mail addresses end in a top-level domain; a package pinned to its version is none -----------


@pytest.mark.parametrize(
    "text",
    [
        "Install @azure/identity@4.2.0 and restart the worker.",
        "Pin lodash@4.17.21 in package.json before the build.",
        "The lock file keeps requests@2.32.3 and urllib3@2.2.1.",
    ],
)
def test_package_at_version_is_no_email(detector: PiiDetector, text: str) -> None:
    assert not any(s.entity_type == "EMAIL_ADDRESS" for s in detector.detect(text)), detector.detect(text)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Write to j.o'neill+erp@corp.internal before noon.", "j.o'neill+erp@corp.internal"),
        ("Her address is anna@mail.example.co.uk.", "anna@mail.example.co.uk"),
        ("Contact bob@xn--mller-kva.de for the invoice.", "bob@xn--mller-kva.de"),
    ],
)
def test_emails_on_any_letter_tld(detector: PiiDetector, text: str, value: str) -> None:
    assert _covered(detector, text, value, "EMAIL_ADDRESS"), detector.detect(text)


# -- IP addresses a single host holds; configuration addresses and encoding names are none ---------


def test_hostless_ip_addresses_are_no_personal_data(detector: PiiDetector) -> None:
    text = "Bind the service to 0.0.0.0 and ::1 (not 127.0.0.1); 255.255.255.255 and 224.0.0.251 are dropped."
    assert not any(s.entity_type == "IP_ADDRESS" for s in detector.detect(text)), detector.detect(text)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Anna logged in from 85.214.12.7 at 09:14.", "85.214.12.7"),
        ("Her laptop at 10.2.33.4 was flagged by the scanner.", "10.2.33.4"),
        ("The login came from 2a02:8108:1240:7a00::1f.", "2a02:8108:1240:7a00::1f"),
    ],
)
def test_host_ip_addresses_stay_redacted(detector: PiiDetector, text: str, value: str) -> None:
    assert _covered(detector, text, value, "IP_ADDRESS"), detector.detect(text)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Files up to 33MB in UTF-8 are accepted.", "UTF-8"),
        ("Hashes are stored as SHA-256 in Berlin-hosted storage.", "SHA-256"),
    ],
)
def test_encoding_and_standard_names_are_no_place(detector: PiiDetector, text: str, value: str) -> None:
    assert not _flagged(detector, text, value), detector.detect(text)


# -- national numbers of more countries after their cue (values pass their checksum) ---------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("SIN: 130 692 007", "130 692 007"),
        ("Please update the henkilötunnus on file to 131052-308T before payroll runs.", "131052-308T"),
        ("Tapio Kallio, henkilötunnus 131052-308T, joins on Monday.", "131052-308T"),
        ("Fødselsnummer: 01019010046", "01019010046"),
        ("CNP 1800101221144 was checked by HR.", "1800101221144"),
        ("NSS del empleado: 12345678903", "12345678903"),
    ],
)
def test_more_national_numbers_after_their_cue(detector: PiiDetector, text: str, value: str) -> None:
    assert _covered(detector, text, value, "NATIONAL_ID"), detector.detect(text)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        # a Luhn-valid run without a cue, even beside a person's details, is no identifier
        ("Jan Kos, 12345678903, Kerkstraat 12, 1017 GC Amsterdam", "12345678903"),
        # "sin" in Spanish is "without"
        ("Precio sin IVA 130692007 pesos.", "130692007"),
        # beside the cue but failing its checksum
        ("SIN: 130 692 008", "130 692 008"),
    ],
)
def test_weak_checks_need_their_cue(detector: PiiDetector, text: str, value: str) -> None:
    assert not _flagged(detector, text, value, "NATIONAL_ID"), detector.detect(text)
