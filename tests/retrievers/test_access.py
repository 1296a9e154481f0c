"""The visibility rule, exhaustively and property-based."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from retrievers.access import (
    MAX_TS,
    MIN_TS,
    SHARED_TENANT,
    AccessLevel,
    Principal,
    RecordAccess,
    access_filter,
    can_act_on,
    can_manage_document,
    can_read,
    is_visible,
    record_filter,
    to_ts,
    visible_records,
)

TENANTS = ["alder", "birch", "cedar", SHARED_TENANT]
NOW = datetime(2026, 6, 1, tzinfo=UTC)
NOW_TS = to_ts(NOW, 0)


@dataclass
class Meta:
    tenant_id: str
    access_level: AccessLevel
    approved: bool = True
    superseded: bool = False
    valid_from: int = MIN_TS
    valid_until: int = MAX_TS
    doc_id: str = "a.md"


def expected(meta: Meta, p: Principal, now_ts: int) -> bool:
    """The rule written out independently of the implementation, clause by clause."""
    tenant_ok = meta.tenant_id == p.tenant_id or meta.tenant_id == SHARED_TENANT or meta.tenant_id in p.acting_for
    level_ok = meta.access_level.value <= p.access_level.value
    current = meta.valid_from <= now_ts < meta.valid_until
    return tenant_ok and level_ok and meta.approved and not meta.superseded and current


def test_levels_are_ordered():
    assert AccessLevel.PUBLIC < AccessLevel.PARTNER < AccessLevel.INTERNAL < AccessLevel.RESTRICTED
    assert [lvl.label for lvl in AccessLevel] == ["public", "partner", "internal", "restricted"]


@pytest.mark.parametrize("raw", ["secret", "", "admin", 7, -1])
def test_unknown_level_is_rejected(raw):
    with pytest.raises(ValueError):
        AccessLevel.parse(raw)


def test_parse_accepts_names_ints_and_members():
    assert AccessLevel.parse("Internal") is AccessLevel.INTERNAL
    assert AccessLevel.parse(3) is AccessLevel.RESTRICTED
    assert AccessLevel.parse(AccessLevel.PUBLIC) is AccessLevel.PUBLIC


def test_every_combination_of_tenant_level_and_state():
    windows = [(MIN_TS, MAX_TS), (NOW_TS + 1, MAX_TS), (MIN_TS, NOW_TS), (NOW_TS, NOW_TS + 1)]
    checked = 0
    for pt, pl, ct, cl, approved, superseded, (vf, vu) in itertools.product(
        TENANTS[:3], AccessLevel, TENANTS, AccessLevel, [True, False], [True, False], windows
    ):
        p = Principal("u", pt, pl)
        m = Meta(ct, cl, approved, superseded, vf, vu)
        assert is_visible(m, p, NOW) == expected(m, p, NOW_TS), (p, m)
        checked += 1
    assert checked == 3 * 4 * 4 * 4 * 2 * 2 * 4


@given(
    pt=st.sampled_from(TENANTS[:3]),
    pl=st.sampled_from(list(AccessLevel)),
    acting=st.frozensets(st.sampled_from(TENANTS[:3])),
    ct=st.sampled_from(TENANTS + ["other"]),
    cl=st.sampled_from(list(AccessLevel)),
    approved=st.booleans(),
    superseded=st.booleans(),
    vf=st.integers(MIN_TS, MAX_TS),
    span=st.integers(1, MAX_TS),
    now=st.integers(MIN_TS, MAX_TS - 1),
)
def test_rule_matches_specification(pt, pl, acting, ct, cl, approved, superseded, vf, span, now):
    p = Principal("u", pt, pl, acting_for=acting)
    m = Meta(ct, cl, approved, superseded, vf, min(MAX_TS, vf + span))
    flt = access_filter(p, datetime.fromtimestamp(now, tz=UTC))
    assert flt.allows(m) == expected(m, p, now)


@given(pl=st.sampled_from(list(AccessLevel)), cl=st.sampled_from(list(AccessLevel)))
def test_higher_level_never_visible(pl, cl):
    p = Principal("u", "alder", pl)
    assert is_visible(Meta("alder", cl), p, NOW) == (cl <= pl)


def test_other_tenant_never_visible_even_at_top_level():
    p = Principal("u", "alder", AccessLevel.RESTRICTED, roles=frozenset({"tenant_admin"}))
    assert not is_visible(Meta("birch", AccessLevel.PUBLIC), p, NOW)
    assert is_visible(Meta(SHARED_TENANT, AccessLevel.PUBLIC), p, NOW)


def test_acting_for_is_an_explicit_allow_list():
    staff = Principal("v", SHARED_TENANT, AccessLevel.INTERNAL, acting_for=frozenset({"alder"}))
    assert is_visible(Meta("alder", AccessLevel.INTERNAL), staff, NOW)
    assert not is_visible(Meta("birch", AccessLevel.PUBLIC), staff, NOW)


def test_doc_scope_only_narrows():
    p = Principal("u", "alder", AccessLevel.PARTNER)
    flt = access_filter(p, NOW, doc_ids=["a.md"])
    assert flt.tenants == access_filter(p, NOW).tenants
    assert flt.doc_ids == ("a.md",)


def test_validity_window_boundaries():
    p = Principal("u", "alder", AccessLevel.PARTNER)
    assert is_visible(Meta("alder", AccessLevel.PARTNER, valid_from=NOW_TS), p, NOW)
    assert not is_visible(Meta("alder", AccessLevel.PARTNER, valid_until=NOW_TS), p, NOW)


def test_allows_includes_the_doc_ids_clause():
    p = Principal("u", "alder", AccessLevel.PARTNER)
    scoped = access_filter(p, NOW, doc_ids=["a.md"])
    assert scoped.allows(Meta("alder", AccessLevel.PUBLIC, doc_id="a.md"))
    assert not scoped.allows(Meta("alder", AccessLevel.PUBLIC, doc_id="b.md"))
    assert not access_filter(p, NOW, doc_ids=[]).allows(Meta("alder", AccessLevel.PUBLIC))
    assert access_filter(p, NOW, doc_ids=[]).empty and not access_filter(p, NOW).empty
    # Narrowing never widens: a named document above the level or of another tenant stays hidden.
    assert not access_filter(p, NOW, doc_ids=["a.md"]).allows(Meta("alder", AccessLevel.INTERNAL))
    assert not access_filter(p, NOW, doc_ids=["a.md"]).allows(Meta("birch", AccessLevel.PUBLIC))


@pytest.mark.parametrize(("pt", "pl", "acting", "rt", "rl"), list(itertools.product(
    ["alder", SHARED_TENANT], list(AccessLevel), [frozenset(), frozenset({"alder"})], TENANTS, list(AccessLevel))))
def test_record_rule_matches_specification(pt, pl, acting, rt, rl):
    if acting and pt != SHARED_TENANT:
        return  # only vendor staff may act for others (enforced when keys are made)
    p = Principal("u", pt, pl, acting_for=acting)
    rec = RecordAccess(rt, rl, ("x.md",))
    # Written out independently: own tenant or one acted for (never "shared" for a partner), level.
    expected_ok = (rt == pt or rt in acting) and rl <= pl
    assert can_read(p, rec) is expected_ok
    tenants, max_level = record_filter(p)
    assert (rt in tenants and int(rl) <= max_level) is expected_ok


def test_acting_for_has_one_meaning_for_chunks_and_records():
    staff = Principal("v", SHARED_TENANT, AccessLevel.INTERNAL, acting_for=frozenset({"alder"}))
    partner = Principal("p", "alder", AccessLevel.INTERNAL)
    # Documents: vendor-wide shared ones are everyone's; records of the vendor are not.
    assert staff.visible_tenants() == {SHARED_TENANT, "alder"} and staff.record_tenants() == {SHARED_TENANT, "alder"}
    assert partner.visible_tenants() == {"alder", SHARED_TENANT} and partner.record_tenants() == {"alder"}
    assert can_read(staff, RecordAccess("alder", AccessLevel.INTERNAL))
    assert not can_read(staff, RecordAccess("birch", AccessLevel.PUBLIC))
    assert not can_read(partner, RecordAccess(SHARED_TENANT, AccessLevel.PUBLIC))


def test_record_level_is_the_highest_evidence_level_and_unknown_fails_closed():
    acc = RecordAccess.from_evidence("alder", [("a.md", 0), ("b.md", "internal"), ("a.md", 1)])
    assert acc.access_level == AccessLevel.INTERNAL and acc.evidence_doc_ids == ("a.md", "b.md")
    assert RecordAccess.from_evidence("alder", []).access_level == AccessLevel.PUBLIC
    assert RecordAccess.stored("alder", None).access_level == AccessLevel.RESTRICTED
    p = Principal("u", "alder", AccessLevel.PARTNER)
    recs = [RecordAccess("alder", lv) for lv in AccessLevel]
    assert visible_records(p, recs, key=lambda r: r) == recs[:2]


def test_acting_and_managing_need_readability_and_a_role():
    admin = Principal("a", "alder", AccessLevel.INTERNAL, frozenset({"tenant_admin"}))
    assert can_act_on(admin, RecordAccess("alder", AccessLevel.PARTNER), ["tenant_admin"])
    assert not can_act_on(admin, RecordAccess("alder", AccessLevel.PARTNER), ["partner_manager"])
    assert not can_act_on(admin, RecordAccess("alder", AccessLevel.RESTRICTED), ["tenant_admin"])
    assert can_manage_document(admin, Meta("alder", AccessLevel.INTERNAL), ["tenant_admin"])
    assert not can_manage_document(admin, Meta("alder", AccessLevel.RESTRICTED), ["tenant_admin"])
    assert not can_manage_document(admin, Meta(SHARED_TENANT, AccessLevel.PUBLIC), ["tenant_admin"])
    assert not can_manage_document(admin, None, ["tenant_admin"])
