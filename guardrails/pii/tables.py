"""Delimited tables in plain text (Markdown tables, CSV and tab-separated blocks): their cells and
the header label above a cell. A header names what its column holds, which is evidence no single
cell has ("4501262997" under "contact_id" is a record's id, not a phone number)."""

from __future__ import annotations

import re

# Cell separators, most specific first: a Markdown or ASCII table, tabs, then CSV.
SEPARATORS = ("|", "\t", ";", ",")
RULE_ROW = re.compile(r"^[\s|:+\-=]*$")  # a Markdown table's rule ("|---|:--:|")


def split_cells(line: str, sep: str) -> list[str]:
    """``line`` cut at ``sep``; in CSV a separator inside double quotes is the cell's text
    ('"Okafor, Chidi",CFO')."""
    if sep not in ",;" or '"' not in line:
        return line.split(sep)
    parts, start, quoted = [], 0, False
    for i, ch in enumerate(line):
        if ch == '"':
            quoted = not quoted
        elif ch == sep and not quoted:
            parts.append(line[start:i])
            start = i + 1
    parts.append(line[start:])
    return parts


def cells(line: str, sep: str) -> list[tuple[int, int]]:
    """(start, end) of each cell of ``line`` without the spaces and CSV quotes around it; a Markdown
    table's outer bars open and close no cell."""
    out, pos = [], 0
    for part in split_cells(line, sep):
        a = pos + len(part) - len(part.lstrip())
        b = pos + len(part.rstrip())
        if b - a >= 2 and line[a] == line[b - 1] == '"':
            a, b = a + 1, b - 1
        out.append((a, max(a, b)))
        pos += len(part) + 1
    if sep == "|" and line.strip().startswith("|"):
        out = out[1:]
    if sep == "|" and line.strip().endswith("|"):
        out = out[:-1]
    return out


def is_header(line: str, sep: str) -> bool:
    """A header row: two cells or more, each a short label without digits (a sentence with a comma,
    a data row are none)."""
    spans = cells(line, sep)
    return len(spans) >= 2 and all(
        len(line[a:b].split()) <= 4 and not any(ch.isdigit() for ch in line[a:b]) for a, b in spans
    )


class ColumnHeaders:
    """Header labels of the table columns in one text. Each block's first line is found once and
    remembered for every row of the block, so asking for every cell of a long table stays linear."""

    def __init__(self, text: str) -> None:
        self.text = text
        # (row start, separator, row width) -> start of the row's block's first line
        self._top: dict[tuple[int, str, int], int | None] = {}

    def __call__(self, start: int, end: int) -> str | None:
        """The header label of the column whose cell holds ``text[start:end]``: the first line of the
        block of rows with as many cells as this one, when it reads as a header; None outside a table."""
        text = self.text
        ls = text.rfind("\n", 0, start) + 1
        le = text.find("\n", end)
        line = text[ls : len(text) if le < 0 else le]
        for sep in SEPARATORS:
            if sep not in line:
                continue
            row = cells(line, sep)
            col = next((j for j, (a, b) in enumerate(row) if a <= start - ls and end - ls <= b), None)
            if col is None or len(row) < 2:
                continue
            top = self._block_top(ls, sep, len(row))
            if top is None:
                return None
            te = text.find("\n", top)
            head = text[top : len(text) if te < 0 else te]
            if not is_header(head, sep):
                return None
            a, b = cells(head, sep)[col]
            return head[a:b]
        return None

    def _block_top(self, ls: int, sep: str, width: int) -> int | None:
        """Start of the first line above ``ls`` of the block of rows ``width`` cells wide (a Markdown
        rule row is skipped); None when the row at ``ls`` opens its block."""
        text, seen, pos, top = self.text, [], ls, None
        while pos > 0:
            if (pos, sep, width) in self._top:
                cached = self._top[(pos, sep, width)]
                top = cached if cached is not None else top
                break
            seen.append(pos)
            ps = text.rfind("\n", 0, pos - 1) + 1
            prev = text[ps : pos - 1]
            if not (sep == "|" and prev.strip() and RULE_ROW.match(prev)):
                if len(cells(prev, sep)) != width:
                    break
                top = ps
            pos = ps
        for p in seen:
            # rows below the block's first line share its top; the first line itself has none above
            self._top[(p, sep, width)] = top if top is not None and top < p else None
        return top


def column_header(text: str, start: int, end: int) -> str | None:
    """The header label of the table column whose cell holds ``text[start:end]`` (``ColumnHeaders``)."""
    return ColumnHeaders(text)(start, end)
