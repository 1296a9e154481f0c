"""End to end in a real browser: the API and the Chainlit chat as subprocesses, Chromium via Playwright.

Flows: an Alder consultant gets a cited answer from Alder or shared documents and votes on it
(one vote, changeable, shown on the buttons); a Birch consultant asking about Alder's project
never sees an Alder document; an Alder consultant drafts an escalation note, the Alder partner
manager finds it under "Pending approvals", approves it (the note shows its new status in place)
and the signed webhook arrives; a second draft is rejected with a reason; a draft started from the
button under an answer can be decided. Screenshots go to $COPILOT_SCREENSHOT_DIR (set it to
docs/screenshots to refresh the committed ones), otherwise to the test's tmp folder.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SHOTS = Path(os.environ.get("COPILOT_SCREENSHOT_DIR") or tempfile.mkdtemp(prefix="copilot-shots-"))
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_http(url: str, timeout: float, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"process exited early:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url} not ready after {timeout}s:\n{log.read_text()[-3000:]}")


WEBHOOK_SECRET = "e2e-webhook-secret"


@pytest.fixture(scope="module")
def webhook_inbox():
    """A webhook receiver on a loopback port; yields (url, list of (event, verified, payload))."""
    received: list[tuple[str, bool, dict]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            ts = self.headers.get("X-Copilot-Timestamp", "")
            want = "sha256=" + hmac.new(WEBHOOK_SECRET.encode(), f"{ts}.".encode() + body, hashlib.sha256).hexdigest()
            ok = hmac.compare_digest(want, self.headers.get("X-Copilot-Signature", ""))
            received.append((self.headers.get("X-Copilot-Event", ""), ok, json.loads(body or b"{}")))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_address[1]}/hook", received
    srv.shutdown()


@pytest.fixture(scope="module")
def stack(demo_data_dir, tmp_path_factory, webhook_inbox):
    """API + chat on free localhost ports over the session's ingested demo index."""
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    from copilot.cli.commands.demo import ensure_demo_keys, start_chat
    from copilot.core.settings import Settings

    tmp = tmp_path_factory.mktemp("e2e")
    db_url = f"sqlite:///{tmp / 'e2e.db'}"
    settings = Settings(data_dir=demo_data_dir, database_url=db_url)
    keys = ensure_demo_keys(settings)
    api_port, chat_port = _free_port(), _free_port()
    env = {**os.environ, "COPILOT_DATA_DIR": str(demo_data_dir), "COPILOT_DATABASE_URL": db_url,
           "COPILOT_WEBHOOK_URLS": json.dumps([webhook_inbox[0]]), "COPILOT_WEBHOOK_SECRET": WEBHOOK_SECRET,
           "COPILOT_WEBHOOK_BACKOFF_S": "0.5",
           # No upload here: no upload worker process started ahead; the few questions asked
           # encode their own sentences (the background encoding of the whole index is CPU the
           # browser and the chat server wait behind on a busy machine).
           "COPILOT_UPLOAD_PROCESS_PRESTART": "false", "COPILOT_ANSWER_PREWARM_SENTENCES": "0"}
    api_log, chat_log = tmp / "api.log", tmp / "chat.log"
    # `python -m copilot` from the repository root runs this tree's code (an installed console
    # script may point at another checkout).
    api = subprocess.Popen(
        [sys.executable, "-m", "copilot", "serve", "--host", "127.0.0.1", "--port", str(api_port),
         "--data-dir", str(demo_data_dir)],
        env=env, stdout=api_log.open("w"), stderr=subprocess.STDOUT, cwd=ROOT,
    )
    api_url = f"http://127.0.0.1:{api_port}"
    chat, passwords = start_chat(settings, api_url, "127.0.0.1", chat_port, keys,
                                 stdout=chat_log.open("w"), stderr=subprocess.STDOUT)
    try:
        _wait_http(f"{api_url}/readyz", 180, api, api_log)
        _wait_http(f"http://127.0.0.1:{chat_port}/", 60, chat, chat_log)
        yield {"chat": f"http://127.0.0.1:{chat_port}", "api": api_url, "passwords": passwords,
               "keys": {k["name"]: k["key"] for k in keys}, "logs": {"api": api_log, "chat": chat_log},
               "webhooks": webhook_inbox[1]}
    finally:
        for p in (chat, api):
            p.terminate()
        for p in (chat, api):
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
        yield b
        b.close()


