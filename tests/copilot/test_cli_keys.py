"""`copilot keys create/list/revoke` and what the stored rows contain (no model loading)."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from copilot.cli import app
from copilot.core.audit import load_keyring
from copilot.core.auth import KeyStore
from copilot.core.db import ApiKey, open_database
from copilot.core.settings import Settings


def test_keys_lifecycle(tmp_path):
    runner = CliRunner()
    d = ["--data-dir", str(tmp_path)]
    env = {"COPILOT_DATABASE_URL": f"sqlite:///{tmp_path / 'copilot.db'}"}
    r = runner.invoke(
        app,
        [
            "keys",
            "create",
            "--tenant",
            "alder",
            "--level",
            "internal",
            "--roles",
            "tenant_admin,partner_manager",
            "--name",
            "alder-admin",
            "--json",
            *d,
        ],
        env=env,
    )
    assert r.exit_code == 0, r.output
    made = json.loads(r.output)
    key = made["key"]
    assert made["roles"] == ["partner_manager", "tenant_admin"] and made["access_level"] == "internal"

    db = open_database(env["COPILOT_DATABASE_URL"])
    keyring = load_keyring(Settings(data_dir=tmp_path))  # the key the CLI generated in the data dir
    with db.session() as s:
        row = s.query(ApiKey).one()
    assert key.split("_")[-1] not in (row.secret_hash, row.salt)  # only a salted hash is stored
    principal, _ = KeyStore(db, keyring).authenticate(key)
    assert principal.tenant_id == "alder" and principal.has_role("tenant_admin")

    # Duplicate names, partners acting for others and unknown levels are refused.
    r = runner.invoke(app, ["keys", "create", "--tenant", "alder", "--name", "alder-admin", *d], env=env)
    assert r.exit_code == 1
    r = runner.invoke(app, ["keys", "create", "--tenant", "alder", "--name", "x", "--acting-for", "birch", *d], env=env)
    assert r.exit_code == 2 and "vendor staff" in r.output
    r = runner.invoke(app, ["keys", "create", "--tenant", "alder", "--name", "y", "--level", "boss", *d], env=env)
    assert r.exit_code == 2

    listed = json.loads(runner.invoke(app, ["keys", "list", "--json", *d], env=env).output)
    assert [k["name"] for k in listed] == ["alder-admin"] and "key" not in listed[0]
    assert runner.invoke(app, ["keys", "revoke", "alder-admin", *d], env=env).exit_code == 0
    assert KeyStore(db, keyring).authenticate(key) is None
    assert runner.invoke(app, ["keys", "revoke", "alder-admin", *d], env=env).exit_code == 1
