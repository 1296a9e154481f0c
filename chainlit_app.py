"""Chat UI for consultants and partner managers (Chainlit), talking to the copilot only over HTTP.

Run with ``copilot demo`` (which starts it beside the API) or directly::

    COPILOT_API_URL=http://127.0.0.1:8000 COPILOT_CHAT_USERS=.data/demo/chat-users.json \
    CHAINLIT_AUTH_SECRET=... chainlit run chainlit_app.py --headless --port 8001

``COPILOT_CHAT_USERS`` is a JSON file (written by ``copilot demo`` or ``copilot chat-users add``,
mode 0600) mapping each login to an argon2 password hash and that user's API key. The key stays in this process: the
browser only ever sees the login, display name, tenant and roles. Everything the user may see
is decided by the API from that key.
"""

from __future__ import annotations

import asyncio
import os
import re
from pathlib import Path
from typing import Any

import chainlit as cl
from chainlit.context import context

from copilot.chat_users import UsersFileError, load_users, verify_password
from copilot.client import AsyncCopilotClient, Citation, CopilotAPIError, Escalation

API_URL = os.environ.get("COPILOT_API_URL", "http://127.0.0.1:8000")
SEVERITIES = [("P1", "P1 critical"), ("P2", "P2 high"), ("P3", "P3 medium"), ("P4", "P4 low")]
DRAFT_TRIGGERS = {"draft an escalation note", "draft escalation note", "/escalate"}
PENDING_TRIGGERS = {"pending approvals", "/pending"}
VOTE_LABELS = {"up": "Helpful", "down": "Not helpful"}
ASK_TIMEOUT_S = 600

_users_cache: dict[str, Any] = {"mtime": None, "users": {}}
USERS_FILE = Path(os.environ.get("COPILOT_CHAT_USERS", ".data/demo/chat-users.json"))

# Refuse to start without a readable logins file (e.g. a missing file that a bind mount turned
# into a directory) rather than serve a login page that accepts nobody.
try:
    load_users(USERS_FILE)
except UsersFileError as _exc:
    raise SystemExit(f"chat: {_exc}") from None


def _users() -> dict[str, dict[str, Any]]:
    """Logins from the users file (re-read when it changes, e.g. after keys were rotated)."""
    path = USERS_FILE
    try:
        mtime = path.stat().st_mtime
    except OSError:
        return {}
    if _users_cache["mtime"] != mtime:
        try:
            _users_cache["users"] = load_users(path)
        except UsersFileError:
            return {}
        _users_cache["mtime"] = mtime
    return _users_cache["users"]


@cl.password_auth_callback
async def login(username: str, password: str) -> cl.User | None:
    entry = _users().get(username.strip().lower())
    # argon2 is slow on purpose: verify off the event loop.
    if entry is None or not await asyncio.to_thread(verify_password, entry, password):
        return None
    return cl.User(
        identifier=username.strip().lower(),
        display_name=entry.get("display_name", username),
        metadata={"tenant_id": entry.get("tenant_id"), "roles": entry.get("roles", []), "level": entry.get("level")},
    )


def _user() -> cl.User | None:
    return cl.user_session.get("user")


def _is_manager(user: cl.User | None) -> bool:
    return bool(user and "partner_manager" in (user.metadata or {}).get("roles", []))


def _who(subject: str | None) -> str:
    """A person's name for an API subject: the display name of the chat login with that subject."""
    if not subject:
        return "unknown"
    for login, entry in _users().items():
        if entry.get("subject") == subject:
            return str(entry.get("display_name") or login)
    # Not a chat user (e.g. a portal or CLI key): show the subject verbatim, not as Markdown.
    return f"`{subject}`"


def _client() -> AsyncCopilotClient:
    user = _user()
    entry = _users().get(user.identifier) if user else None
    if entry is None:
        raise CopilotAPIError(401, "unauthenticated", "unknown user")
    return AsyncCopilotClient(API_URL, entry["api_key"], timeout=120)


async def _error(exc: CopilotAPIError) -> None:
    await cl.Message(content=f"**Error:** {exc.user_message}", author="Partner Copilot").send()


