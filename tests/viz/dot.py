"""Read back the DOT text of a drawing: node labels/attributes and edges, by DOT id."""

from __future__ import annotations

import re

_NODE = re.compile(r'^\s*(\w+) \[label=(?:"((?:[^"\\]|\\.)*)"|(\S+?))(?: (.*))?\]$')
_EDGE = re.compile(r'^\s*(\w+) -> (\w+)(?: \[(.*)\])?$')


def nodes(source: str) -> dict[str, dict[str, str]]:
    """``{id: {"label": [lines], "attrs": raw attribute text}}`` for every node with a label."""
    found = {}
    for line in source.splitlines():
        m = _NODE.match(line)
        if m and m.group(1) not in ("graph", "node", "edge"):
            label = m.group(2) if m.group(2) is not None else m.group(3)
            found[m.group(1)] = {"label": label.split("\\n"), "attrs": m.group(4) or ""}
    return found


def edges(source: str) -> list[tuple[str, str, str]]:
    """``[(src, dst, raw attributes)]`` in DOT order."""
    out = []
    for line in source.splitlines():
        m = _EDGE.match(line)
        if m:
            out.append((m.group(1), m.group(2), m.group(3) or ""))
    return out


def edge_label(attrs: str) -> str | None:
    m = re.search(r'(?:^| )label=(?:"((?:[^"\\]|\\.)*)"|(\S+))', attrs)
    if m is None:
        return None
    return m.group(1) if m.group(1) is not None else m.group(2)


def by_first_line(found: dict, first: str) -> str:
    """The id of the one node whose first label line is ``first``."""
    ids = [i for i, n in found.items() if n["label"][0] == first]
    if len(ids) != 1:
        raise AssertionError(f"expected one node titled {first!r}, found {ids}")
    return ids[0]
