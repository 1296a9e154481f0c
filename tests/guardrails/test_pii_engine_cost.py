"""The cheaper detection path (NER products through numpy's BLAS, bisecting context lookup, column
lemmas) finds exactly what the default path found."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from guardrails.pii import PiiDetector
from guardrails.pii.engine import LANGUAGE, _OneThreadBlas, use_numpy_blas

TEXTS = [
    "Please call Priya Raman on +44 20 7946 0958 or write to priya.raman@example.com before Friday.",
    "Ship to: Jan de Vries, Keizersgracht 123, 1015 CJ Amsterdam. Ticket INC0037564 stays open.",
    "Dear Mr. Okafor,\n\nyour IBAN DE89 3704 0044 0532 0130 00 was updated on 2024-03-01 (release 4.2.1).",
    "Kontakt: Frau Anna Schmidt, Hauptstraße 5, 10115 Berlin, Tel. 030 1234567. Steuer-ID 12345678903.",
    "The Northwind Portal release notes mention no person; order 55512345 shipped in 3 parcels.",
    ("Escalation owner Ahmed Khan signed the renewal. " * 40) + "Reach Maria Garcia at 555-010-4477.",
]


@pytest.fixture(scope="module")
def nlp(detector: PiiDetector) -> Any:
    return detector.analyzer.nlp_engine.nlp[LANGUAGE]


def test_ner_products_run_through_numpy_blas(nlp: Any) -> None:
    ops = {type(node.ops).__name__ for node in nlp.get_pipe("ner").model.walk()}
    assert ops == {"NumpyBlasOps"}


def test_spans_equal_those_of_the_default_blis_path(detector: PiiDetector, nlp: Any) -> None:
    fast = detector.detect_batch(TEXTS)
    try:
        use_numpy_blas(nlp, on=False)
        assert {type(n.ops).__name__ for n in nlp.get_pipe("ner").model.walk()} == {"NumpyOps"}
        default = detector.detect_batch(TEXTS)
    finally:
        use_numpy_blas(nlp)
    assert fast == default
    assert sum(map(len, fast)) >= 8  # the texts do hold personal data: the comparison is not vacuous


def test_blas_is_held_to_one_thread_inside_and_restored_after() -> None:
    from threadpoolctl import ThreadpoolController

    def blas_threads() -> list[int]:
        return [lib.num_threads for lib in ThreadpoolController().select(user_api="blas").lib_controllers]

    before = blas_threads()
    one = _OneThreadBlas()
    with one:
        with one:  # nested (another thread inside at the same time) keeps one thread
            assert set(blas_threads()) <= {1}
        assert set(blas_threads()) <= {1}
    assert blas_threads() == before


def test_context_lookup_bisects_to_the_token_presidios_scan_finds(detector: PiiDetector, nlp: Any) -> None:
    from presidio_analyzer.context_aware_enhancers import LemmaContextAwareEnhancer

    enhancer = detector.analyzer.context_aware_enhancer
    assert type(enhancer).__name__ == "BisectingEnhancer"
    doc = nlp.make_doc("  Call  Dr. O'Neil:\n\n+1 (555) 010-4477,ok? \t end")
    indices = [t.idx for t in doc]
    for start in range(len(doc.text)):
        try:
            expected = LemmaContextAwareEnhancer._find_index_of_match_token("w", start, doc, indices)
        except ValueError:
            with pytest.raises(ValueError):
                enhancer._find_index_of_match_token("w", start, doc, indices)
            continue
        assert enhancer._find_index_of_match_token("w", start, doc, indices) == expected, start


def test_lemmas_are_the_lower_forms_the_token_loop_gave(nlp: Any) -> None:
    doc = nlp("Jan de Vries MOVED to Amsterdam; Ünal ÖZTÜRK stayed.")
    assert [t.lemma_ for t in doc] == [t.lower_ for t in doc]
    assert np.all(doc.to_array(["LEMMA"]) != 0)


def test_building_the_engine_reads_the_word_lists() -> None:
    """A serving process pays for the word lists at start-up: the first request must not (the
    stop words of the supported languages alone take about two CPU seconds)."""
    from guardrails.pii import engine, given_names

    given_names.stop_words.cache_clear()
    given_names.given_name_classes.cache_clear()
    engine.build_analyzer()
    assert given_names.stop_words.cache_info().currsize == 1
    assert given_names.given_name_classes.cache_info().currsize == 1
