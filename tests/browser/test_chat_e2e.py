"""End to end in a real browser: the API and the Chainlit chat as subprocesses, Chromium via Playwright.

Flows: an Alder consultant gets a cited answer from Alder or shared documents; a Birch consultant
asking about Alder's project never sees an Alder document; the Alder partner manager drafts an
escalation note and approves it. Screenshots go to $COPILOT_SCREENSHOT_DIR (set it to
docs/screenshots to refresh the committed ones), otherwise to the test's tmp folder.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

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


@pytest.fixture(scope="module")
def stack(demo_data_dir, tmp_path_factory):
    """API + chat on free localhost ports over the session's ingested demo index."""
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    from copilot.commands.demo import ensure_demo_keys, start_chat
    from copilot.settings import Settings

    tmp = tmp_path_factory.mktemp("e2e")
    db_url = f"sqlite:///{tmp / 'e2e.db'}"
    settings = Settings(data_dir=demo_data_dir, database_url=db_url)
    keys = ensure_demo_keys(settings)
    api_port, chat_port = _free_port(), _free_port()
    env = {**os.environ, "COPILOT_DATA_DIR": str(demo_data_dir), "COPILOT_DATABASE_URL": db_url}
    api_log, chat_log = tmp / "api.log", tmp / "chat.log"
    copilot_bin = Path(sys.executable).with_name("copilot")
    api = subprocess.Popen(
        [str(copilot_bin), "serve", "--host", "127.0.0.1", "--port", str(api_port), "--data-dir", str(demo_data_dir)],
        env=env, stdout=api_log.open("w"), stderr=subprocess.STDOUT,
    )
    api_url = f"http://127.0.0.1:{api_port}"
    chat, passwords = start_chat(settings, api_url, "127.0.0.1", chat_port, keys,
                                 stdout=chat_log.open("w"), stderr=subprocess.STDOUT)
    try:
        _wait_http(f"{api_url}/readyz", 180, api, api_log)
        _wait_http(f"http://127.0.0.1:{chat_port}/", 60, chat, chat_log)
        yield {"chat": f"http://127.0.0.1:{chat_port}", "api": api_url, "passwords": passwords,
               "logs": {"api": api_log, "chat": chat_log}}
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
    # Feedback goes to the API.
    page.click("button:has-text('Helpful')")
    page.wait_for_selector("text=feedback was recorded")
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


def test_partner_manager_drafts_and_approves_escalation(browser, stack):
    # Tall window: the whole note fits in one screenshot.
    ctx, page = _login(browser, stack, "alder-manager", height=3000)
    page.click("text=Draft an escalation note")
    answers = [
        ("which **customer**", "Ormond Precision Castings"),
        ("project or SOW reference", "SOW-ALD-2026-02"),
        ("Describe the **issue**", "Subcontracting goods receipt fails for batch-managed components"),
    ]
    for prompt, value in answers:
        page.wait_for_selector(f"text={prompt.replace('**', '')}")
        _send(page, value)
    page.wait_for_selector("button:has-text('P1 critical')")
    page.click("button:has-text('P1 critical')")
    page.wait_for_selector("text=have you observed")
    _send(page, "Heat-treatment production orders blocked for 40 users")
    _wait_text(page, stack, "text=Contractual basis", 120_000)
    page.wait_for_selector("button:has-text('Approve')")
    _wait_source_cards(page, stack)
    html = page.content()
    assert "docs/alder/contracts/alder-partner-agreement" in html
    assert "docs/birch/" not in html and "docs/cedar/" not in html
    assert "Reported by demo:demo-alder-manager" in page.inner_text("body")
    page.wait_for_timeout(500)
    page.screenshot(path=str(SHOTS / "escalation-draft.png"))
    page.click("button:has-text('Approve')")
    _wait_text(page, stack, "text=was approved by", 60_000)
    ctx.close()
