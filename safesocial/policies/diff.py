"""A readable comparison of two versions' text, line by line (difflib)."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

CONTEXT = 2  # unchanged lines kept around each change


@dataclass(frozen=True)
class DiffRow:
    kind: str  # "same", "added", "removed", "gap"
    old_line: int | None
    new_line: int | None
    text: str


def diff_rows(old: str, new: str) -> list[DiffRow]:
    """Rows for a table: changed lines with a little context; long unchanged runs collapsed."""
    a, b = old.splitlines(), new.splitlines()
    rows: list[DiffRow] = []
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    for group in matcher.get_grouped_opcodes(CONTEXT):
        if rows:
            rows.append(DiffRow("gap", None, None, ""))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                rows += [DiffRow("same", i1 + k + 1, j1 + k + 1, a[i1 + k]) for k in range(i2 - i1)]
                continue
            if tag in ("replace", "delete"):
                rows += [DiffRow("removed", i + 1, None, a[i]) for i in range(i1, i2)]
            if tag in ("replace", "insert"):
                rows += [DiffRow("added", None, j + 1, b[j]) for j in range(j1, j2)]
    return rows


def diff_summary(rows: list[DiffRow]) -> tuple[int, int]:
    added = sum(1 for row in rows if row.kind == "added")
    removed = sum(1 for row in rows if row.kind == "removed")
    return added, removed
