"""The lean analyzer (``guardrails.pii.analyzer``, and the context lookup on the analyzer's own
results) finds exactly what Presidio's stock engine, registry and enhancer find."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest
from presidio_analyzer import AnalysisExplanation, EntityRecognizer, PatternRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from guardrails.pii import PiiDetector
from guardrails.pii.analyzer import CachingRegistry, LazyNlpArtifacts
from guardrails.pii.engine import LANGUAGE, build_analyzer


def _probe_texts() -> list[str]:
    """Every string of 20 characters or more written in the PII rule tests: hundreds of texts of
    every genre the rules were written for, positives and hard negatives."""
    out: list[str] = []
    for path in sorted(Path(__file__).parent.glob("test_pii*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and len(node.value) >= 20:
                out.append(node.value)
    return out


@pytest.fixture(scope="module")
def stock() -> PiiDetector:
    det = PiiDetector()
    det._analyzer = build_analyzer(lean=False)
    return det


def test_the_shared_engine_is_the_lean_one(detector: PiiDetector) -> None:
    an = detector.analyzer
    assert (type(an).__name__, type(an.registry).__name__) == ("LeanAnalyzerEngine", "CachingRegistry")
    _, arts = next(iter(an.nlp_engine.process_batch(["Ana Ruiz"], language=LANGUAGE)))
    assert isinstance(arts, LazyNlpArtifacts)


def test_spans_equal_the_stock_engine_on_every_probe_text(detector: PiiDetector, stock: PiiDetector) -> None:
    texts = _probe_texts()
    assert len(texts) > 500
    lean = detector.detect_batch(texts)
    assert lean == stock.detect_batch(texts)
    assert sum(map(len, lean)) > 500  # the comparison is not vacuous
    contexts = [["Northwind Portal", "Release Notes"]] * len(texts)  # titles given as context, too
    assert detector.detect_batch(texts, contexts=contexts) == stock.detect_batch(texts, contexts=contexts)


def test_lazy_artifacts_hold_what_presidio_computes(detector: PiiDetector) -> None:
    engine = detector.analyzer.nlp_engine
    texts = ["Call Dr. O'Neil:\n\n+1 (555) 010-4477, ok?", "", "  Jan de Vries MOVED to Amsterdam; Ünal ÖZTÜRK"]
    for (_, lazy), text in zip(engine.process_batch(texts, language=LANGUAGE), texts, strict=True):
        eager = type(engine)._doc_to_nlp_artifact(engine, lazy.tokens, LANGUAGE)  # Presidio's own, not ours
        assert isinstance(eager, NlpArtifacts) and not isinstance(eager, LazyNlpArtifacts)
        assert "keywords" not in vars(lazy)  # nothing computed before it is read
        assert (lazy.lemmas, lazy.tokens_indices, lazy.keywords) == (eager.lemmas, eager.tokens_indices,
                                                                       eager.keywords), text  # fmt: skip
        assert (list(lazy.entities), lazy.scores) == (list(eager.entities), eager.scores)


def test_the_registry_chooses_once_and_again_after_a_change(detector: PiiDetector) -> None:
    reg = CachingRegistry(supported_languages=[LANGUAGE])
    for rec in detector.analyzer.registry.recognizers:
        reg.add_recognizer(rec)
    first = reg.get_recognizers(LANGUAGE, ["PERSON", "EMAIL_ADDRESS"])
    assert reg.get_recognizers(LANGUAGE, ["PERSON", "EMAIL_ADDRESS"]) == first
    extra = PatternRecognizer(supported_entity="EMAIL_ADDRESS", deny_list=["nobody"], name="Extra")
    reg.add_recognizer(extra)
    assert extra in reg.get_recognizers(LANGUAGE, ["PERSON", "EMAIL_ADDRESS"])
    assert extra not in reg.get_recognizers(LANGUAGE, ["PERSON"])


def _meta(rec: Any) -> dict[str, str]:
    return {RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: rec.id, RecognizerResult.RECOGNIZER_NAME_KEY: rec.name}


def test_context_is_raised_on_the_analyzer_s_own_results(detector: PiiDetector) -> None:
    an = detector.analyzer
    text = "card number 4111 1111 1111 1111"
    _, arts = next(iter(an.nlp_engine.process_batch([text], language=LANGUAGE)))
    recs = an.registry.get_recognizers(LANGUAGE, ["CREDIT_CARD"])
    card = next(r for r in recs if r.context)
    raw = [RecognizerResult("CREDIT_CARD", 12, 31, 0.3, AnalysisExplanation(card.name, 0.3), _meta(card))]
    out = an._enhance_using_context(text, raw, arts, recs)
    assert out[0] is raw[0]  # no deep copy of every result
    assert out[0].score > 0.3  # "card" before the number raised it


def test_a_recognizer_with_its_own_context_step_gets_it(detector: PiiDetector) -> None:
    class Boosting(EntityRecognizer):
        def load(self) -> None:
            pass

        def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[Any]:
            return []

        def enhance_using_context(self, text: str, raw_recognizer_results: list[Any], *args: Any,
                                  **kwargs: Any) -> list[Any]:  # fmt: skip
            for r in raw_recognizer_results:
                r.score = 0.99
            return raw_recognizer_results

    rec = Boosting(supported_entities=["PERSON"], name="Boosting")
    raw = [RecognizerResult("PERSON", 0, 3, 0.4, recognition_metadata=_meta(rec))]
    an = detector.analyzer
    _, arts = next(iter(an.nlp_engine.process_batch(["Ana"], language=LANGUAGE)))
    assert an._enhance_using_context("Ana", raw, arts, [rec])[0].score == 0.99