def _login(browser, stack, login: str, height: int = 950):
    ctx = browser.new_context(viewport={"width": 1400, "height": height})
    page = ctx.new_page()
    page.set_default_timeout(60_000)
    page.goto(stack["chat"])
    page.fill("#email", login)
    page.fill("#password", stack["passwords"][login])
    page.click("button:has-text('Sign In')")
    page.wait_for_selector("#chat-input")
    return ctx, page


def _fail(page, stack, message: str) -> None:
    """Fail with ``message``, what the page shows and both servers' log tails."""
    try:
        shown = page.inner_text("body")[-2000:]
    except Exception as exc:  # the page itself may be gone
        shown = f"<page text unavailable: {exc}>"
    logs = "\n".join(f"--- {name}.log (tail) ---\n{path.read_text(errors='replace')[-4000:]}"
                     for name, path in stack["logs"].items())
    raise AssertionError(f"{message}\n--- page text (tail) ---\n{shown}\n{logs}")


def _wait_text(page, stack, selector: str, timeout_ms: float = 60_000) -> None:
    """Wait for ``selector``; on timeout fail with what the page shows and both servers' log tails."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_selector(selector, timeout=timeout_ms)
    except PlaywrightTimeout:
        _fail(page, stack, f"{selector!r} not shown after {timeout_ms / 1000:.0f}s.")


def _send(page, text: str) -> None:
    """Type ``text`` and submit it once the composer accepts it; return when it shows in the thread.

    Chainlit ignores Enter while its session is still connecting (a loaded machine right after
    login), and a message typed then can be lost, so the test waits for the submit button to be
    enabled and for the message to appear, typing it again if the composer was reset.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    sent = page.locator(".step").filter(has_text=text)
    for _ in range(3):
        box = page.locator("#chat-input")
        if text not in box.inner_text():
            box.click()
            page.keyboard.press("Control+A")
            page.keyboard.press("Delete")
            page.keyboard.type(text)
        try:
            page.wait_for_selector("#chat-submit:not([disabled])", timeout=30_000)
            page.click("#chat-submit")
            sent.first.wait_for(timeout=15_000)
            return
        except PlaywrightTimeout:
            if sent.count():
                return
    raise AssertionError(f"the chat never accepted {text!r}:\n{page.inner_text('body')[-2000:]}")


def _wait_source_cards(page, stack, timeout_s: float = 60) -> None:
    """Wait until every cited source under the last answer shows its document path in the panel.

    Chainlit opens the source panel by itself but fetches each card's text after the message is
    shown, so checking the page for document paths before then would prove nothing.
    """
    # Numbered links only: Chainlit also links the word "Sources" to the panel's footer element.
    want = len({t.strip() for t in page.locator(".element-link").all_inner_texts()
                if re.match(r"\s*\[\d+\]", t)})
    cards = page.locator("code").filter(has_text=re.compile(r"^docs/"))
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        if cards.count() >= want:
            return
        page.wait_for_timeout(250)
    _fail(page, stack, f"{want} cited sources, only {cards.count()} source cards loaded after {timeout_s:.0f}s.")


def _wait_step_count(page, n: int, timeout_s: float = 90) -> None:
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        if page.locator(".step").count() >= n:
            return
        page.wait_for_timeout(250)
    raise AssertionError(f"expected at least {n} messages, saw {page.locator('.step').count()}")


def test_consultant_gets_cited_answer_and_other_tenant_never_sees_it(browser, stack):
    ctx, page = _login(browser, stack, "alder-consultant")
    _send(page, "How many mock loads are required before cutover?")
    _wait_text(page, stack, "text=Sources:", 120_000)
    page.wait_for_selector("text=Helpful")
    links = page.locator(".element-link")
    assert links.count() >= 1
    _wait_source_cards(page, stack)
    html = page.content()
    assert "docs/alder/" in html or "docs/shared/" in html
    assert "docs/birch/" not in html and "docs/cedar/" not in html
    page.wait_for_timeout(500)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "chat-answer-citations.png"))
    # One vote per answer, changeable; the buttons show the current vote.
    page.click("button:has-text('Helpful'):not(:has-text('Not'))")
    _wait_text(page, stack, "button:has-text('Helpful ✓')")
    assert page.locator("button:has-text('Not helpful ✓')").count() == 0
    page.click("button:has-text('Not helpful')")
    _wait_text(page, stack, "button:has-text('Not helpful ✓')")
    page.wait_for_timeout(300)
    assert page.locator("button:has-text('Helpful ✓')").filter(has_not_text="Not").count() == 0
    page.screenshot(path=str(SHOTS / "chat-feedback-vote.png"))
    ctx.close()

    ctx, page = _login(browser, stack, "birch-consultant")
    _send(page, "What is excluded from the Ormond Precision Castings statement of work?")
    # Either an answer from Birch/shared documents or a refusal; never an Alder document.
    _wait_text(page, stack, "text=Helpful", 120_000)
    _wait_source_cards(page, stack)
    html = page.content()
    assert "docs/alder/" not in html
    assert "Ormond Precision Castings AG" not in html
    for name in page.locator(".element-link").all_inner_texts():
        assert "ALDER" not in name.upper()
    ctx.close()