@cl.set_starters
async def starters(user: cl.User | None = None, language: str | None = None) -> list[cl.Starter]:
    """Starter questions that fit the user's role."""
    meta = (user.metadata or {}) if user else {}
    roles = set(meta.get("roles") or [])
    tenant = meta.get("tenant_id")
    if "partner_manager" in roles:
        return [
            cl.Starter(label="Pending approvals", message="Pending approvals"),
            cl.Starter(label="Draft an escalation note", message="Draft an escalation note"),
            cl.Starter(label="Our P1 response time", message="What is the initial response time for P1 tickets?"),
            cl.Starter(label="Service credits", message="When are we entitled to a service credit?"),
            cl.Starter(label="Escalation ladder", message="How do we escalate a ticket that does not progress?"),
        ]
    if tenant == "shared":
        return [
            cl.Starter(label="Go/no-go criteria", message="What are the go/no-go criteria for cutover?"),
            cl.Starter(label="Escalation duty manager", message="Who is the Escalation Duty Manager?"),
            cl.Starter(label="Release 2026.1 known issues", message="Which known issues does release 2026.1 have?"),
        ]
    return [
        cl.Starter(label="Go/no-go criteria", message="What are the go/no-go criteria for cutover?"),
        cl.Starter(
            label="Hand-over to Tier 2", message="When must a P1 ticket be handed over to Verdant Product Support?"
        ),
        cl.Starter(label="Data migration", message="How many mock loads does the data migration guide require?"),
        cl.Starter(label="SOW exclusions", message="What is excluded from the scope of our statement of work?"),
        cl.Starter(label="Draft an escalation note", message="Draft an escalation note"),
    ]


def _source_card(n: int, title: str, section: str, page: int | None, snippet: str, doc_id: str) -> cl.Text:
    """One cited source as a side element: number and title, section and page, redacted snippet."""
    if section.startswith(title + " > "):
        section = section[len(title) + 3 :]
    elif section == title:
        section = ""
    where = " · ".join(x for x in (section and f"Section: {section}", f"Page {page}" if page else "") if x)
    # A snippet that starts like "2. Support obligations" must not turn into a Markdown list.
    quoted = re.sub(r"^(\d+)\.", r"\1\\.", snippet.strip())
    content = f"#### [{n}] {title}\n\n{where}\n\n> {quoted}\n\n`{doc_id}`\n\n---"
    return cl.Text(name=f"[{n}] {title}", content=content, display="side")


def _citation_element(c: Citation) -> cl.Text:
    return _source_card(c.n, c.title, c.section, c.page, c.snippet, c.doc_id)


def _sources_line(names: list[str]) -> str:
    return "\n\n**Sources:** " + " · ".join(names) if names else ""


def _panel_footer() -> cl.Text:
    # Chainlit titles the source panel after its last element; this one explains the panel.
    return cl.Text(
        name="Sources",
        content="_Click a numbered source under a message to show only that source._",
        display="side",
    )


@cl.on_message
async def on_message(message: cl.Message) -> None:
    text = message.content.strip()
    if text.lower() in DRAFT_TRIGGERS:
        await draft_flow()
        return
    if text.lower() in PENDING_TRIGGERS:
        await pending_view()
        return
    out = cl.Message(content="", author="Partner Copilot")
    citations: list[Citation] = []
    done: dict[str, Any] = {}
    client = _client()
    try:
        async for ev in client.ask_stream(text):
            if ev.event == "answer":
                await out.stream_token(ev.data.get("text", "") + " ")
            elif ev.event == "citations":
                citations = [Citation(**{k: v for k, v in c.items() if k in Citation.__dataclass_fields__})
                             for c in ev.data.get("citations", [])]
            elif ev.event == "done":
                done = ev.data
            elif ev.event == "error":
                raise CopilotAPIError(500, "error", str(ev.data.get("message", "")))
    except CopilotAPIError as exc:
        if out.content:
            await out.send()
        await _error(exc)
        return
    finally:
        await client.aclose()
    elements = [_citation_element(c) for c in citations]
    out.content = out.content.strip() + _sources_line([e.name for e in elements])
    if done.get("refused"):
        out.content += "\n\n_No answer was given because the documents available to you do not support one._"
    out.elements = [*elements, _panel_footer()] if elements else []  # type: ignore[assignment,list-item]
    trace_id = done.get("trace_id", "")
    out.actions = _answer_actions(trace_id, None)
    await out.send()
    if trace_id:
        _messages("answers")[trace_id] = out


def _messages(kind: str) -> dict[str, cl.Message]:
    """Messages of this chat session by id (answers by trace id, notes by draft id), to update them."""
    store = cl.user_session.get(kind)
    if store is None:
        store = {}
        cl.user_session.set(kind, store)
    return store  # type: ignore[no-any-return]


def _answer_actions(trace_id: str, vote: str | None) -> list[cl.Action]:
    """Buttons under an answer; the user's current vote is marked (a click on the other one changes it)."""
    actions = []
    if trace_id:
        for rating, label in VOTE_LABELS.items():
            chosen = vote == rating
            actions.append(cl.Action(
                name="feedback", payload={"trace_id": trace_id, "rating": rating},
                label=f"{label} ✓" if chosen else label, icon="thumbs-up" if rating == "up" else "thumbs-down",
                tooltip="Your current vote" if chosen else f"Rate this answer: {label.lower()}",
            ))
    if _is_manager(_user()):
        actions.append(cl.Action(name="draft_escalation", payload={}, label="Draft escalation note", icon="file-pen"))
    return actions


