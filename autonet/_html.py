"""The HTML tables that History, tune Results and summary() show in Jupyter (``_repr_html_``)."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any


def html_table(columns: Sequence[str], rows: Sequence[Sequence[Any]], caption: str = "",
               footer: Sequence[str] = ()) -> str:
    """A plain ``<table>``: a header row of ``columns``, one row per entry of ``rows`` (cells as
    ``str``, escaped), an optional caption above and footer lines below."""
    head = "".join(f"<th>{escape(str(c))}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{escape(str(v))}</td>" for v in row) + "</tr>"
                   for row in rows)
    cap = f"<caption>{escape(caption)}</caption>" if caption else ""
    foot = "".join(f"<p>{escape(line)}</p>" for line in footer)
    return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{foot}"
