"""Source positions of a function with other functions' bodies spliced into it (frontend/inline.py).

Every later stage locates a node by `info.location(node)` / `info.file_line(node)` and builds
`Location(info.filename, line, col)` from a line it computed: one number has to say which file a
line is in. Each inlined callee gets a disjoint range of virtual lines (`SPAN` apart); its nodes'
`lineno` are moved into that range, and this module maps a virtual line back to the callee's file,
line and text. `info.filename` is a `MappedName`: a `str` (the top function's file) that also maps
lines, which `errors.Location` applies when built, so errors name the callee's file and line.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import gast

from ..errors import Location
from .source import SourceInfo

SPAN = 1_000_000  # virtual lines of callee k: k * SPAN + its file line


@dataclass(frozen=True)
class Segment:
    """One inlined callee: its own SourceInfo, its name, the file lines of its `def`, its code."""

    info: SourceInfo
    name: str
    def_line: int
    last_line: int
    code: object


class MappedName(str):
    """The top function's file name, which also maps a virtual line to (file, line)."""

    segments: dict[int, Segment]

    def real(self, line: int) -> tuple[str, int]:
        segment = self.segments.get(line // SPAN) if line >= SPAN else None
        if segment is None:
            return str(self), line
        return segment.info.filename, line % SPAN


@dataclass(frozen=True)
class CompositeInfo(SourceInfo):
    """The top function's SourceInfo extended with the callees spliced into it."""

    segments: dict[int, Segment] = field(default_factory=dict, hash=False, compare=False)

    @staticmethod
    def of(top: SourceInfo) -> CompositeInfo:
        segments: dict[int, Segment] = {}
        name = MappedName(top.filename)
        name.segments = segments
        return CompositeInfo(name, top.line_offset, top.col_offset, segments)

    def add(self, info: SourceInfo, name: str, lines: tuple[int, int], code: object) -> int:
        """Register a callee; its virtual lines are `returned base + its file line`."""
        for k, segment in self.segments.items():
            if segment.code is code:
                return k * SPAN
        k = len(self.segments) + 1
        self.segments[k] = Segment(info, name, *lines, code)
        return k * SPAN

    def callees_at(self, locations: list[Location | None]) -> frozenset[object]:
        """The code objects of the callees whose source holds these locations."""
        return frozenset(s.code for where in locations if where is not None for s in self.segments.values()
                         if s.info.filename == where.filename and s.def_line <= where.line <= s.last_line)

    def shift(self, node: gast.AST, info: SourceInfo, base: int) -> None:
        """Move a callee's parsed nodes into its range of virtual lines."""
        delta = info.line_offset + base - self.line_offset
        for child in gast.walk(node):
            for attr in ("lineno", "end_lineno"):
                if getattr(child, attr, None) is not None:
                    setattr(child, attr, getattr(child, attr) + delta)

    def _segment(self, file_line: int) -> Segment | None:
        return self.segments.get(file_line // SPAN) if file_line >= SPAN else None

    def location(self, node: gast.AST | None) -> Location:
        line = (getattr(node, "lineno", None) or 1) + self.line_offset
        segment = self._segment(line)
        col = (getattr(node, "col_offset", 0) or 0) + (segment.info.col_offset if segment else self.col_offset)
        return Location(self.filename, line, col)  # (Location maps a virtual line to its file)

    def line_text(self, file_line: int) -> str:
        segment = self._segment(file_line)
        if segment is None:
            return super().line_text(file_line)
        return segment.info.line_text(file_line % SPAN)

    def line_label(self, file_line: int) -> str:
        """How a generated comment cites a line: `12`, or `3 of sigmoid (helpers.py:2)` in a callee."""
        segment = self._segment(file_line)
        if segment is None:
            return str(file_line)
        where = os.path.basename(segment.info.filename)
        return f"{file_line % SPAN} of {segment.name} ({where}:{segment.def_line})"
