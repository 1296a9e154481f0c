"""Coalescing concurrent single calls into batch calls (query embeddings, question redaction).

Callers queue their item; the first becomes the leader, runs the batch function on its own item
and every item queued meanwhile (up to ``max_batch``), then hands the lead to the oldest caller
still waiting. Nothing waits on a timer: alone, an item is processed at once; under concurrency
one batch call replaces many single calls, which costs far less CPU per item for models whose
per-call overhead dominates on short inputs.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")


class _Waiter(Generic[T]):
    """One caller's item in the queue."""

    __slots__ = ("text", "value", "error", "done", "lead", "event")

    def __init__(self, text: str):
        self.text = text
        self.value: T | None = None
        self.error: BaseException | None = None
        self.done = False
        self.lead = False
        self.event = threading.Event()


class Coalescer(Generic[T]):
    """``call(text)`` for many threads at once, served by ``batch_fn(texts) -> results`` (same order).

    Equal texts waiting together are processed once. An exception of ``batch_fn`` is raised to
    every caller of that batch; later batches run normally.
    """

    def __init__(self, batch_fn: Callable[[list[str]], Sequence[T]], max_batch: int = 32):
        self.batch_fn = batch_fn
        self.max_batch = max(1, max_batch)
        self._mutex = threading.Lock()
        self._queue: list[_Waiter[T]] = []
        self._busy = False
        self.batches = 0
        self.encoded = 0  # distinct texts processed

    def call(self, text: str) -> T:
        me: _Waiter[T] = _Waiter(text)
        with self._mutex:
            self._queue.append(me)
            if not self._busy:
                self._busy = me.lead = True
        if not me.lead:
            me.event.wait()  # either the result or the lead
        if not me.done:
            self._lead(me)
        if me.error is not None:
            raise me.error
        return me.value  # type: ignore[return-value]  # set with done

    # The embedding batcher's historical name.
    encode = call

    def _lead(self, me: _Waiter[T]) -> None:
        with self._mutex:
            self._queue.remove(me)
            take = max(0, self.max_batch - 1)
            batch = [me, *self._queue[:take]]
            del self._queue[:take]
        texts = list(dict.fromkeys(w.text for w in batch))
        try:
            results = list(self.batch_fn(texts))
            if len(results) != len(texts):
                raise RuntimeError(f"batch function returned {len(results)} results for {len(texts)} items")
            by_text = dict(zip(texts, results, strict=True))
            for w in batch:
                w.value = by_text[w.text]
        except BaseException as exc:  # every caller of the batch gets the error
            for w in batch:
                w.error = exc
        for w in batch:
            w.done = True
        self.batches += 1
        self.encoded += len(texts)
        with self._mutex:
            if self._queue:
                self._queue[0].lead = True
                self._queue[0].event.set()
            else:
                self._busy = False
        for w in batch[1:]:
            w.event.set()
