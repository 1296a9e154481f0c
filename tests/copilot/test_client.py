"""The typed HTTP client against the real API served by uvicorn on a local port (real HTTP and SSE)."""

from __future__ import annotations

import asyncio
import socket
import threading
import time

import httpx
import pytest

from copilot.client import AsyncCopilotClient, CopilotAPIError, CopilotClient

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(demo_services, demo_data_dir, tmp_path_factory):
    import uvicorn

    from copilot.api.app import create_app
    from copilot.core.settings import Settings

    db = tmp_path_factory.mktemp("client-api") / "api.db"
    # No upload here: no upload worker ahead, no background encoding of the index (only CPU).
    settings = Settings(data_dir=demo_data_dir, database_url=f"sqlite:///{db}", answer_prewarm_sentences=0,
                        upload_process_prestart=False)
    app = create_app(settings, services=demo_services)
    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    keys = app.state.copilot.keys
    made = {
        "alder_c": keys.create("c-alder", "alder", "partner", ["consultant"], subject="alder-c")[0],
        "alder_pm": keys.create("pm-alder", "alder", "internal", ["partner_manager"], subject="alder-pm")[0],
        "birch_c": keys.create("c-birch", "birch", "partner", ["consultant"], subject="birch-c")[0],
    }
    yield url, made
    srv.should_exit = True
    thread.join(timeout=10)


def test_search_ask_and_documents_are_scoped_to_the_key(server):
    url, keys = server
    with CopilotClient(url, keys["alder_c"]) as c:
        hits = c.search("go/no-go criteria for cutover", k=5)
        assert hits.results and hits.trace_id
        assert {h.doc_id.split("/")[1] for h in hits.results} <= {"alder", "shared"}
        ans = c.ask("How many mock loads are required before cutover?")
        assert ans.citations and ans.trace_id and not ans.refused
        assert all(cit.doc_id.startswith(("docs/alder/", "docs/shared/")) for cit in ans.citations)
        assert f"[{ans.citations[0].n}]" in ans.answer
        docs = c.documents()
        assert docs and {d.tenant_id for d in docs} <= {"alder", "shared"}
        assert c.feedback_vote(ans.trace_id) is None
        assert c.feedback(ans.trace_id, "up")["status"] == "recorded"
        assert c.feedback(ans.trace_id, "down")["status"] == "changed"
        assert c.feedback_vote(ans.trace_id) == "down"
    with CopilotClient(url, keys["birch_c"]) as c:
        assert all(not d.doc_id.startswith("docs/alder/") for d in c.documents())


def test_ask_stream_yields_answer_citations_done(server):
    url, keys = server
    with CopilotClient(url, keys["alder_c"]) as c:
        events = list(c.ask_stream("How many mock loads are required before cutover?"))
        names = [e.event for e in events]
        assert names[0] == "answer" and names[-2:] == ["citations", "done"]
        text = " ".join(e.data["text"] for e in events if e.event == "answer")
        cits = events[-2].data["citations"]
        assert cits and "[1]" in text
        assert events[-1].data["trace_id"]

    async def run():
        async with AsyncCopilotClient(url, keys["alder_c"]) as ac:
            return [e.event async for e in ac.ask_stream("How many mock loads are required before cutover?")]

    assert asyncio.run(run())[-2:] == ["citations", "done"]


def test_escalation_round_trip_and_readable_errors(server):
    url, keys = server
    with CopilotClient(url, keys["alder_pm"]) as pm, CopilotClient(url, keys["alder_c"]) as consultant:
        draft = consultant.draft_escalation(
            customer="Ormond Precision Castings", project_ref="SOW-ALD-2026-02",
            summary="Subcontracting goods receipt fails", severity="P1", observed_facts=["40 users blocked", " "],
        )
        assert draft.status == "draft" and draft.evidence
        assert draft.id in [d.id for d in pm.list_escalations("draft")]

        async def pending() -> list[str]:
            async with AsyncCopilotClient(url, keys["alder_pm"]) as ac:
                return [d.id for d in await ac.list_escalations("draft")]

        assert draft.id in asyncio.run(pending())
        with pytest.raises(CopilotAPIError) as exc:
            consultant.approve_escalation(draft.id)
        assert exc.value.status == 403 and exc.value.code == "forbidden"
        assert "partner_manager" in exc.value.user_message
        approved = pm.approve_escalation(draft.id, "go")
        assert approved.status == "approved" and approved.decided_by == "alder-pm"
        assert pm.get_escalation(draft.id).decision_comment == "go"
        assert draft.id not in [d.id for d in pm.list_escalations("draft")]
        with pytest.raises(CopilotAPIError) as exc:
            pm.draft_escalation(customer="X", project_ref="", summary="y", severity="P7")
        assert exc.value.status == 422 and "severity" in exc.value.message
    with CopilotClient(url, keys["birch_c"]) as other, pytest.raises(CopilotAPIError) as exc:
        other.get_escalation(draft.id)
    assert exc.value.status == 404
    with CopilotClient(url, "pc_000000000000_invalidinvalidinvalid00") as bad, pytest.raises(CopilotAPIError) as exc:
        bad.ask("anything")
    assert exc.value.status == 401 and "log in" in exc.value.user_message
    with CopilotClient(f"http://127.0.0.1:{_free_port()}", "k") as down, pytest.raises(CopilotAPIError) as exc:
        down.search("x")
    assert exc.value.status == 0 and "cannot be reached" in exc.value.user_message
