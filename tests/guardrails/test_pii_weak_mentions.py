"""First names with a weak cue in ticket comments, hand-overs, team chat and e-mail openings: what
the sentence says only of a person marks them; product, team and place names in the same sentence
shapes stay text.

Real Presidio engine and spaCy model. Every sentence is written for these rules (no evaluation-set
text).
"""

from __future__ import annotations

import pytest

from guardrails.pii import PiiDetector
from tests.guardrails.pii_probe import contains as _covered
from tests.guardrails.pii_probe import overlaps as _flagged


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Your buddy is Aiko.", "Aiko"),
        ("The approver is Lars, please wait for him.", "Lars"),
        ("Hi Priya and Tom,", "Priya"),
        ("Hi Priya and Tom,", "Tom"),
        ("Reviewed by Sunita, looks good.", "Sunita"),
        ("Dzień dobry Małgorzata, dziękuję.", "Małgorzata"),
        ("Goedemiddag Eline,", "Eline"),
        ("Synced with Ravi today; he will share the logs.", "Ravi"),
        ("Lunch with Yusuf at 13:00.", "Yusuf"),
        ("As discussed with Kenji yesterday, we will postpone.", "Kenji"),
        ("Catch-up with Ewa and Tomasz on Friday.", "Tomasz"),
        ("Zofia from procurement asked for the PO.", "Zofia"),
        ("Fatima is out sick today; Leo covers for her.", "Fatima"),
        ("Fatima is out sick today; Leo covers for her.", "Leo"),
        ("Sanne (support) will call the customer back.", "Sanne"),
        ("Rosa will be on holiday next week.", "Rosa"),
        ("Hanna joined as a data analyst in May.", "Hanna"),
        ("Tariq and I reviewed the logs.", "Tariq"),
        ("Pieter's laptop was replaced.", "Pieter"),
        ("Ticket reassigned to Helga.", "Helga"),
        ("Delegated to Bram while I am away.", "Bram"),
        ("Dank je Sem, top.", "Sem"),
        ("Comment by Oskar (2024-05-01): reproduced on staging.", "Oskar"),
        ("Interviewer: Sven", "Sven"),
        ("Prepared for: Hugo Blanc", "Hugo Blanc"),
        # e-mail headers in the languages served
        ("Von: Anya\nAn: Team Einkauf", "Anya"),
        ("De : Camille\nÀ : support", "Camille"),
        ("Van: Thijs\nAan: Inkoop", "Thijs"),
        ("De: Pablo\nPara: Compras", "Pablo"),
        ("Od: Zuzanna\nDo: Zakupy", "Zuzanna"),
    ],
)
def test_weakly_cued_first_names(detector: PiiDetector, text: str, name: str) -> None:
    assert _covered(detector, text, name), detector.detect(text)


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("Synced with Salesforce today; it will share the logs.", "Salesforce"),
        ("Reviewed by Azure Policy, looks good.", "Azure"),
        ("The approver is Procurement, please wait.", "Procurement"),
        ("Lunch with Monday team at 13:00.", "Monday"),
        ("As discussed with Ops yesterday, we will postpone.", "Ops"),
        ("Meeting with Kafka and Spark experts on Friday.", "Kafka"),
        ("Checked by Jenkins on 12 May.", "Jenkins"),
        ("Hi Ireland team,", "Ireland"),
        ("Your plan is Premium.", "Premium"),
        ("Windows is out of support; Linux covers the servers.", "Linux"),
        # a "she" with another capitalised word between takes that one up
        ("Integration with Workday went live and Anna said she will check it.", "Workday"),
        ("The owner is SAP Basis.", "SAP"),
        # firms meet, call, agree, own, host and join as partners too
        ("We met with Acme on Tuesday.", "Acme"),
        ("We agreed with Initech on the price.", "Initech"),
        ("The owner is Contoso.", "Contoso"),
        ("Hooli joined as a partner in 2021.", "Hooli"),
        ("Stark's calendar shows the release window.", "Stark"),
        ("Discussed with Cyberdyne Systems yesterday.", "Cyberdyne"),
        # a "he"/"she" after a place, a firm or a subject is no evidence
        ("She moved from Lisbon last year and she loves it.", "Lisbon"),
        ("He works for Google and he likes it.", "Google"),
        ("Slack crashed again, she said.", "Slack"),
        ("To: Procurement\nCc: Finance", "Procurement"),
        ("Comment by Jira Automation (2024-05-01): closed.", "Jira"),
        ("Ticket reassigned to Acme Support.", "Acme"),
        ("From: IT Service Desk\nSubject: outage", "Service"),
        # a header label alone, with no other header line, is no e-mail header
        ("De: Lisboa", "Lisboa"),
    ],
)
def test_product_team_and_day_names_stay_text(detector: PiiDetector, text: str, word: str) -> None:
    assert not _flagged(detector, text, word), detector.detect(text)
