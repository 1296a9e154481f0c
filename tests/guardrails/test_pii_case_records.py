"""Personal data told by structure rather than by the wording of one corpus: names the model misses
because of their case (capitals, lower case) read again in title case where a person's slot holds
them, a surname-first value read in the model's order, travellers' records in the airline order, a
document type ticked in a form, people lists with initials, a name in brackets after a mailbox or a
role, a permit beside a driver; and a list label's capital letter before a new sentence, which is
no initial.

Adversarial negatives beside each: product, feature and plan names in capitals and in table cells
and headers, labels in capitals before a separator, acronym pairs joined by "/", common words in
lower case in prose and in fields, a place after a comma, other permits, shared mailboxes.

Real Presidio engine and spaCy model. Every sentence is written for these rules (no evaluation-set
text).
"""

from __future__ import annotations

import pytest

from guardrails.pii import PiiDetector
from tests.guardrails.pii_probe import contains as _covered
from tests.guardrails.pii_probe import overlaps as _flagged


@pytest.mark.parametrize(
    ("text", "value", "entity_type"),
    [
        # names in capitals after a person's role, or opening a sentence
        ("Card issued to holder MARGOT FELDHAUS on request.", "MARGOT FELDHAUS", "PERSON"),
        ("Reviewed by MARTA KOWALCZYK on Monday.", "MARTA KOWALCZYK", "PERSON"),
        ("RENTAL | main driver ELIAS VAN DER MEULEN | category B", "ELIAS VAN DER MEULEN", "PERSON"),
        ("Registered sole proprietor ROSALIND OKAFOR, trading since 2019.", "ROSALIND OKAFOR", "PERSON"),
        # names in lower case where a person's slot holds them
        ("ONBOARDING\nlegal name: tomasz wierzbicki\nstart date: 2026-03-02", "tomasz wierzbicki", "PERSON"),
        ("[11:40] agent: how can I help?\n[11:41] joanna: hi, my card was charged twice", "joanna", "PERSON"),
        ("ACTION (piet): send the revised draft to legal.", "piet", "PERSON"),
        ("Follow-ups: cache sizing (david brennan), alert tuning (ops).", "david brennan", "PERSON"),
        ("Export of 2026-02-01\n\nliesbeth van dam,ldam@example.org,2026-02-01", "liesbeth van dam", "PERSON"),
        ("| Acme Tools | jonas berg | jberg@example.net | 2026-01-12 |", "jonas berg", "PERSON"),
        ("Ticket REQ448812 created by oskar from the portal.", "oskar", "PERSON"),
        # a surname first, the given name after a comma, filling a field's value or a table cell
        ("Pay to: Brennan, David\nStorgatan 4\n111 22 Stockholm", "Brennan, David", "PERSON"),
        ("| Nordic Parts AB | Okafor, Chidi | chidi@example.org |", "Okafor, Chidi", "PERSON"),
        # the airline order and its record
        ("PASSENGER OKONKWO/ADAEZE MRS\nREF QX7TT2", "OKONKWO/ADAEZE", "PERSON"),
        ("Advance data: document K4417730, 03.02.1979, BERNARDI/LUCA", "BERNARDI/LUCA", "PERSON"),
        ("Advance data: document K4417730, 03.02.1979, BERNARDI/LUCA", "K4417730", "PASSPORT"),
        ("Advance data: document K4417730, 03.02.1979, BERNARDI/LUCA", "03.02.1979", "DATE_OF_BIRTH"),
        # a record that opens the text, a key with a colon only further on
        ("document K4417730, 03.02.1979, BERNARDI/LUCA\nChecked: yes", "K4417730", "PASSPORT"),
        # a ticked box names the document a generic number is
        ("ID checked: [x] passport [ ] ID card; document P77319204 seen.", "P77319204", "PASSPORT"),
        # given-name keys, people lists with an initial, a mailbox's owner, a role's name in square brackets
        ("Surname: Haddad\nGiven names: Yasmin\nNationality: LB", "Yasmin", "PERSON"),
        ("Attendees: Brigid, Tomasz, K. Adeyemi", "Brigid", "PERSON"),
        ("Questions go to tkowal@example.pl (Tadeusz) until June.", "Tadeusz", "PERSON"),
        ("Decision owner [Ingeborg]; due next sprint.", "Ingeborg", "PERSON"),
        # a permit named beside a driver
        ("CAR RENTAL | driver ANA LOPES | permit Z93120455 | 3 days", "Z93120455", "DRIVER_LICENSE"),
    ],
)
def test_personal_values_told_by_structure(detector: PiiDetector, text: str, value: str, entity_type: str) -> None:
    assert _covered(detector, text, value, entity_type)


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        # product, feature and plan names in capitals, in table cells and in headers
        ("| Feature | Status |\n|---|---|\n| SMART ROUTING | enabled |\n| AUTO POST | beta |", "SMART ROUTING"),
        ("| Feature | Status |\n|---|---|\n| SMART ROUTING | enabled |\n| AUTO POST | beta |", "AUTO POST"),
        ("RELEASE NOTES\nThe DATA HUB connector now syncs hourly.", "RELEASE NOTES"),
        ("Product: SALES CLOUD\nPlan: premium support", "premium support"),
        ("| Plan | Seats | Contact |\n| premium support | 40 | sales@example.com |", "premium support"),
        ("Go to the RBAC UI and open the RHDH UI settings.", "RBAC UI"),
        ("The SAP ERP migration and the AWS EKS cluster go live.", "SAP ERP"),
        # labels in capitals before a separator
        ("CAR HIRE | main driver ELIAS VAN DER MEULEN | category B", "CAR HIRE"),
        ("PAYSLIP: March\nNet pay follows.", "PAYSLIP"),
        # acronym pairs joined by "/"
        ("The CI/CD pipeline and the TCP/IP stack; use AND/OR filters.", "CI/CD"),
        ("Convert EUR/USD at the daily rate; route LHR/JFK departs 2026-05-01.", "LHR/JFK"),
        # lower-case words in prose, in fields, in brackets and at a line's start
        ("Blocked since Monday; workaround documented in INC0012345.", "workaround documented"),
        ("Liability caused by negligence or required by law is unlimited.", "negligence"),
        ("Liability caused by negligence or required by law is unlimited.", "law"),
        ("Manufacturing: brew recipes as bills of material.", "brew recipes"),
        ("Vorname: (leer)\nNachname: siehe Anhang", "leer"),
        ("yarn install\nyarn tsc\npip install mkdocs", "yarn tsc"),
        ("Sandbox tenants for demos and training.", "demos"),
        # a place after a comma is no surname-first name
        ("Ship to: Amazon, Seattle", "Amazon"),
        ("Location: Lyon, France", "Lyon"),
        # other permits, and a driver of software
        ("The driver needs a work permit 2026-03-01. Residence permit 12345678 renewed.", "12345678"),
        ("The driver has a work permit AB1234567 and a parking permit 77553311.", "AB1234567"),
        ("Token holder SERVICE ACCOUNT; printer driver NVIDIA GEFORCE installed.", "SERVICE ACCOUNT"),
        ("Token holder SERVICE ACCOUNT; printer driver NVIDIA GEFORCE installed.", "NVIDIA GEFORCE"),
        # a ticked box naming another document types nothing as a passport
        ("Right to work: [ ] passport [x] residence permit; document 77120934.", "77120934"),
        # an automated account speaking in a chat log
        ("[09:00] dependabot: bumped the lock file\n[09:01] mark: ok", "dependabot"),
        ("[14:02] deploybot: pipeline green", "deploybot"),
        # a shared mailbox's tool in brackets
        ("Raise it with help@example.com (Freshdesk) or sales@example.com (Pipedrive).", "Pipedrive"),
    ],
)
def test_structure_without_people_stays_text(detector: PiiDetector, text: str, phrase: str) -> None:
    entity = "PASSPORT" if phrase == "77120934" else None
    assert not _flagged(detector, text, phrase, entity)