def _draft_in_chat(page, stack, customer: str, summary: str, start: str = "starter") -> None:
    """Answer the chat's escalation questions (started by the starter or by the button under an answer)."""
    if start == "starter":
        page.click("text=Draft an escalation note")
    answers = [
        ("which **customer**", customer),
        ("project or SOW reference", "SOW-ALD-2026-02"),
        ("Describe the **issue**", summary),
    ]
    for prompt, value in answers:
        _wait_text(page, stack, f"text={prompt.replace('**', '')}")
        _send(page, value)
    _wait_text(page, stack, "button:has-text('P1 critical')")
    page.click("button:has-text('P1 critical')")
    _wait_text(page, stack, "text=have you observed")
    _send(page, "Heat-treatment production orders blocked for 40 users")
    _wait_text(page, stack, "text=Contractual basis", 120_000)


def _drafts(stack, status: str) -> dict[str, dict]:
    r = httpx.get(f"{stack['api']}/v1/escalations", params={"status": status}, timeout=30,
                  headers={"X-API-Key": stack["keys"]["demo-alder-consultant"]})
    assert r.status_code == 200, r.text
    return {d["id"]: d for d in r.json()["items"]}


def _wait_webhook(stack, event: str, draft_id: str, timeout_s: float = 60) -> dict:
    """The signed webhook of ``event`` for one draft (received by the loopback receiver)."""
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        for name, verified, envelope in stack["webhooks"]:
            payload = envelope.get("data", {})
            if name == event == envelope.get("event") and payload.get("draft_id") == draft_id:
                assert verified, "webhook signature does not verify"
                return payload
        time.sleep(0.25)
    raise AssertionError(f"no {event} webhook for {draft_id}; got {[w[0] for w in stack['webhooks']]}")


def test_consultant_drafts_manager_approves_from_pending_list(browser, stack):
    # A consultant drafts; the note waits for a partner manager (no decision buttons for them).
    ctx, page = _login(browser, stack, "alder-consultant", height=3000)
    _draft_in_chat(page, stack, "Ormond Precision Castings", "Subcontracting goods receipt fails for batch items")
    _wait_source_cards(page, stack)
    html = page.content()
    # Evidence (if any at a consultant's level) only from their organisation or the vendor.
    assert "docs/birch/" not in html and "docs/cedar/" not in html
    assert "Status: draft" in page.inner_text("body")
    assert page.locator("button:has-text('Approve')").count() == 0
    page.wait_for_timeout(500)
    page.screenshot(path=str(SHOTS / "escalation-draft.png"))
    ctx.close()

    # A second consultant draft, through the API, for the rejection below.
    body = {"customer": "Kestrel Valley Dairies", "project_ref": "PRJ-KVD", "severity": "P2",
            "summary": "Cutover rehearsal data load fails", "observed_facts": []}
    r = httpx.post(f"{stack['api']}/v1/escalations/draft", json=body, timeout=120,
                   headers={"X-API-Key": stack["keys"]["demo-alder-consultant"]})
    assert r.status_code == 201, r.text
    second_id = r.json()["id"]

    # The manager finds both under "Pending approvals".
    ctx, page = _login(browser, stack, "alder-manager", height=3000)
    page.click("text=Pending approvals")
    _wait_text(page, stack, "text=Pending approvals (")
    body_text = page.inner_text("body")
    assert "Ormond Precision Castings" in body_text and "Kestrel Valley Dairies" in body_text
    assert "drafted by Consultant at Alder" in body_text
    page.screenshot(path=str(SHOTS / "escalation-pending.png"))

    page.click("button:has-text('Ormond Precision Castings')")
    _wait_text(page, stack, "text=Contractual basis", 60_000)
    approve = page.locator("button:has-text('Approve')")
    approve.last.wait_for()
    assert approve.last.is_enabled() and page.locator("button:has-text('Reject')").last.is_enabled()
    approve.last.click()
    _wait_text(page, stack, "text=was approved by Partner manager at Alder", 60_000)
    # The note itself now says approved, by whom, and offers no decision buttons any more.
    note = page.locator(".step").filter(has_text="Contractual basis").last
    assert "Status: approved by Partner manager at Alder" in note.inner_text()
    assert "Status: draft" not in note.inner_text()
    assert note.locator("button:has-text('Reject')").count() == 0
    assert note.locator("button:has-text('Approve')").count() == 0
    approved = _drafts(stack, "approved")
    (draft_id,) = [i for i, d in approved.items() if "Subcontracting goods receipt" in d["markdown"]]
    payload = _wait_webhook(stack, "escalation.approved", draft_id)
    assert payload["status"] == "approved" and payload["decided_by"] == "demo:demo-alder-manager"
    page.wait_for_timeout(500)
    page.screenshot(path=str(SHOTS / "escalation-approved.png"))

    # Reject the other one with a reason; the drafter's note records it.
    _send(page, "Pending approvals")
    _wait_text(page, stack, "button:has-text('Kestrel Valley Dairies')")
    page.locator("button:has-text('Kestrel Valley Dairies')").last.click()
    reject = page.locator("button:has-text('Reject')")
    _wait_text(page, stack, "text=Cutover rehearsal data load fails", 60_000)
    reject.last.wait_for()
    reject.last.click()
    _wait_text(page, stack, "text=Why is this note")
    _send(page, "Please add the ticket number first")
    _wait_text(page, stack, "text=was rejected by Partner manager at Alder", 60_000)
    ctx.close()
    rejected = _drafts(stack, "rejected")
    assert rejected[second_id]["decision_comment"] == "Please add the ticket number first"
    _wait_webhook(stack, "escalation.rejected", second_id)


