"""The business PII set: a second and a third dev family added without touching the earlier rows."""

from __future__ import annotations

import hashlib
import json

import pytest

from evals.bench_pii import halves
from evals.pii_synth import (
    DEFAULT_DEV2,
    DEFAULT_DEV3,
    DEFAULT_OUT,
    DEV2_FAMILY,
    DEV2_GENRES,
    DEV3_FAMILY,
    DEV3_GENRES,
    GENRES,
    PII_SLOTS,
    TEST_GENRES,
    dumps_row,
    generate,
)

# sha256 of the test half's JSONL lines as first committed (480-row set, before the second family).
TEST_ROWS_SHA256 = "45af7d5ae752a2583dc92f11cd60b484ac7000af4431694f2cfb87516f43b801"


def _test_hash(lines: list[str]) -> str:
    return hashlib.sha256("".join(x for x in lines if json.loads(x)["split"] == "test").encode()).hexdigest()


@pytest.fixture(scope="module")
def rows() -> list[dict]:
    return generate(n_dev2=DEFAULT_DEV2, n_dev3=DEFAULT_DEV3)


def test_test_half_byte_identical(rows: list[dict]) -> None:
    assert _test_hash([dumps_row(r) for r in rows]) == TEST_ROWS_SHA256
    committed = DEFAULT_OUT.read_text(encoding="utf-8").splitlines(keepends=True)
    assert _test_hash(committed) == TEST_ROWS_SHA256
    assert committed == [dumps_row(r) for r in rows]  # the file is the generator's output


def test_first_rows_do_not_depend_on_second_family(rows: list[dict]) -> None:
    assert generate(n_dev2=0) == rows[:480]


def test_first_two_families_do_not_depend_on_the_third(rows: list[dict]) -> None:
    assert generate(n_dev2=DEFAULT_DEV2) == rows[: 480 + DEFAULT_DEV2]


@pytest.mark.parametrize(
    ("family", "genres", "first", "n"),
    [(DEV2_FAMILY, DEV2_GENRES, 480, DEFAULT_DEV2), (DEV3_FAMILY, DEV3_GENRES, 480 + DEFAULT_DEV2, DEFAULT_DEV3)],
)
def test_later_family_rows(rows: list[dict], family: str, genres: tuple[str, ...], first: int, n: int) -> None:
    new = rows[first : first + n]
    assert len(new) == n
    assert all(r["split"] == "dev" and r["family"] == family for r in new)
    others = {g for r in rows if r.get("family") != family for g in [r["genre"]]}
    assert not set(genres) & (others | set(GENRES) | set(TEST_GENRES))
    assert {r["genre"] for r in new} == set(genres)
    assert sum(not r["spans"] for r in new) >= 0.25 * len(new)
    assert {s["entity_type"] for r in new for s in r["spans"]} == set(PII_SLOTS.values()) | {"US_SSN"}
    kinds = {n["kind"] for r in new for n in r["negatives"]}
    assert kinds == {"date", "version", "ticket", "order", "clause", "amount", "product", "org", "title"}
    assert len({r["id"] for r in rows}) == len(rows)


def test_halves_report_each_family(rows: list[dict]) -> None:
    h = halves(rows)
    assert len(h["test"]) == 240 and len(h["dev1"]) == 240 and len(h["dev2"]) == DEFAULT_DEV2
    assert len(h["dev3"]) == DEFAULT_DEV3
    assert sorted(h["dev"]) == sorted(h["dev1"] + h["dev2"] + h["dev3"])
    assert set(halves(rows[:480])) == {"dev", "test"}
