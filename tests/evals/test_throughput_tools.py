"""The throughput benchmark's summary and the profiler's stage attribution."""

from __future__ import annotations

from types import SimpleNamespace

from evals.bench_throughput import summarise
from evals.profile_search import stage_table, thread_cpu


def _run(setup: str, clients: int, rps: float, cpu: float, rnd: int) -> dict[str, object]:
    return {"setup": setup, "clients": clients, "req_per_s": rps, "p50_ms": 10.0 * rnd, "p95_ms": 20.0,
            "server_cpu_ms_per_request": cpu, "errors": 0, "load_avg_1m": [1.0 + rnd, 2.0 + rnd], "round": rnd}


def test_summary_takes_the_median_of_rounds_in_run_order() -> None:
    runs = [_run("before", 1, 10, 60, 0), _run("after", 1, 20, 40, 0),
            _run("before", 1, 14, 70, 1), _run("after", 1, 30, 50, 1), _run("before", 1, 12, 65, 2),
            _run("after", 1, 25, 45, 2)]
    rows = summarise(runs)
    assert [r["setup"] for r in rows] == ["before", "after"]
    before, after = rows
    assert before["req_per_s"] == 12 and before["server_cpu_ms_per_request"] == 65 and before["rounds"] == 3
    assert after["req_per_s"] == 25 and after["load_avg_1m"] == [1.0, 4.0]


def test_stages_match_methods_by_their_unqualified_name_and_module() -> None:
    stats = [
        SimpleNamespace(name="GuardMiddleware._audit", module="/x/copilot/api/middleware.py", ttot=0.5),
        SimpleNamespace(name="AuditLog.append", module="/x/copilot/core/audit.py", ttot=0.3),
        SimpleNamespace(name="append", module="/x/other/module.py", ttot=9.0),  # same name, other module
    ]
    rows = {r["stage"]: r["cpu_ms_per_request"] for r in stage_table(stats, 100)}
    assert rows == {"audit row total": 5.0, "audit append (HMAC + SQL commit)": 3.0}


def test_thread_cpu_groups_numbered_threads() -> None:
    cpu = thread_cpu()
    assert cpu and all(v >= 0 for v in cpu.values())
    assert not any(k[-1].isdigit() for k in cpu)
