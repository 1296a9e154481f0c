"""Consistency checks of the demo corpus: manifest coverage, eval set, canaries, injection.

No model is loaded; text is extracted with plain libraries (python-docx, pdfminer.six,
BeautifulSoup) so these checks do not depend on the ingestion parser under test elsewhere.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import pytest

from ingestion.manifest import DocumentTags, load_manifest
from retrievers.access import AccessLevel, Principal, is_visible
from retrievers.schema import DocType

ROOT = Path(__file__).resolve().parents[2] / "corpora" / "demo"
DOCS = ROOT / "docs"
TENANTS = {"shared", "alder", "birch", "cedar"}
PARTNER_TENANTS = ("alder", "birch", "cedar")
DOC_TYPES = {t.value for t in DocType}
FORMATS = {".md", ".txt", ".html", ".docx", ".pdf"}
ENTITY_TYPES = {"PERSON", "EMAIL_ADDRESS", "PHONE_NUMBER", "IBAN_CODE"}
NOW = datetime.now(UTC)


def norm(text: str) -> str:
    return " ".join(text.split())


@cache
def extract(doc_id: str) -> str:
    """Whitespace-normalised plain text of a corpus document."""
    path = ROOT / doc_id
    suffix = path.suffix.lower()
    if suffix in (".md", ".txt"):
        text = path.read_text(encoding="utf-8")
    elif suffix == ".html":
        from bs4 import BeautifulSoup

        text = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser").get_text(" ")
    elif suffix == ".docx":
        import docx

        d = docx.Document(str(path))
        parts = [p.text for p in d.paragraphs]
        parts += [c.text for t in d.tables for row in t.rows for c in row.cells]
        text = "\n".join(parts)
    elif suffix == ".pdf":
        from pdfminer.high_level import extract_text

        text = extract_text(str(path))
    else:  # pragma: no cover - the format test below fails first
        raise AssertionError(f"unexpected format {doc_id}")
    return norm(text)


@cache
def manifest():
    return load_manifest(ROOT / "manifest.yaml")


@cache
def doc_ids() -> tuple[str, ...]:
    """Every file ingestion would treat as a document: all files the manifest does not exclude."""
    files = (p.relative_to(ROOT).as_posix() for p in ROOT.rglob("*") if p.is_file())
    return tuple(sorted(f for f in files if not manifest().is_excluded(f)))


@cache
def tags() -> dict[str, DocumentTags]:
    """Tags of every tagged document (untagged ones are reported by their own test)."""
    out = {}
    for d in doc_ids():
        t = manifest().tags_for(d)
        if t is not None:
            out[d] = t
    return out


@cache
def superseded() -> frozenset[str]:
    return frozenset(doc for _tenant, doc in manifest().superseded_ids(list(doc_ids())))


@dataclass
class Meta:
    """The fields the visibility rule reads, built from manifest tags."""

    tenant_id: str
    access_level: AccessLevel
    approved: bool
    superseded: bool
    valid_from: int
    valid_until: int


def meta(doc_id: str) -> Meta:
    t = tags()[doc_id]
    return Meta(t.tenant_id, t.access_level, t.approved, doc_id in superseded(), t.valid_from_ts, t.valid_until_ts)


def principal(case: dict) -> Principal:
    p = case["principal"]
    return Principal(
        subject=f"eval:{case['id']}", tenant_id=p["tenant_id"], access_level=AccessLevel.parse(p["access_level"])
    )


@cache
def evalset() -> tuple[dict, ...]:
    lines = (ROOT / "evalset.jsonl").read_text(encoding="utf-8").splitlines()
    return tuple(json.loads(line) for line in lines if line.strip())


def load_render_module():
    spec = importlib.util.spec_from_file_location("demo_render", ROOT.parents[1] / "scripts" / "render_demo_corpus.py")
    mod = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    sys.modules[spec.name] = mod  # dataclasses resolve annotations through sys.modules
    spec.loader.exec_module(mod)
    return mod


# ------------------------------------------------------------------ manifest and documents


def test_manifest_is_valid_and_every_entry_matches_a_file():
    m = manifest()
    assert m.invalid == [], [e.error for e in m.invalid]
    files = doc_ids()
    for entry in m.documents:
        assert any(entry.path == f or re.fullmatch(_glob_re(entry.path), f) for f in files), (
            f"manifest entry {entry.path!r} matches no document"
        )


def _glob_re(glob: str) -> str:
    import fnmatch

    return fnmatch.translate(glob)


def test_every_document_is_tagged():
    for d in doc_ids():
        assert manifest().tags_for(d) is not None, f"{d} has no tags in manifest.yaml"


def test_nothing_under_docs_is_excluded_and_support_files_are():
    for p in ROOT.rglob("*"):
        if not p.is_file():
            continue
        rel = p.relative_to(ROOT).as_posix()
        support = (
            rel.startswith("src/") or p.suffix in (".json", ".jsonl", ".py")
            or rel in ("README.md", "manifest.yaml", "escalation-plans.yaml")
        )
        if rel.startswith("docs/"):
            assert not manifest().is_excluded(rel), f"{rel} is excluded but lives under docs/"
        if support:
            assert manifest().is_excluded(rel), f"{rel} would be ingested as a document"


def test_corpus_size_formats_tenants_levels_and_types():
    ids = doc_ids()
    assert len(ids) >= 40
    assert {Path(d).suffix for d in ids} == FORMATS  # every format present, nothing else
    by_fmt = Counter(Path(d).suffix for d in ids)
    assert by_fmt[".docx"] >= 3 and by_fmt[".pdf"] >= 3, by_fmt
    t = tags()
    assert {x.tenant_id for x in t.values()} == TENANTS
    assert {x.access_level for x in t.values()} == set(AccessLevel)
    assert {str(x.doc_type) for x in t.values()} == DOC_TYPES
    for d, x in t.items():
        if d.startswith("docs/"):
            assert d.split("/")[1] == x.tenant_id, f"{d} is filed under another tenant's folder"


def test_lifecycle_cases_exist_drafts_expired_superseded():
    t = tags()
    drafts = [d for d, x in t.items() if not x.approved]
    expired = [d for d, x in t.items() if x.valid_until_ts <= NOW.timestamp()]
    assert len(drafts) >= 2, drafts
    assert len(expired) == 1, expired
    sup = superseded()
    assert sup and all(s in t for s in sup), sup
    for d in sup:  # the replacement is a newer version of the same kind of document
        newer = [x for x in t.values() if x.supersedes == d]
        assert newer and newer[0].doc_type == t[d].doc_type


def test_documents_have_realistic_length():
    # No stubs or empty files; at least 40 full documents of several sections (300+ words);
    # nothing so long that it stops being one readable document.
    words = {d: len(extract(d).split()) for d in doc_ids()}
    for d, n in words.items():
        assert 40 <= n <= 1600, f"{d}: {n} words"
    assert sum(1 for n in words.values() if n >= 300) >= 40


def test_pdfs_have_outline_and_one_spans_several_pages():
    from pdfminer.pdfdocument import PDFDocument
    from pdfminer.pdfpage import PDFPage
    from pdfminer.pdfparser import PDFParser

    pages = {}
    for d in doc_ids():
        if not d.endswith(".pdf"):
            continue
        with open(ROOT / d, "rb") as fh:
            doc = PDFDocument(PDFParser(fh))
            assert len(list(doc.get_outlines())) >= 3, f"{d} has no heading outline"
            pages[d] = len(list(PDFPage.create_pages(doc)))
    assert max(pages.values()) >= 3, pages


def test_docx_use_heading_styles():
    import docx

    for d in doc_ids():
        if d.endswith(".docx"):
            styles = {p.style.name for p in docx.Document(str(ROOT / d)).paragraphs}
            assert "Title" in styles and "Heading 1" in styles, (d, styles)


def test_rendered_files_match_their_sources():
    """Every paragraph of a DOCX/PDF source appears in the committed rendering (no stale renders)."""
    mod = load_render_module()
    pairs = mod.targets()
    assert len(pairs) >= 6
    for src, target in pairs:
        rel = target.relative_to(ROOT).as_posix()
        text = extract(rel)
        for block in mod.parse_source(src.read_text(encoding="utf-8")):
            for piece in block.items or [block.text]:
                assert norm(piece) in text, f"{rel} is stale: {piece[:60]!r} missing; run scripts/render_demo_corpus.py"


# ------------------------------------------------------------------ eval set


REQUIRED_KEYS = {
    "id",
    "question",
    "principal",
    "reference_doc_ids",
    "reference_contexts",
    "reference_answer",
    "forbidden_doc_ids",
    "answerable",
}


def test_evalset_schema():
    cases = evalset()
    assert len({c["id"] for c in cases}) == len(cases), "duplicate ids"
    for c in cases:
        assert set(c) == REQUIRED_KEYS, c["id"]
        assert isinstance(c["question"], str) and c["question"].strip()
        assert set(c["principal"]) == {"tenant_id", "access_level"}
        assert c["principal"]["tenant_id"] in TENANTS
        AccessLevel.parse(c["principal"]["access_level"])
        assert isinstance(c["answerable"], bool)
        for key in ("reference_doc_ids", "reference_contexts", "forbidden_doc_ids"):
            assert isinstance(c[key], list) and all(isinstance(x, str) for x in c[key]), (c["id"], key)
        if c["answerable"]:
            assert c["reference_doc_ids"] and c["reference_contexts"] and c["reference_answer"], c["id"]
        else:
            assert c["reference_doc_ids"] == [] and c["reference_contexts"] == [], c["id"]


def test_evalset_counts_and_coverage():
    cases = evalset()
    answerable = [c for c in cases if c["answerable"]]
    forbidden_only = [c for c in cases if not c["answerable"] and c["forbidden_doc_ids"]]
    uncovered = [c for c in cases if not c["answerable"] and not c["forbidden_doc_ids"]]
    assert len(cases) >= 90
    assert len(forbidden_only) >= 25
    assert len(uncovered) >= 8
    seen = {(c["principal"]["tenant_id"], c["principal"]["access_level"]) for c in answerable}
    for tenant in PARTNER_TENANTS:
        for level in ("partner", "internal", "restricted"):
            assert (tenant, level) in seen, f"no answerable case for {tenant}/{level}"
    assert ("shared", "internal") in seen
    assert any(level == "public" for _, level in seen)
    for tenant in PARTNER_TENANTS:  # shared content is asked by every partner tenant
        assert any(
            c["principal"]["tenant_id"] == tenant and any(r.startswith("docs/shared/") for r in c["reference_doc_ids"])
            for c in answerable
        ), tenant
    # Every kind of hidden document is exercised: other tenant, higher level, draft, expired, superseded.
    hidden_kinds = set()
    for c in forbidden_only:
        p = principal(c)
        for d in c["forbidden_doc_ids"]:
            m = meta(d)
            if m.tenant_id not in p.visible_tenants():
                hidden_kinds.add("tenant")
            elif m.access_level > p.access_level:
                hidden_kinds.add("level")
            elif not m.approved:
                hidden_kinds.add("draft")
            elif m.superseded:
                hidden_kinds.add("superseded")
            elif m.valid_until <= NOW.timestamp():
                hidden_kinds.add("expired")
    assert hidden_kinds == {"tenant", "level", "draft", "superseded", "expired"}, hidden_kinds


def test_evalset_references_exist_and_obey_the_access_rule():
    """Reference docs are visible to the case's principal; forbidden docs are not."""
    known = set(doc_ids())
    for c in evalset():
        p = principal(c)
        for d in c["reference_doc_ids"]:
            assert d in known, (c["id"], d)
            assert is_visible(meta(d), p, NOW), f"{c['id']}: reference {d} is not visible to {c['principal']}"
        for d in c["forbidden_doc_ids"]:
            assert d in known, (c["id"], d)
            assert not is_visible(meta(d), p, NOW), f"{c['id']}: forbidden {d} is visible to {c['principal']}"
        assert not set(c["reference_doc_ids"]) & set(c["forbidden_doc_ids"]), c["id"]


