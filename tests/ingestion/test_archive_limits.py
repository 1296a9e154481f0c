"""ZIP-based documents are checked for expansion, entry count and ratio before any parser runs."""

from __future__ import annotations

import io
import tracemalloc
import zipfile

import pytest

from evals.bench_common import bomb_docx
from ingestion.parsing import ArchiveLimits, ParseError, check_archive, parse_bytes


@pytest.fixture(scope="module")
def bomb() -> bytes:
    return bomb_docx(400)


def test_decompression_bomb_is_rejected_with_little_memory(bomb):
    assert len(bomb) < 1_000_000  # a small file ...
    tracemalloc.start()
    try:
        with pytest.raises(ParseError) as exc:
            parse_bytes(bomb, "uploads/bomb.docx")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "decompression bomb" in str(exc.value) and "bomb.docx" in str(exc.value)
    assert peak < 100 * 1024 * 1024


def test_too_many_entries_is_rejected():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for i in range(60):
            zf.writestr(f"x/{i}.xml", b"<a/>")
    with pytest.raises(ParseError, match="60 entries; the limit is 50"):
        check_archive(buf.getvalue(), "many.docx", ArchiveLimits(max_entries=50))


def test_expansion_limit_applies_even_below_the_ratio():
    data = bomb_docx(3)
    with pytest.raises(ParseError, match="expands to more than 2 MB"):
        check_archive(data, "big.docx", ArchiveLimits(max_expanded_bytes=2 * 1024 * 1024, max_ratio=10**9))


def test_corrupt_zip_is_a_clear_parse_error():
    with pytest.raises(ParseError, match="could not parse as docx"):
        parse_bytes(b"PK\x03\x04 this is not really a zip", "broken.docx")


def test_normal_docx_passes_the_limits(docx_bytes):
    check_archive(docx_bytes, "ok.docx")
    assert "retained for 90 days" in parse_bytes(docx_bytes, "ok.docx").text
