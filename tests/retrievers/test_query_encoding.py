"""Query encoding under concurrency: batched forward passes give each caller its own vector,
a model error reaches every caller of the batch, and background work yields the model."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from retrievers.embeddings import PriorityLock, QueryBatcher, QueryVectorCache


class SlowEmbedder:
    """Wraps the real embedder; each call takes a while, so concurrent callers pile up."""

    def __init__(self, inner, delay: float = 0.05):
        self.inner, self.delay, self.calls = inner, delay, []
        self.name, self.dim, self.max_tokens = inner.name, inner.dim, inner.max_tokens

    def encode(self, texts, batch_size=None):
        self.calls.append(list(texts))
        time.sleep(self.delay)
        return self.inner.encode(texts, batch_size)

    def count_tokens(self, text):
        return self.inner.count_tokens(text)


def _concurrently(fn, args):
    out: dict[int, object] = {}

    def run(i, a):
        try:
            out[i] = fn(a)
        except Exception as exc:  # collected for the assertions
            out[i] = exc

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(args)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return [out[i] for i in range(len(args))]


QUESTIONS = [f"who approves change request {w}" for w in (
    "cutover", "payroll", "ledger", "invoice", "warranty", "licence", "renewal", "audit", "hypercare", "scope",
    "budget", "training")]


def test_concurrent_queries_share_forward_passes_and_keep_their_own_vectors(embedder):
    slow = SlowEmbedder(embedder)
    batcher = QueryBatcher(slow)
    got = _concurrently(batcher.encode, QUESTIONS)
    alone = embedder.encode(QUESTIONS)
    for q, v, ref in zip(QUESTIONS, got, alone, strict=True):
        assert isinstance(v, np.ndarray), f"{q}: {v!r}"
        assert np.allclose(v, ref, atol=1e-5), q  # its own text's vector, not a neighbour's
    assert len(slow.calls) < len(QUESTIONS)  # some questions were encoded together
    assert sorted(t for call in slow.calls for t in call) == sorted(QUESTIONS)  # each exactly once


def test_a_single_query_is_encoded_at_once(embedder):
    slow = SlowEmbedder(embedder, delay=0)
    batcher = QueryBatcher(slow)
    v = batcher.encode("notice period for termination")
    assert slow.calls == [["notice period for termination"]]
    assert np.allclose(v, embedder.encode(["notice period for termination"])[0], atol=1e-6)


def test_a_model_error_reaches_every_caller_of_the_batch_and_the_next_batch_still_runs(embedder):
    class Failing(SlowEmbedder):
        def encode(self, texts, batch_size=None):
            if any("boom" in t for t in texts):
                self.calls.append(list(texts))
                time.sleep(self.delay)
                raise RuntimeError("model failed")
            return super().encode(texts, batch_size)

    failing = Failing(embedder)
    batcher = QueryBatcher(failing)
    got = _concurrently(batcher.encode, ["boom", *QUESTIONS[:5]])
    assert isinstance(got[0], RuntimeError)
    errors = sum(isinstance(g, RuntimeError) for g in got)
    assert errors == len(next(c for c in failing.calls if "boom" in c))  # exactly the failed batch
    assert isinstance(batcher.encode("renewal notice"), np.ndarray)  # not stuck after a failure


def test_duplicate_texts_in_one_batch_are_encoded_once(embedder):
    slow = SlowEmbedder(embedder)
    batcher = QueryBatcher(slow)
    got = _concurrently(batcher.encode, ["warranty period"] * 6)
    assert all(np.allclose(g, got[0]) for g in got)
    assert sum(len(c) for c in slow.calls) < 6


def test_cache_misses_go_through_the_batcher(embedder):
    slow = SlowEmbedder(embedder)
    cache = QueryVectorCache(slow, max_items=100)
    _concurrently(cache.vector, QUESTIONS[:6])
    assert cache.misses == 6 and cache.batcher.encoded == 6
    cache.vector(QUESTIONS[0].upper())
    assert cache.hits == 1 and cache.batcher.encoded == 6


@pytest.mark.parametrize("waiters", [1, 3])
def test_background_holders_wait_while_a_foreground_caller_waits(waiters):
    lock = PriorityLock()
    order: list[str] = []
    lock.acquire()  # a request is using the model

    def background():
        lock.acquire(background=True)
        order.append("background")
        lock.release()

    def foreground(i):
        lock.acquire()
        order.append(f"fg{i}")
        time.sleep(0.01)
        lock.release()

    bg = threading.Thread(target=background)
    bg.start()
    time.sleep(0.05)  # the background caller queues first ...
    fgs = [threading.Thread(target=foreground, args=(i,)) for i in range(waiters)]
    for t in fgs:
        t.start()
    time.sleep(0.05)
    lock.release()
    for t in [bg, *fgs]:
        t.join(timeout=10)
    assert order[-1] == "background" and len(order) == waiters + 1  # ... and still goes last


def test_background_encoding_gives_the_same_vectors(embedder):
    texts = ["The cutover plan is approved.", "Hypercare lasts four weeks."]
    assert np.allclose(embedder.encode_background(texts), embedder.encode(texts), atol=1e-6)


def _queued_behind_a_running_batch(co, first, others):
    """Run ``first`` (its batch blocks until released), queue ``others`` behind it, release:
    the others then form one batch. Returns (result of first, results of others)."""
    out: dict[str, object] = {}

    def run(text):
        try:
            out[text] = co.call(text)
        except Exception as exc:  # collected for the assertions
            out[text] = exc

    lead = threading.Thread(target=run, args=(first,))
    lead.start()
    deadline = time.time() + 5
    while not co._busy and time.time() < deadline:
        time.sleep(0.005)
    rest = [threading.Thread(target=run, args=(t,)) for t in others]
    for t in rest:
        t.start()
    while len(co._queue) < len(set(others)) and time.time() < deadline:
        time.sleep(0.005)
    co.release.set()
    for t in [lead, *rest]:
        t.join(timeout=10)
    return out[first], [out[t] for t in others]


class _Gated:
    """A batch function whose first call waits for ``release``."""

    def __init__(self, fn):
        self.fn, self.calls, self.release = fn, [], threading.Event()

    def __call__(self, texts):
        if not self.calls:
            self.release.wait(5)
        self.calls.append(list(texts))
        return self.fn(texts)


def test_coalescer_returns_each_callers_own_result_even_when_it_is_falsy():
    from retrievers.batching import Coalescer

    gated = _Gated(lambda texts: [None if t == "none" else [] if t == "empty" else t.upper() for t in texts])
    co: Coalescer = Coalescer(gated)
    co.release = gated.release
    first, rest = _queued_behind_a_running_batch(co, "lead", ["none", "empty", "a", "none"])
    assert first == "LEAD" and rest == [None, [], "A", None]
    assert gated.calls == [["lead"], ["none", "empty", "a"]]  # one batch; equal texts once


def test_coalescer_rejects_a_batch_function_that_loses_items():
    from retrievers.batching import Coalescer

    gated = _Gated(lambda texts: [1])
    co: Coalescer = Coalescer(gated)
    co.release = gated.release
    first, rest = _queued_behind_a_running_batch(co, "one", ["x", "y", "z"])
    assert first == 1
    assert all(isinstance(r, RuntimeError) for r in rest)  # three items, one result: an error for all
    assert co.call("alone") == 1  # and the next call still runs
