"""Longest test files first, so a parallel run does not end on one slow file.

`make test` hands whole files to the workers (`--dist loadfile --no-loadscope-reorder`) in
collection order. xdist's own order (most tests first) put the files with a few very slow tests
last, and the run ended with one worker busy for minutes while the other idled. Here files are
ordered by their measured duration, longest first (the classic longest-processing-time rule);
files without a measurement keep their usual order after the measured ones. Durations live in
tests/durations.json and are refreshed with `make test-durations`.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest

DURATIONS = Path(__file__).with_name("durations.json")


def file_of(nodeid: str) -> str:
    return nodeid.split("::", 1)[0]


def longest_first(files: list[str], seconds: dict[str, float]) -> list[str]:
    """Distinct files of ``files`` (in order of first appearance), measured ones longest first."""
    first: dict[str, int] = {}
    for f in files:
        first.setdefault(f, len(first))
    return sorted(first, key=lambda f: (-seconds.get(f, 0.0), first[f]))


def _load() -> dict[str, float]:
    try:
        data = json.loads(DURATIONS.read_text())
    except (OSError, ValueError):
        return {}
    return {str(k): float(v) for k, v in data.items() if isinstance(v, int | float)}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--record-durations", action="store_true", default=False,
                     help=f"write each test file's total duration to {DURATIONS.name}")


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    rank = {f: i for i, f in enumerate(longest_first([file_of(i.nodeid) for i in items], _load()))}
    items.sort(key=lambda i: rank[file_of(i.nodeid)])  # stable: a file's own order is kept


_recorded: defaultdict[str, float] = defaultdict(float)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    _recorded[file_of(report.nodeid)] += report.duration


def pytest_sessionfinish(session: pytest.Session) -> None:
    config = session.config
    # Under xdist the controller sees every worker's reports; the workers write nothing.
    if not config.getoption("--record-durations") or hasattr(config, "workerinput") or not _recorded:
        return
    DURATIONS.write_text(json.dumps({f: round(s, 1) for f, s in sorted(_recorded.items())}, indent=1) + "\n")
