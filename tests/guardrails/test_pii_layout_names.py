"""Person names the layout of chat, minutes, logs and letters marks: chat speakers, @-mentions,
action-item owners, actors of a log line, greetings and closings, role labels of records; and the
labels, departments, system actors and firms in the same layouts that stay non-person.

Real Presidio engine and spaCy model; every sentence is written for these rules (no evaluation-set text).
"""

from __future__ import annotations

import pytest

from guardrails.pii import PiiDetector
from tests.guardrails.pii_probe import contains as _covered


@pytest.mark.parametrize(
    ("text", "name"),
    [
        # chat: a speaker after a time stamp, the speakers of a conversation, @-mentions
        ("[09:14] Marieke: the import failed again on the staging tenant", "Marieke"),
        ("09:15 Karthik: I can look at it after lunch", "Karthik"),
        ("Karthik: I can look at it after lunch\nMarieke: thanks, ping me when done", "Marieke"),
        ("@Bartosz can you check the failed job?", "Bartosz"),
        # minutes: owners of action items, one after the other on the line
        ("Action items: Jeroen to update the mapping, Agnieszka to confirm the cut-over date.", "Agnieszka"),
        ("- Tomasz will re-run the load test", "Tomasz"),
        # logs and tickets: who did it
        ("Login by Pooja Sharma from 10.2.3.4 succeeded.", "Pooja Sharma"),
        ("Role changed by Grzegorz at 10:41.", "Grzegorz"),
        ("User jdoe (Julia Schmidt) changed the approval limit.", "Julia Schmidt"),
        # greetings and closings
        ("Hey Arjun - the batch is stuck again.", "Arjun"),
        ("Morning Wojciech, any news on the credit note?", "Wojciech"),
        ("Thanks, Lotte", "Lotte"),
        ("Cheers\nSiddharth", "Siddharth"),
        ("Pozdrawiam\nKasia", "Kasia"),
        # role labels of records and CRM notes
        ("Buddy assigned: Femke.", "Femke"),
        ("Decision maker - Ravi Rao, CFO", "Ravi Rao"),
        # the partner of a first name found by its cue
        ("Met Joanna and Piet at the partner day.", "Piet"),
    ],
)
def test_layout_marks_a_person(detector: PiiDetector, text: str, name: str) -> None:
    assert _covered(detector, text, name), detector.detect(text)


@pytest.mark.parametrize(
    "text",
    [
        # record fields and definition lists are no conversation
        "Severity: high impact on billing\nComponent: payment gateway\nComment: we restarted it twice",
        "Executions: number of times the template ran\n\nTrend: popularity of the plugin over time",
        "[09:14] System: backup completed\n[09:15] Monitor: disk usage 81%",
        # departments, firms and messages in the place of an action item's owner
        "Action items: Legal to review the indemnity clause; Procurement to confirm the PO.",
        "- Finance will approve the budget.",
        "Nordwind to deliver the hardware by Friday.",
        "Dupont SAS to confirm the delivery date.",
        "java.lang.RuntimeException: Failed to start the service",
        # system actors of a log line
        "Ticket closed by Scheduler at 02:00; reopened by Automation.",
        "Record updated by Integration User via API.",
        "@Finance please approve PO-778812.",
        # greetings and closings before a product, a team or a firm
        "Welcome to Ledger Insight 7.2!",
        "Thanks, Procurement!",
        "Cheers\nThe Alder Support Team",
        "Best regards,\nContoso Logistics GmbH",
        "Account owner: Contoso Logistics GmbH",
        "Approver: Finance Director",
    ],
)
def test_same_layouts_without_a_person(detector: PiiDetector, text: str) -> None:
    assert [s for s in detector.detect(text) if s.entity_type == "PERSON"] == []


@pytest.mark.parametrize(
    ("text", "name"),
    [
        # a bracketed note between a name and its verb
        ("Notes: Hugo Lefebvre (finance) disagrees with the surcharge.", "Hugo Lefebvre"),
        # the last item of a list of full names
        ("Thomas Dubois, Sophie Laurent and Lucas Bernard were present.", "Lucas Bernard"),
        # what people, rarely firms, do in minutes
        ("As agreed, Anneke Vermeulen will chase the missing credit note.", "Anneke Vermeulen"),
    ],
)
def test_sentence_marks_a_full_name(detector: PiiDetector, text: str, name: str) -> None:
    assert _covered(detector, text, name), detector.detect(text)


@pytest.mark.parametrize(
    "text",
    [
        "Blue Harbor will send the invoice.",
        "Red Hat will review the patch.",
        "Contoso Logistics (EMEA) disputes the invoice.",
    ],
)
def test_firms_doing_what_firms_do_are_not_people(detector: PiiDetector, text: str) -> None:
    assert [s for s in detector.detect(text) if s.entity_type == "PERSON"] == []