async def _replace_actions(msg: cl.Message, actions: list[cl.Action]) -> None:
    await msg.remove_actions()
    msg.actions = actions
    await msg.update()


@cl.action_callback("feedback")
async def on_feedback(action: cl.Action) -> None:
    trace_id, rating = action.payload["trace_id"], action.payload["rating"]
    client = _client()
    try:
        result = await client.feedback(trace_id, rating)
    except CopilotAPIError as exc:
        await _error(exc)
        return
    finally:
        await client.aclose()
    msg = _messages("answers").get(trace_id)
    if msg is not None:
        await _replace_actions(msg, _answer_actions(trace_id, result.get("rating", rating)))


@cl.action_callback("draft_escalation")
async def on_draft_action(action: cl.Action) -> None:
    # The questions run outside the button's callback, so the button's request ends at once.
    asyncio.get_running_loop().create_task(draft_flow())


@cl.action_callback("open_escalation")
async def on_open(action: cl.Action) -> None:
    client = _client()
    try:
        draft = await client.get_escalation(action.payload["id"])
    except CopilotAPIError as exc:
        await _error(exc)
        return
    finally:
        await client.aclose()
    await _show_draft(draft)


async def pending_view() -> None:
    """Escalation notes of the user's organisation that wait for a partner manager's decision."""
    client = _client()
    try:
        drafts = await client.list_escalations("draft")
    except CopilotAPIError as exc:
        await _error(exc)
        return
    finally:
        await client.aclose()
    if not drafts:
        await cl.Message(content="No escalation notes are waiting for approval.", author="Partner Copilot").send()
        return
    lines = [f"#### Pending approvals ({len(drafts)})", ""]
    actions = []
    for n, d in enumerate(drafts, start=1):
        when = d.created_at[:16].replace("T", " ")
        ref = f" · {d.project_ref}" if d.project_ref else ""
        lines.append(f"{n}. **{d.customer}** ({d.severity}{ref}) drafted by {_who(d.created_by)}, {when} UTC")
        actions.append(cl.Action(name="open_escalation", payload={"id": d.id}, label=f"Open {n}: {d.customer}",
                                 icon="file-text"))
    hint = "" if _is_manager(_user()) else "\n\n_Only a partner manager can approve or reject them._"
    await cl.Message(content="\n".join(lines) + hint, actions=actions, author="Partner Copilot").send()


async def _ask(prompt: str) -> str | None:
    res = await cl.AskUserMessage(content=prompt, timeout=ASK_TIMEOUT_S, author="Partner Copilot").send()
    if not res:
        return None
    value = str(res.get("output", "")).strip()
    return "" if value in {"-", "none", "n/a"} else value


async def _task_done() -> None:
    """Tell the browser the questions are over: each answer to a question marks the session as
    busy again (which disables every button), and a flow started from a button has no message
    handler whose end would clear that."""
    await context.emitter.task_end()


async def draft_flow() -> None:
    """Collect the fields of an escalation note, draft it through the API and show it."""
    try:
        await _draft_flow()
    finally:
        await _task_done()


async def _draft_flow() -> None:
    customer = await _ask("Escalation note: which **customer** is affected?")
    if not customer:
        await cl.Message(content="Escalation cancelled: a customer is required.", author="Partner Copilot").send()
        return
    project = await _ask("Which **project or SOW reference**? (type `-` if you do not know it)")
    if project is None:
        return
    summary = await _ask("Describe the **issue** in one or two sentences.")
    if not summary:
        await cl.Message(content="Escalation cancelled: an issue summary is required.", author="Partner Copilot").send()
        return
    sev = await cl.AskActionMessage(
        content="Which **severity**?",
        actions=[cl.Action(name="severity", payload={"value": v}, label=label) for v, label in SEVERITIES],
        timeout=ASK_TIMEOUT_S,
        author="Partner Copilot",
    ).send()
    if not sev:
        return
    severity = str(sev.get("payload", {}).get("value", "P2"))
    facts_text = await _ask("What have you **observed**? One fact per line (type `-` for none).")
    facts = [ln.strip(" -*\t") for ln in (facts_text or "").splitlines() if ln.strip(" -*\t")]

    msg = cl.Message(content="Drafting the escalation note from your documents…", author="Partner Copilot")
    await msg.send()
    client = _client()
    try:
        draft = await client.draft_escalation(
            customer=customer, project_ref=project or "", summary=summary, severity=severity, observed_facts=facts
        )
    except CopilotAPIError as exc:
        await msg.remove()
        await _error(exc)
        return
    finally:
        await client.aclose()
    await msg.remove()
    await _show_draft(draft)


