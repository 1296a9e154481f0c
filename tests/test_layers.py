"""The layers of the design hold: import-linter's contracts (pyproject.toml) are all kept, and the
chat imports the service only through the portal client (plus its own logins-file module)."""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PRODUCT = ("copilot", "retrievers", "guardrails", "ingestion", "evals")


def test_import_contracts_are_kept() -> None:
    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    lint = Path(sys.executable).with_name("lint-imports")
    proc = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    # Every contract of the config was checked (a contract that failed to load is not "kept").
    assert f"Contracts: {len(contracts)} kept, 0 broken." in out, out


def _imported_modules(path: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names += [node.module] + [f"{node.module}.{a.name}" for a in node.names]
    return names


def test_chat_reaches_the_service_only_through_the_client() -> None:
    imported = _imported_modules(ROOT / "chainlit_app.py")
    product = [n for n in imported if n.split(".")[0] in PRODUCT]
    assert product, "the chat no longer imports the client: update this test"
    # The chat's own modules: the portal client and the logins file (both kept free of server
    # imports by the first import-linter contract).
    chat_side = ("copilot.client", "copilot.chat_users")
    outside = [n for n in product if n not in chat_side and not n.startswith(tuple(f"{m}." for m in chat_side))
               and n != "copilot"]
    assert outside == [], f"chainlit_app.py imports server code: {outside}"
