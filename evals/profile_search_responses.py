"""What ``POST /v1/search`` answers over the demo evaluation questions for several principals, written
to one JSON file, so that two checkouts can be compared byte for byte (a CPU cut must not change a
result): every hit's id, rank, score and redacted snippet in hybrid, dense and full-text mode, and
the audit rows the requests left (logged question, chunk ids), with the chain verified.

Each run copies ``--data-dir`` (an ingested demo index, e.g. ``copilot ingest corpora/demo
--data-dir D --create``) to ``--work`` and serves it in process with PII detection on and the
example redaction policy (some principals see some entity types).

``PYTHONPATH=<checkout> python -m evals.profile_search_responses --data-dir D --work /tmp/w --out a.json``
then ``cmp a.json b.json``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from pathlib import Path

# (tenant, level, roles): the demo tenants at each level, and roles the example policy reveals to.
PRINCIPALS = [
    ("shared", "public", ()), ("alder", "partner", ()), ("cedar", "internal", ()), ("birch", "restricted", ()),
    ("alder", "restricted", ("privacy_officer",)), ("shared", "internal", ("support_lead",)),
    ("alder", "internal", ()), ("cedar", "restricted", ("privacy_officer", "support_lead")),
]
ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", type=Path, required=True)
    ap.add_argument("--work", type=Path, required=True, help="a scratch copy of --data-dir (replaced)")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--evalset", type=Path, default=ROOT / "corpora" / "demo" / "evalset.jsonl")
    args = ap.parse_args(argv)
    from fastapi.testclient import TestClient

    from copilot.api.app import create_app
    from copilot.core.settings import load_settings

    shutil.rmtree(args.work, ignore_errors=True)
    shutil.copytree(args.data_dir, args.work)
    settings = load_settings(data_dir=args.work, pii_detection=True, query_cache_size=0,
                             api_rate_limit="10000000/minute", answer_prewarm_sentences=0,
                             redaction_policy_path=ROOT / "guardrails" / "redaction_policy.yaml")
    app = create_app(settings)
    questions = [json.loads(line)["question"] for line in args.evalset.read_text().splitlines() if line.strip()]
    res: dict[str, object] = {}
    with TestClient(app) as c:
        state = app.state.copilot
        deadline = time.time() + 300
        while not state.ready and time.time() < deadline:
            time.sleep(0.2)
        keys = [state.keys.create(f"p{i}", t, lv, roles=r)[0] for i, (t, lv, r) in enumerate(PRINCIPALS)]
        for pi, key in enumerate(keys):
            for mode in ("hybrid", "dense", "fulltext"):
                for qi, q in enumerate(questions if mode == "hybrid" else questions[::3]):
                    r = c.post("/v1/search", json={"query": q, "k": 10, "mode": mode}, headers={"X-API-Key": key})
                    res[f"{pi}|{mode}|{qi}"] = [r.status_code, r.json().get("results", [])]
        res["audit"] = [(e.route, e.status, e.query, e.chunk_ids) for e in state.audit.rows()]
        res["chain_verifies"] = state.audit.verify().ok
    args.out.write_text(json.dumps(res, sort_keys=True))
    print(f"{len(res) - 2} searches, {len(res['audit'])} audit rows, chain verifies: {res['chain_verifies']}")  # type: ignore[arg-type]
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
