"""Questions audited at the same moment are redacted in one detector batch, with the same spans
as one by one."""

from __future__ import annotations

import threading

import pytest

from copilot.api.middleware import _BatchedDetector
from copilot.core.redact import redact_for_log


@pytest.fixture(scope="module")
def detector():
    from guardrails.pii import get_detector

    return get_detector()


QUESTIONS = [
    "Please ask Maria Rossi from Alder for the sign-off",
    "Send the SLA report to anna.schmidt@example.com",
    "Who approves a change request?",
    "Call +49 30 1234567 about the hypercare period",
    "IBAN DE89 3704 0044 0532 0130 00 for the invoice from Maria Rossi",
    "Who approves a change request?",
]


def test_concurrent_questions_get_the_spans_they_get_alone(detector):
    batched = _BatchedDetector(detector)
    out: dict[int, str] = {}

    def run(i):
        out[i] = redact_for_log(QUESTIONS[i], batched)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(QUESTIONS))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    for i, q in enumerate(QUESTIONS):
        assert out[i] == redact_for_log(q, detector), q
    assert "Maria Rossi" not in out[0] and "anna.schmidt" not in out[1] and "DE89" not in out[4]
    assert batched._batcher.encoded <= len(set(QUESTIONS))
