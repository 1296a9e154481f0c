"""Prometheus metrics (prometheus-client), one registry per app so several apps can coexist.

Labels never carry tenants, subjects or query text: only routes, modes and outcomes.
"""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1.0, 2.0, 5.0, 10.0)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.request_seconds = Histogram(
            "copilot_request_seconds", "HTTP request latency by route", ["route", "method", "status"],
            buckets=_LATENCY_BUCKETS, registry=self.registry,
        )
        self.retrieval_seconds = Histogram(
            "copilot_retrieval_seconds", "Retriever latency (embedding + store queries + fusion)", ["mode"],
            buckets=_LATENCY_BUCKETS, registry=self.registry,
        )
        self.retrieval_top_score = Histogram(
            "copilot_retrieval_top_score", "Score of the best hit (RRF for hybrid, cosine/BM25 otherwise)", ["mode"],
            buckets=(0.005, 0.01, 0.015, 0.02, 0.025, 0.03, 0.04, 0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 5.0, 10.0),
            registry=self.registry,
        )
        self.answer_confidence = Histogram(
            "copilot_answer_confidence", "Best sentence score of extractive answers",
            buckets=(0.1, 0.2, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.7, 0.8, 0.9, 1.0), registry=self.registry,
        )
        self.refusals = Counter("copilot_refusals", "Answers refused for low confidence", ["mode"],
                                registry=self.registry)
        self.answers = Counter("copilot_answers", "Answers by mode and grounding", ["mode", "grounded"],
                               registry=self.registry)
        self.feedback = Counter("copilot_feedback", "Feedback received by rating", ["rating"], registry=self.registry)
        self.auth_failures = Counter("copilot_auth_failures", "Rejected credentials", registry=self.registry)

    def render(self) -> tuple[bytes, str]:
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
