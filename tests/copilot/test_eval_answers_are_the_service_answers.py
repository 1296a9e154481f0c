"""The evaluation harness scores the answers the service gives: ``evals.run.make_answer_fn`` (used by
``copilot eval``, ``evals.docs_qa`` and ``evals.cuad``) against ``POST /v1/ask`` for the same
principal and question, on the demo index. (The harness once answered over each system's own hits,
without the service's expansion within the top document: on this set it refused "ced-p-13", which
the route answers.)
"""

from __future__ import annotations

import pytest

from evals.answer_metrics import cites_gold
from evals.dataset import DocumentTexts, load_cases, resolve_gold
from evals.metrics import Item
from evals.run import evaluate, make_answer_fn
from evals.systems import OurSystem
from tests.conftest import DEMO_CORPUS, seed_sentence_vectors
from tests.copilot.conftest import h

pytestmark = pytest.mark.slow


def test_harness_answers_are_the_answers_of_the_ask_route(leak_api, sentence_vectors, tmp_path):
    client, keys, _ = leak_api
    state = client.app.state.copilot
    seed_sentence_vectors(state.answerer.vectors, sentence_vectors)
    answer = make_answer_fn(state.services)
    assert answer is not None
    texts = DocumentTexts(DEMO_CORPUS, tmp_path / "parsed")
    cases = [c for c in load_cases(DEMO_CORPUS / "evalset.jsonl") if (c.principal.tenant_id,
             c.principal.access_level.name.lower()) in keys]
    system = OurSystem("hybrid", state.services.retriever, "hybrid",
                       min_scope_score=state.services.settings.query_scope_min_score)
    res = evaluate(cases, [system], texts, ragas=False, answer_fn=answer, answer_systems=["hybrid"], progress=False)
    rows = {r["id"]: r for r in res["systems"]["hybrid"]["rows"]}
    compared = 0
    for case in cases:
        gold = resolve_gold(case, texts)
        row = rows[case.id]
        key = keys[(case.principal.tenant_id, case.principal.access_level.name.lower())]
        payload: dict[str, object] = {"question": case.question}
        if case.doc_scope:
            payload["doc_ids"] = case.doc_scope
        body = client.post("/v1/ask", json=payload, headers=h(key)).json()
        assert row["refused"] == body["refused"], case.id
        if case.answerable and gold.spans and not body["refused"]:
            cited = [Item(c["doc_id"], c["char_start"], c["char_end"]) for c in body["citations"]]
            assert row["cites_gold"] == float(cites_gold(cited, gold.spans)), case.id
            compared += 1
    assert compared >= 10
