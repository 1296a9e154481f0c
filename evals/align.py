"""Map character offsets of a raw file onto the parsed document text.

Parsing normalises whitespace and drops a few characters (bullets, list dashes), so
offsets into the raw file (how external gold spans are given) do not index the parsed
text that chunks point into. The alignment matches the non-whitespace characters of
both texts: identical sequences map one to one; otherwise an edit-script alignment
(rapidfuzz Indel opcodes) maps every matched character and snaps the rest to the
nearest matched neighbour.
"""

from __future__ import annotations

import bisect

import numpy as np


def _nonws(text: str) -> tuple[str, np.ndarray]:
    idx = [i for i, ch in enumerate(text) if not ch.isspace()]
    return "".join(text[i] for i in idx), np.asarray(idx, dtype=np.int64)


class OffsetMap:
    """raw offset -> parsed offset for one document."""

    def __init__(self, raw: str, parsed: str):
        a, self._raw_idx = _nonws(raw)
        b, self._parsed_idx = _nonws(parsed)
        self._parsed_len = len(parsed)
        if a == b:
            self._pairs_raw = self._raw_idx
            self._pairs_parsed = self._parsed_idx
            self.exact = True
        else:
            from rapidfuzz.distance import Indel

            pr: list[int] = []
            pp: list[int] = []
            for op in Indel.opcodes(a, b):
                if op.tag == "equal":
                    pr.extend(range(op.src_start, op.src_end))
                    pp.extend(range(op.dest_start, op.dest_end))
            self._pairs_raw = self._raw_idx[np.asarray(pr, dtype=np.int64)] if pr else np.zeros(0, np.int64)
            self._pairs_parsed = self._parsed_idx[np.asarray(pp, dtype=np.int64)] if pp else np.zeros(0, np.int64)
            self.exact = False
        self._raw_list = self._pairs_raw.tolist()
        self._parsed_list = self._pairs_parsed.tolist()

    def start(self, raw_offset: int) -> int:
        """Parsed offset of the first matched character at or after ``raw_offset``."""
        i = bisect.bisect_left(self._raw_list, raw_offset)
        if i >= len(self._raw_list):
            return self._parsed_len
        return self._parsed_list[i]

    def end(self, raw_offset: int) -> int:
        """Parsed offset just after the last matched character before ``raw_offset``."""
        i = bisect.bisect_left(self._raw_list, raw_offset) - 1
        if i < 0:
            return 0
        return self._parsed_list[i] + 1

    def span(self, start: int, end: int) -> tuple[int, int]:
        s, e = self.start(start), self.end(end)
        return (s, max(s, e))
