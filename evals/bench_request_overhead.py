"""CPU of the per-request governance work of a search (API-key authentication, audit append),
this checkout against an older one, in one process, rounds interleaved.

``--before DIR`` is an older checkout (``git archive <commit> | tar -x -C DIR``); its
``copilot/core/auth.py`` and ``copilot/core/audit.py`` are loaded under other module names and run
against the same database as this checkout's. CPU is the calling thread's (``time.thread_time``),
so other load on the machine inflates both sides alike instead of deciding the result.

``python -m evals.bench_request_overhead --before /tmp/before --database postgresql+psycopg://...``
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from evals.bench_common import load_module, machine


def _cpu_ms(fn: Any, n: int) -> float:
    t = time.thread_time()
    for _ in range(n):
        fn()
    return (time.thread_time() - t) * 1000 / n


def _record(audit: Any) -> Any:
    return audit.AuditRecord(
        trace_id=uuid.uuid4().hex, subject="key:bench", tenant_id="alder", route="/v1/search", method="POST",
        status=200, query="what is the notice period for <PERSON_1>", chunk_ids=[uuid.uuid4().hex for _ in range(10)],
        latency_ms=50.0, details={"mode": "hybrid", "k": 10})


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--before", type=Path, required=True)
    ap.add_argument("--database", default=None, help="governance database URL (default: SQLite in a temp dir)")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--n", type=int, default=300, help="calls per measurement")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)
    from copilot.core import audit, auth
    from copilot.core.db import open_database

    old_audit = load_module(args.before / "copilot" / "core" / "audit.py", "_audit_before")
    old_auth = load_module(args.before / "copilot" / "core" / "auth.py", "_auth_before")
    url = args.database or f"sqlite:///{Path(tempfile.mkdtemp(prefix='bench-overhead-')) / 'gov.db'}"
    db = open_database(url)
    ring = audit.Keyring(b"bench-audit-key-0123456789abcdef")
    new_keys = auth.KeyStore(db, ring)
    old_keys = old_auth.KeyStore(db, old_audit.Keyring(ring.current))
    key, _ = new_keys.create(f"bench-{uuid.uuid4().hex[:8]}", "alder", "internal")
    assert new_keys.authenticate(key) == old_keys.authenticate(key)
    logs = {"before": old_audit.AuditLog(db, old_audit.Keyring(ring.current)), "after": audit.AuditLog(db, ring)}
    mods = {"before": old_audit, "after": audit}
    runs: list[dict[str, Any]] = []
    for rnd in range(args.rounds):
        order = ("before", "after") if rnd % 2 == 0 else ("after", "before")
        for way in order:
            keys = old_keys if way == "before" else new_keys
            row: dict[str, Any] = {"round": rnd, "code": way,
                                   "auth_ms": round(_cpu_ms(lambda k=keys: k.authenticate(key), args.n), 3)}
            for group in (1, 3):
                log, mod = logs[way], mods[way]
                ms = _cpu_ms(lambda lg=log, m=mod, g=group: lg._commit([_record(m) for _ in range(g)]),
                             max(1, args.n // group))
                row[f"audit_ms_per_row_group{group}"] = round(ms / group, 3)
            print(json.dumps(row), flush=True)
            runs.append(row)
    verified = audit.AuditLog(db, ring).verify()
    fields = ("auth_ms", "audit_ms_per_row_group1", "audit_ms_per_row_group3")
    median = {way: {f: statistics.median(r[f] for r in runs if r["code"] == way) for f in fields}
              for way in ("before", "after")}
    result = {"machine": machine(), "database": db.dialect, "rounds": args.rounds, "n": args.n, "runs": runs,
              "median": median, "chain_verifies": verified.ok, "audit_rows": verified.rows}
    print(json.dumps({"median": median, "chain_verifies": verified.ok}))
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