def _draft_elements(draft: Escalation) -> list[cl.Text]:
    out = []
    for e in draft.evidence:
        out.append(
            _source_card(e["n"], e["title"], e.get("section", ""), e.get("page"), e.get("snippet", ""), e["doc_id"])
        )
    return out


def _draft_markdown(draft: Escalation) -> str:
    """The note for a chat bubble: smaller headings, and an evidence list whose entries are the
    names of the source elements (Chainlit turns them into links to the side panel)."""
    md = draft.markdown.split("\n## Evidence", 1)[0].rstrip()
    md = md.replace("\n## ", "\n#### ")
    if md.startswith("# "):
        md = "### " + md[2:]
    lines = ["", "#### Evidence", ""]
    for e in draft.evidence:
        section = e.get("section") or ""
        page = f", page {e['page']}" if e.get("page") else ""
        lines.append(f"- [{e['n']}] {e['title']}" + (f": {section}{page}" if section or page else ""))
    if not draft.evidence:
        lines.append("No documents were cited.")
    return md + "\n" + "\n".join(lines)


def _status_line(draft: Escalation) -> str:
    if draft.status == "draft":
        return "_Status: **draft**. A partner manager of your organisation must approve it before it is sent._"
    line = f"_Status: **{draft.status}** by {_who(draft.decided_by)}"
    if draft.decided_at:
        line += f" on {draft.decided_at[:16].replace('T', ' ')} UTC"
    line += "._"
    if draft.decision_comment:
        line += f"\n\n> {draft.decision_comment}"
    return line


def _draft_actions(draft: Escalation) -> list[cl.Action]:
    """Approve/Reject only while the note is a draft and the user is a partner manager."""
    if draft.status != "draft" or not _is_manager(_user()):
        return []
    return [
        cl.Action(name="approve_escalation", payload={"id": draft.id}, label="Approve", icon="check"),
        cl.Action(name="reject_escalation", payload={"id": draft.id}, label="Reject", icon="x"),
    ]


async def _show_draft(draft: Escalation) -> None:
    msg = cl.Message(
        content=_draft_markdown(draft) + "\n\n" + _status_line(draft),
        elements=[*_draft_elements(draft), _panel_footer()],  # type: ignore[arg-type]
        actions=_draft_actions(draft),
        author="Partner Copilot",
    )
    await msg.send()
    _messages("notes")[draft.id] = msg


async def _decide(action: cl.Action, approve: bool) -> None:
    try:
        await _decide_once(action, approve)
    finally:
        await _task_done()


async def _decide_once(action: cl.Action, approve: bool) -> None:
    draft_id = action.payload["id"]
    comment = ""
    if not approve:
        reason = await _ask("Why is this note **rejected**? The drafter sees your reason (type `-` for none).")
        if reason is None:
            return
        comment = reason
    client = _client()
    try:
        if approve:
            draft = await client.approve_escalation(draft_id)
        else:
            draft = await client.reject_escalation(draft_id, comment)
    except CopilotAPIError as exc:
        await _error(exc)
        if exc.status == 409:  # decided meanwhile (e.g. in another window): show what it is now
            await _refresh_note(draft_id)
        return
    finally:
        await client.aclose()
    await _update_note(draft)
    verb = "approved" if approve else "rejected"
    who = _who(draft.decided_by)
    await cl.Message(
        content=f"Escalation note for **{draft.customer}** ({draft.severity}) was **{verb}** by {who}.",
        author="Partner Copilot",
    ).send()


async def _update_note(draft: Escalation) -> None:
    """Show the note's new status and buttons in place."""
    msg = _messages("notes").get(draft.id)
    if msg is None:
        return
    msg.content = _draft_markdown(draft) + "\n\n" + _status_line(draft)
    await _replace_actions(msg, _draft_actions(draft))


async def _refresh_note(draft_id: str) -> None:
    client = _client()
    try:
        draft = await client.get_escalation(draft_id)
    except CopilotAPIError:
        return
    finally:
        await client.aclose()
    await _update_note(draft)


@cl.action_callback("approve_escalation")
async def on_approve(action: cl.Action) -> None:
    await _decide(action, approve=True)


@cl.action_callback("reject_escalation")
async def on_reject(action: cl.Action) -> None:
    # The reason is asked for outside the callback, as in on_draft_action.
    asyncio.get_running_loop().create_task(_decide(action, approve=False))
