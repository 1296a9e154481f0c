"""A lower-case speaker of a time-stamped chat line whose message greets or speaks in the first person
is a person, though the model reads no name in lower case; a role's or an automated account's label,
a log level and a message that only instructs take no name.

Real Presidio engine and spaCy model; every text is written for this rule (no evaluation-set text).
"""

from __future__ import annotations

import pytest

from guardrails.pii import PiiDetector
from tests.guardrails.pii_probe import contains as _covered
from tests.guardrails.pii_probe import overlaps as _flagged


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("[09:12] kasia: I cannot open the invoice", "kasia"),
        ("[16:40] oyelaran: hello, my delivery never arrived\n[16:41] bot: Sorry to hear that.", "oyelaran"),
        ("[08:03] wojtek: hi, is the portal down?", "wojtek"),
        ("[11:20:05] ines: my password expired this morning", "ines"),
    ],
)
def test_speaking_lower_case_speaker_is_a_person(detector: PiiDetector, text: str, name: str) -> None:
    assert _covered(detector, text, name)


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("[10:02] agent: hi, how can I help?", "agent"),
        ("[10:03] supportbot: Hi! I can reset your password.", "supportbot"),
        ("[10:05] warning: please restart the service", "warning"),
        ("[10:05] error: I/O error on disk sdb", "error"),
        ("[10:05] nightly: please check the build", "nightly"),
        ("[10:05] update: my changes are live", "update"),
    ],
)
def test_roles_accounts_and_log_labels_are_no_people(detector: PiiDetector, text: str, label: str) -> None:
    assert not _flagged(detector, text, label, "PERSON")
