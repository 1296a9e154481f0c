"""Generative mode against a small local fake OpenAI-compatible server (the only fake: the LLM edge).

The fake copies the first sentence of document [1] from the prompt and cites it, then adds a
sentence no document supports. The API must keep the first, drop the second and report it.
"""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.conftest import DEMO_CORPUS
from tests.copilot.conftest import h, make_client

pytestmark = pytest.mark.slow

CANARIES = json.loads((DEMO_CORPUS / "canaries.json").read_text())
INJECTION = json.loads((DEMO_CORPUS / "injection.json").read_text())
UNSUPPORTED = "The vendor also guarantees a free on-site workshop every 17 days"
_BLOCK_RE = re.compile(
    r"<<<UNTRUSTED_DATA id=(\w+) label=\"Document 1:[^\n]*>>>\n(.*?)\n<<<END_UNTRUSTED_DATA id=\1>>>", re.S
)


class FakeLLM(BaseHTTPRequestHandler):
    requests: list[dict] = []

    def log_message(self, *args):  # keep test output quiet
        pass

    def do_POST(self):  # noqa: N802 (http.server naming)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        FakeLLM.requests.append(body)
        user = body["messages"][-1]["content"]
        m = _BLOCK_RE.search(user)
        first = re.split(r"(?<=[.!?])\s+", " ".join(m.group(2).split()))[0].rstrip(".") if m else "nothing"
        content = f"{first} [1]. {UNSUPPORTED} [1]."
        out = json.dumps(
            {
                "id": "x",
                "object": "chat.completion",
                "model": body["model"],
                "choices": [
                    {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": content}}
                ],
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)


@pytest.fixture(scope="module")
def llm_url():
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeLLM)
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()


def _client(demo_services, demo_data_dir, tmp_path, url, **kw):
    from copilot.cli.commands.demo import ensure_demo_keys

    client, app = make_client(demo_services, demo_data_dir, f"sqlite:///{tmp_path / 'gen.db'}", llm_base_url=url, **kw)
    return client, app, ensure_demo_keys


def test_unsupported_sentences_are_removed_and_grounded_says_so(demo_services, demo_data_dir, tmp_path, llm_url):
    client, app, ensure = _client(demo_services, demo_data_dir, tmp_path, llm_url)
    with client:
        keys = {k["name"]: k["key"] for k in ensure(app.state.copilot.settings)}
        FakeLLM.requests.clear()
        r = client.post(
            "/v1/ask",
            json={"question": "How long is the standard hypercare period?"},
            headers=h(keys["demo-alder-consultant"]),
        )
        body = r.json()
        assert r.status_code == 200 and body["mode"] == "generative"
        assert UNSUPPORTED not in body["answer"]
        assert body["removed_sentences"] == 1 and body["grounded"] is False
        assert body["answer"].endswith("[1]") and len(body["citations"]) == 1
        req = FakeLLM.requests[-1]
        assert req["messages"][0]["role"] == "system" and "UNTRUSTED_DATA" in req["messages"][0]["content"]
        assert "Document 1:" in req["messages"][1]["content"]
        row = app.state.copilot.audit.rows(trace_id=body["trace_id"])[0]
        assert row.details["removed_sentences"] == 1


def test_prompt_has_no_raw_pii_and_flagged_text_only_inside_delimiters(demo_services, demo_data_dir, tmp_path, llm_url):
    client, app, ensure = _client(demo_services, demo_data_dir, tmp_path, llm_url)
    with client:
        keys = {k["name"]: k["key"] for k in ensure(app.state.copilot.settings)}
        FakeLLM.requests.clear()
        for user, q in [
            ("demo-alder-manager", "Who is the escalation duty manager and how do I call them?"),
            ("demo-vendor-staff", "Who must be notified of a data breach, by e-mail and phone?"),
            ("demo-alder-consultant", "Who is the customer project manager at Kestrel Valley Dairies?"),
            ("demo-birch-consultant", "What implementation tips does Birch give?"),
        ]:
            assert client.post("/v1/ask", json={"question": q}, headers=h(keys[user])).status_code == 200
        prompts = [json.dumps(r["messages"], ensure_ascii=False) for r in FakeLLM.requests]
        assert len(prompts) == 4
        for p in prompts:
            for c in CANARIES:
                assert c["value"] not in p, c
        birch = FakeLLM.requests[-1]["messages"][1]["content"]
        marker = INJECTION["text"][:40]
        # The injected chunk is retrieved for this question, but a flagged instruction sentence is
        # never an answering unit, so it never becomes context either.
        assert marker not in birch
        outside = re.sub(
            r"<<<UNTRUSTED_DATA id=(\w+)[^\n]*>>>\n.*?\n<<<END_UNTRUSTED_DATA id=\1>>>", "", birch, flags=re.S
        )
        assert marker not in outside


def test_flagged_chunks_can_be_excluded_from_prompts(demo_services, demo_data_dir, tmp_path, llm_url):
    client, app, ensure = _client(demo_services, demo_data_dir, tmp_path, llm_url, exclude_injection_flagged=True)
    with client:
        keys = {k["name"]: k["key"] for k in ensure(app.state.copilot.settings)}
        FakeLLM.requests.clear()
        r = client.post(
            "/v1/ask",
            json={"question": "What implementation tips does Birch give?"},
            headers=h(keys["demo-birch-consultant"]),
        )
        assert r.status_code == 200
        marker = INJECTION["text"][:40]
        # The flagged chunk never reaches the model; when it was the only evidence (a chunk can hold
        # several short sections), no prompt is sent at all and the answer does not quote it either.
        assert marker not in json.dumps([req["messages"] for req in FakeLLM.requests])
        assert marker not in r.json()["answer"]


def test_llm_failure_falls_back_to_extractive(demo_services, demo_data_dir, tmp_path):
    client, app, ensure = _client(demo_services, demo_data_dir, tmp_path, "http://127.0.0.1:9/v1", llm_timeout_s=2)
    with client:
        keys = {k["name"]: k["key"] for k in ensure(app.state.copilot.settings)}
        body = client.post(
            "/v1/ask",
            json={"question": "How long is the standard hypercare period?"},
            headers=h(keys["demo-alder-consultant"]),
        ).json()
        assert body["mode"] == "extractive" and "30 calendar days" in body["answer"]