def test_draft_from_the_button_under_an_answer_can_be_decided(browser, stack):
    ctx, page = _login(browser, stack, "alder-manager", height=3000)
    _send(page, "What is the initial response time for P1 tickets?")
    _wait_text(page, stack, "button:has-text('Draft escalation note')", 120_000)
    page.click("button:has-text('Draft escalation note')")
    _draft_in_chat(page, stack, "Ormond Precision Castings", "P1 ticket without response", start="button")
    approve = page.locator("button:has-text('Approve')").last
    reject = page.locator("button:has-text('Reject')").last
    approve.wait_for()
    # The buttons of a note drafted from a button are usable once the note is shown.
    deadline = time.time() + 30
    while time.time() < deadline and not (approve.is_enabled() and reject.is_enabled()):
        page.wait_for_timeout(250)
    assert approve.is_enabled() and reject.is_enabled()
    ctx.close()


def test_swagger_try_it_out_works_offline_with_an_api_key(browser, stack):
    """/docs loads only from the API itself (every other host is blocked) and "Try it out" with
    the key entered under "Authorize" returns 200."""
    ctx = browser.new_context(viewport={"width": 1400, "height": 1400})
    outside: list[str] = []

    def only_local(route) -> None:
        url = route.request.url
        if url.startswith(stack["api"]):
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    ctx.route("**/*", only_local)
    page = ctx.new_page()
    page.set_default_timeout(60_000)
    page.goto(f"{stack['api']}/docs")
    page.wait_for_selector("button.authorize")
    page.click("button.authorize")
    page.fill("input[type=text], input[type=password]", stack["keys"]["demo-alder-consultant"])
    page.locator(".auth-container").first.locator("button:has-text('Authorize')").click()
    page.click("button:has-text('Close')")
    op = page.locator("#operations-documents-list_documents_v1_documents_get")
    if op.count() == 0:
        op = page.locator(".opblock-get").filter(has_text="/v1/documents").first
    op.locator(".opblock-summary").first.click()
    op.locator("button:has-text('Try it out')").click()
    op.locator("button:has-text('Execute')").click()
    status = op.locator(".live-responses-table tr.response .response-col_status").first
    status.wait_for()
    assert status.inner_text().strip().startswith("200"), status.inner_text()
    body = op.locator(".live-responses-table tr.response .microlight").first.inner_text()
    assert "docs/alder/" in body and "docs/birch/" not in body
    assert outside == [], outside
    page.wait_for_timeout(300)
    op.scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "docs-try-it-out.png"))
    r = page.goto(f"{stack['api']}/redoc")
    assert r is not None and r.status == 200
    page.wait_for_selector("text=Partner Copilot API")
    page.get_by_text("/v1/documents").first.wait_for()
    # ReDoc renders from the local bundle; only its decorative footer logo points elsewhere.
    assert all(u.endswith((".svg", ".png")) for u in outside), outside
    ctx.close()