def test_reference_contexts_are_verbatim_in_their_documents():
    for c in evalset():
        texts = [extract(d) for d in c["reference_doc_ids"]]
        for ctx in c["reference_contexts"]:
            assert any(norm(ctx) in t for t in texts), f"{c['id']}: context not found: {ctx[:70]!r}"


def test_evalset_jsonl_is_in_sync_with_its_source():
    mod = load_render_module()
    assert list(evalset()) == mod.build_evalset(), "evalset.jsonl is stale: run scripts/render_demo_corpus.py"


# ------------------------------------------------------------------ canaries and injection


@cache
def canaries() -> tuple[dict, ...]:
    return tuple(json.loads((ROOT / "canaries.json").read_text(encoding="utf-8")))


def _iban_ok(value: str) -> bool:
    s = value.replace(" ", "").upper()
    digits = "".join(str(int(ch, 36)) for ch in s[4:] + s[:4])
    return int(digits) % 97 == 1


def test_canaries_appear_verbatim_in_their_documents():
    known = set(doc_ids())
    for c in canaries():
        assert set(c) == {"doc_id", "entity_type", "value"}
        assert c["doc_id"] in known, c
        assert c["entity_type"] in ENTITY_TYPES, c
        assert norm(c["value"]) in extract(c["doc_id"]), f"canary {c['value']!r} not in {c['doc_id']}"


