"""The user-facing docs name only files that exist, give no platform-specific openers, and the README
lists every HTTP route and CLI command that exists."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", ROOT / "chainlit.md", *sorted((ROOT / "docs").glob("*.md"))]
# Written at run time by the demo or the operator, never in the repository.
GENERATED = (".data/", "deploy/chat-users.json", ".env")
EXT = "md|py|toml|yml|yaml|json|jsonl|lock|txt|png|cfg"
PATH = re.compile(rf"(?<![\w/.:-])((?:\./)?(?:\.?[\w-]+/)+[\w.-]+\.(?:{EXT}))\b")
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def _mentions(text: str) -> set[str]:
    found = {m.group(1) for m in PATH.finditer(text)}
    found |= {m.group(1) for m in LINK.finditer(text) if not m.group(1).startswith(("http", "mailto:"))}
    return found


def test_every_path_the_docs_mention_exists():
    missing = []
    for doc in DOCS:
        for ref in _mentions(doc.read_text()):
            if ref.startswith(GENERATED):
                continue
            if not ((doc.parent / ref).exists() or (ROOT / ref).exists()):
                missing.append(f"{doc.relative_to(ROOT)}: {ref}")
    assert not missing, missing


def test_the_path_check_finds_paths_and_links():
    # The extractor itself: a missing file in the text must be seen.
    seen = _mentions("see docs/nope.md and [the guide](docs/guide.md#x) or ./a/b.py; http://x/y.md")
    assert seen == {"docs/nope.md", "docs/guide.md", "./a/b.py"}


def test_no_macos_only_or_desktop_openers_in_instructions():
    for doc in DOCS:
        for line in doc.read_text().splitlines():
            assert not re.match(r"\s*(open|xdg-open|start)\s+https?://", line), f"{doc.name}: {line}"


def test_quick_start_names_the_chat_the_keys_file_and_the_logins():
    readme = (ROOT / "README.md").read_text()
    quick = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    assert "http://127.0.0.1:8001" in quick and ".data/demo/demo-keys.txt" in quick
    from copilot.cli.commands.demo import DEMO_USERS, KEYS_FILE, chat_login

    assert KEYS_FILE in quick
    for u in DEMO_USERS:
        assert f"`{chat_login(u.name)}`" in quick
    assert max(len(line) for line in quick.split("```")[1].splitlines()) <= 80  # the curl example


README = (ROOT / "README.md").read_text()


def _routes() -> list[tuple[str, str]]:
    from copilot.api.app import create_app
    from copilot.core.settings import Settings

    app = create_app(Settings())  # routes only: the lifespan (models, database) never runs here
    paths = app.openapi()["paths"]
    return [(m.upper(), p) for p, ops in paths.items() for m in ops]


def test_readme_lists_every_route() -> None:
    routes = _routes()
    assert len(routes) >= 15  # the schema was read (a broken app would list none)
    lines = README.splitlines()
    missing = [f"{m} {p}" for m, p in routes
               if not any(f"`{p}`" in line or f" {p}`" in line for line in lines if m in line)]
    assert missing == [], f"routes missing from README.md: {missing}"


def _commands() -> list[str]:
    import typer.main

    from copilot.cli import app

    group = typer.main.get_command(app)
    names = []
    for name, cmd in group.commands.items():  # type: ignore[attr-defined]
        sub = getattr(cmd, "commands", None)
        names += [f"{name} {s}" for s in sub] if sub else [name]
    return names


def test_readme_lists_every_cli_command() -> None:
    commands = _commands()
    assert {"serve", "keys create", "audit tail", "check sow"} <= set(commands)
    listed = set()
    for line in README.splitlines():
        for group, subs in re.findall(r"`copilot ([a-z-]+)(?: ([a-z|-]+))?`", line):
            listed |= {f"{group} {s}" for s in subs.split("|")} if subs else {group}
    assert sorted(set(commands) - listed) == [], "commands missing from README.md"
