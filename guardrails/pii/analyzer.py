"""Presidio's analyzer with its per-text bookkeeping cut; every result is the one Presidio gives.

Texts in business documents are often short (a field, a line, a message): there Presidio's fixed
work per text, not the recognizers, was a third of the analyzer's time.

- The spaCy output is turned into lemmas, token offsets and context keywords only when a context
  lookup asks (one column read, not a Python loop over tokens); most texts have no result to
  look up context for.
- The recognizers serving a request are the same for every text: chosen once, not per text.
- Each recognizer's own context step is Presidio's no-op for ours: the results are grouped by
  recognizer, as Presidio orders them, without calling it.
"""

from __future__ import annotations

import types
from functools import cached_property
from typing import Any

from presidio_analyzer import AnalyzerEngine, EntityRecognizer, RecognizerRegistry, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts


class LazyNlpArtifacts(NlpArtifacts):  # type: ignore[misc]
    """Presidio's artifacts with lemmas, token offsets and keywords computed on first use."""

    def __init__(self, entities: Any, tokens: Any, nlp_engine: Any, language: str, scores: Any) -> None:
        # NlpArtifacts.__init__ computes every field at once: set here what it sets, the rest lazily
        self.entities = entities
        self.tokens = tokens
        self.nlp_engine = nlp_engine
        self.language = language
        self.scores = scores if scores else [0.85] * len(entities)

    # fields Presidio sets in its constructor, computed here when first read
    @cached_property
    def lemmas(self) -> list[str]:  # type: ignore[override]
        from spacy.attrs import LEMMA

        strings = self.tokens.vocab.strings
        return [strings[h] for h in self.tokens.to_array([LEMMA]).tolist()]

    @cached_property
    def tokens_indices(self) -> list[int]:  # type: ignore[override]
        from spacy.attrs import IDX

        return list(self.tokens.to_array([IDX]).tolist())

    @cached_property
    def keywords(self) -> list[str]:  # type: ignore[override]
        return list(NlpArtifacts.set_keywords(self.nlp_engine, self.lemmas, self.language))

    def to_json(self) -> str:
        for name in ("lemmas", "tokens_indices", "keywords"):  # the JSON lists every field
            getattr(self, name)
        out: str = super().to_json()
        return out


def _lazy_doc_to_nlp_artifact(self: Any, doc: Any, language: str) -> LazyNlpArtifacts:
    """``SpacyNlpEngine._doc_to_nlp_artifact`` with the per-token fields left for later."""
    entities, scores = self._get_updated_entities(self._get_entities(doc), self._get_scores_for_entities(doc))
    return LazyNlpArtifacts(entities=entities, tokens=doc, nlp_engine=self, language=language, scores=scores)


def use_lazy_artifacts(nlp_engine: Any) -> None:
    """Make ``nlp_engine`` (Presidio's spaCy engine) hand out :class:`LazyNlpArtifacts`."""
    nlp_engine._doc_to_nlp_artifact = types.MethodType(_lazy_doc_to_nlp_artifact, nlp_engine)


class CachingRegistry(RecognizerRegistry):  # type: ignore[misc]
    """A registry that chooses the recognizers for a (language, entities) request once.

    Presidio returns them from a set: the same objects in the same order for the same request, as
    long as the registry's list is unchanged (a change of the list starts the choice afresh).
    """

    def get_recognizers(
        self, language: str, entities: list[str] | None = None, all_fields: bool = False,
        ad_hoc_recognizers: list[EntityRecognizer] | None = None,
    ) -> list[EntityRecognizer]:  # fmt: skip
        if ad_hoc_recognizers:
            out: list[EntityRecognizer] = super().get_recognizers(language, entities, all_fields, ad_hoc_recognizers)
            return out
        recognizers: Any = self.recognizers  # a list: Presidio appends to it and rebuilds it
        key = (language, tuple(entities) if entities is not None else None, all_fields,
               id(recognizers), len(recognizers))  # fmt: skip
        cache: dict[Any, list[EntityRecognizer]] = self.__dict__.setdefault("_chosen", {})
        if key not in cache:
            cache[key] = super().get_recognizers(language, entities, all_fields, ad_hoc_recognizers)
        return list(cache[key])


_NO_OP = EntityRecognizer.enhance_using_context


class LeanAnalyzerEngine(AnalyzerEngine):  # type: ignore[misc]
    """Presidio's engine, skipping the recognizer-level context step where it is Presidio's no-op."""

    def _enhance_using_context(
        self, text: str, raw_results: list[RecognizerResult], nlp_artifacts: Any,
        recognizers: list[EntityRecognizer], context: list[str] | None = None,
    ) -> list[RecognizerResult]:  # fmt: skip
        if any(type(r).enhance_using_context is not _NO_OP for r in recognizers):
            out: list[RecognizerResult] = super()._enhance_using_context(
                text, raw_results, nlp_artifacts, recognizers, context
            )
            return out
        # Presidio's order: recognizer by recognizer, each one's results in their own order (a
        # result of no listed recognizer is dropped, as there).
        by_id: dict[str, list[RecognizerResult]] = {}
        for r in raw_results:
            by_id.setdefault(r.recognition_metadata[RecognizerResult.RECOGNIZER_IDENTIFIER_KEY], []).append(r)
        results = [r for rec in recognizers for r in by_id.get(rec.id, ())]
        enhanced: list[RecognizerResult] = self.context_aware_enhancer.enhance_using_context(
            text=text, raw_results=results, nlp_artifacts=nlp_artifacts, recognizers=recognizers, context=context
        )
        return enhanced
