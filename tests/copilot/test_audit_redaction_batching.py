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


def test_a_repeated_question_reuses_its_spans_and_the_cache_is_bounded(detector):
    class Counting:
        def __init__(self):
            self.texts: list[str] = []

        def detect_batch(self, texts):
            self.texts += texts
            return detector.detect_batch(texts)

    counting = Counting()
    batched = _BatchedDetector(counting, cache_size=2)
    first = redact_for_log(QUESTIONS[0], batched)
    assert redact_for_log(QUESTIONS[0], batched) == first == redact_for_log(QUESTIONS[0], detector)
    assert counting.texts == [QUESTIONS[0]]
    redact_for_log(QUESTIONS[1], batched)
    redact_for_log(QUESTIONS[2], batched)  # evicts the first (cache of 2)
    redact_for_log(QUESTIONS[0], batched)
    assert counting.texts == [QUESTIONS[0], QUESTIONS[1], QUESTIONS[2], QUESTIONS[0]]


def test_a_question_being_detected_is_waited_for_not_detected_again(detector):
    started, release = threading.Event(), threading.Event()
    batches: list[list[str]] = []

    class Held:  # the real detector, its first batch held until a second caller has arrived
        def detect_batch(self, texts):
            batches.append(list(texts))
            started.set()
            release.wait(30)
            return detector.detect_batch(texts)

    batched = _BatchedDetector(Held())
    out: dict[int, list] = {}
    first = threading.Thread(target=lambda: out.__setitem__(1, batched.detect(QUESTIONS[0])))
    first.start()
    assert started.wait(30)
    second = threading.Thread(target=lambda: out.__setitem__(2, batched.detect(QUESTIONS[0])))
    second.start()
    second.join(timeout=0.5)  # it waits for the first caller's result
    assert second.is_alive()
    release.set()
    first.join(timeout=30)
    second.join(timeout=30)
    assert batches == [[QUESTIONS[0]]]
    assert out[1] == out[2] == detector.detect(QUESTIONS[0]) and out[1]
