"""Builders for real documents of every supported format."""

from __future__ import annotations

import io

import pytest


def make_docx(sections: list[tuple[str, str]], title: str = "Data Handling Policy") -> bytes:
    import docx

    d = docx.Document()
    d.add_heading(title, level=1)
    for heading, body in sections:
        d.add_heading(heading, level=2)
        d.add_paragraph(body)
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def make_pdf(pages: list[tuple[str, str]], title: str = "Partner Agreement") -> bytes:
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate

    ss = getSampleStyleSheet()
    flow: list = [Paragraph(title, ss["Title"])]
    for i, (heading, body) in enumerate(pages):
        if i:
            flow.append(PageBreak())
        flow += [Paragraph(heading, ss["Heading2"]), Paragraph(body, ss["Normal"])]
    buf = io.BytesIO()
    SimpleDocTemplate(buf).build(flow)
    return buf.getvalue()


@pytest.fixture
def docx_bytes() -> bytes:
    return make_docx([("Retention", "Customer data is retained for 90 days after project close."),
                      ("Access", "Only named consultants may access production data.")])


@pytest.fixture
def pdf_bytes() -> bytes:
    return make_pdf([("Service Levels", "Priority 1 incidents receive a response within 2 hours."),
                     ("Liability", "Liability is capped at the fees paid in the previous twelve months.")])
