"""The fast text and HTML/Markdown classification paths parse exactly like unstructured's own
NLP classifiers: same text, same blocks, same sections (on the demo corpus and crafted edge cases)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingestion import parsing
from ingestion.parsing import parse_bytes

DEMO = Path(__file__).resolve().parents[2] / "corpora" / "demo"

EDGE_TEXT = """RELEASE NOTES 2026.1

The ledger module adds multi-currency revaluation.

Installation Guide

• Download the package from the partner portal.
• Run the installer as an administrator.
•

1. Open the settings page.
2. Enter the tenant key.

Contact support@example.com for help.

support@example.com

Doylestown, PA 18901

Known Issues In This Release Of The Product Are Listed Below

UPGRADE STEPS FOR THE LEDGER, PAYROLL AND WAREHOUSE MODULES IN THIS RELEASE ARE LISTED.

Short line.
Another line right after it with a few more words in it than the first line had, see.

The cutover weekend begins when the ledger is frozen; the consultant follows the runbook step by step.

Appendix A
"""

EDGE_MD = """# Cutover Playbook

Intro paragraph with *emphasis* and a [link](https://example.com).

## Freeze

- Freeze master data 48 hours before.
- Notify the customer's finance team.

1. First numbered step of the freeze.
2. Second numbered step.

Contact support@example.com

| Step | Owner |
|---|---|
| Freeze | Finance |

```
code block line
```

### Hypercare Period Runs Two Weeks After Go Live For All Customers

Short.
"""


def _shape(doc: parsing.ParsedDocument) -> tuple:
    return doc.text, doc.title, [(b.start, b.end, b.section_path, b.is_title, b.page) for b in doc.blocks]


@pytest.fixture
def unstructured_html_classifier():
    """unstructured's own HTML text classifier (with its spaCy narrative test)."""
    parsing._prepare_unstructured()
    assert parsing._unstructured_html_text_type is not None
    assert parsing._unstructured_html_text_type is not parsing._html_text_type
    return parsing._unstructured_html_text_type


def _demo_files(*exts: str) -> list[Path]:
    return sorted(p for p in DEMO.rglob("*") if p.suffix in exts and p.is_file())


def test_text_fast_path_equals_partition_text():
    parsing._prepare_unstructured()
    from unstructured.partition.text import partition_text

    samples = [EDGE_TEXT.encode()] + [p.read_bytes() for p in _demo_files(".txt")]
    assert len(samples) > 3
    titles = 0
    for data in samples:
        text = data.decode("utf-8-sig")
        fast = parse_bytes(data, "x.txt")
        slow = parsing._from_elements(partition_text(text=text, languages=["eng"]))
        assert _shape(fast) == _shape(slow)
        titles += sum(b.is_title for b in fast.blocks)
    assert titles >= 5  # the samples do exercise section headings


def test_html_and_markdown_fast_classifier_equal_unstructured(unstructured_html_classifier):
    files = [("edge.md", EDGE_MD.encode())] + [(p.name, p.read_bytes()) for p in _demo_files(".md", ".html")]
    assert len(files) > 20
    fast = []
    import unstructured.partition.html.parser as html_parser

    for name, data in files:
        fast.append(_shape(parse_bytes(data, name)))
    html_parser.derive_element_type_from_text = unstructured_html_classifier
    try:
        for (name, data), expected in zip(files, fast, strict=True):
            assert _shape(parse_bytes(data, name)) == expected, name
    finally:
        html_parser.derive_element_type_from_text = parsing._html_text_type


def test_fast_classifier_hook_still_exists_in_unstructured():
    # The hook replaces a module-level name the HTML parser looks up at call time.
    parse_bytes(b"<p>Body text of the page.</p>", "x.html")
    import unstructured.partition.html.parser as html_parser

    assert html_parser.derive_element_type_from_text is parsing._html_text_type
    src = Path(html_parser.__file__).read_text()
    assert "ElementCls = derive_element_type_from_text(normalized_text)" in src


def test_long_paragraph_is_never_a_title_and_bullets_are_cleaned():
    long_heading = " ".join(["Word"] * 13)
    doc = parse_bytes(f"Short Title\n\n{long_heading}\n\n• item one here\n".encode(), "a.txt")
    assert [b.is_title for b in doc.blocks] == [True, False, False]
    assert doc.text.endswith("item one here")