def test_canaries_are_varied_and_well_formed():
    import phonenumbers

    cs = canaries()
    assert len({c["doc_id"] for c in cs}) >= 8
    assert {c["entity_type"] for c in cs} == ENTITY_TYPES
    persons = {c["value"] for c in cs if c["entity_type"] == "PERSON"}
    assert sum(1 for v in persons if not v.isascii()) >= 2, persons
    for c in cs:
        if c["entity_type"] == "IBAN_CODE":
            assert _iban_ok(c["value"]), c
        elif c["entity_type"] == "PHONE_NUMBER":
            assert phonenumbers.is_valid_number(phonenumbers.parse(c["value"])), c
        elif c["entity_type"] == "EMAIL_ADDRESS":
            assert re.fullmatch(r"[\w.+-]+@[\w-]+(\.[\w-]+)*\.example", c["value"]), c
    # Canaries sit at more than one access level, so redaction is exercised beyond restricted docs.
    assert len({tags()[c["doc_id"]].access_level for c in cs}) >= 3


def test_injection_text_is_in_its_partner_document():
    inj = json.loads((ROOT / "injection.json").read_text(encoding="utf-8"))
    assert set(inj) == {"doc_id", "text"}
    assert norm(inj["text"]) in extract(inj["doc_id"])
    t = tags()[inj["doc_id"]]
    assert (t.tenant_id, t.access_level) == ("birch", AccessLevel.PARTNER)
    assert "ignore all previous instructions" in inj["text"].lower()


@pytest.mark.parametrize("name", ["README.md", "manifest.yaml", "evalset.jsonl"])
def test_corpus_support_files_exist(name):
    assert (ROOT / name).is_file()
