"""The embedder shared by threads: token counts (chunking) beside batch encodings (ingest, queries)."""

from __future__ import annotations

import random
import threading


def test_counting_tokens_on_another_thread_never_fails_a_batch_encoding(embedder) -> None:
    rng = random.Random(7)
    words = ["partner", "contract", "invoice", "approval", "escalation", "ledger", "migration", "cutover"]
    # batches of very different lengths need padding: a count that switched padding off under
    # them made the encoding fail
    texts = [" ".join(rng.choice(words) for _ in range(rng.randint(3, 150))) for _ in range(240)]
    stop, errors = threading.Event(), []

    def count() -> None:
        while not stop.is_set():
            for t in texts:
                embedder.count_tokens(t)

    counter = threading.Thread(target=count)
    counter.start()
    try:
        for i in range(0, len(texts), 12):
            try:
                vecs = embedder.encode(texts[i : i + 12])
                assert vecs.shape == (12, embedder.dim)
            except ValueError as exc:
                errors.append(str(exc))
    finally:
        stop.set()
        counter.join()
    assert errors == []


def test_token_counts_include_the_special_tokens_and_ignore_the_model_window(embedder) -> None:
    for text in ["", "hello world", "Ünïcode naïve café, don't stop", "word " * 600]:
        assert embedder.count_tokens(text) == len(embedder.tokenizer.tokenize(text)) + 2
    assert embedder.count_tokens("word " * 600) > embedder.max_tokens