@pytest.mark.parametrize("text", ["Interviewers: Ben, Alison", "Attendees: Greta, Hollis"])
def test_a_list_of_first_names_is_no_surname_first_name(detector: PiiDetector, text: str) -> None:
    """Each first name on its own, never one span read as "Alison Ben"."""
    assert not any("," in text[s.start : s.end] for s in detector.detect(text))


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        # a capital letter closing a list label or a noun's name, then a new sentence
        ("Please select option A. Select the tenant and click Save.", "A. Select"),
        ("If the cutover fails, use plan B. Rollback the transport and restore the snapshot.", "B. Rollback"),
        ("- A. Configure the connector\n- B. Verify the sync", "A. Configure"),
        ("Choose tier C. Review the quota before you upgrade.", "C. Review"),
    ],
)
def test_list_label_then_sentence_is_no_initial(detector: PiiDetector, text: str, phrase: str) -> None:
    assert not _flagged(detector, text, phrase, "PERSON")


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("For billing questions contact T. Brooks on Monday.", "T. Brooks"),
        ("Approved by Dr. A. Kowalski and J. Smith.", "A. Kowalski"),
        ("Approved by Dr. A. Kowalski and J. Smith.", "J. Smith"),
        ("J. Smith will send the agenda.", "J. Smith"),
        ("Escalate to our engineer R. Castellanos if the sync stops.", "R. Castellanos"),
    ],
)
def test_real_initials_stay_names(detector: PiiDetector, text: str, name: str) -> None:
    assert _covered(detector, text, name, "PERSON")
