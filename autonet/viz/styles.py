"""How things look: colours per kind of node, gradient health, edge widths, the legend."""

from __future__ import annotations

import math

import graphviz

FONT = "Helvetica"

# fill colour and shape per kind of value; ops are ellipses, module boxes are 3-D boxes.
KINDS = {
    "output": {"fillcolor": "#f4cccc", "shape": "box", "style": "filled,rounded,bold"},
    "parameter": {"fillcolor": "#cfe2f3", "shape": "box", "style": "filled,rounded"},
    "leaf": {"fillcolor": "#d9ead3", "shape": "box", "style": "filled,rounded"},
    "intermediate": {"fillcolor": "#ffffff", "shape": "box", "style": "rounded"},
    "constant": {"fillcolor": "#eeeeee", "shape": "box", "style": "filled,dashed"},
}
OP_STYLE = {"shape": "ellipse", "style": "filled", "fillcolor": "#fff2cc"}
MODULE_STYLE = {"shape": "box3d", "style": "filled", "fillcolor": "#ead1dc"}
CLUSTER_STYLE = {"style": "rounded,dashed", "color": "#a64d79", "fontcolor": "#a64d79"}
CURRENT_STEP = {"penwidth": "3", "color": "#e69138"}
SUMMARY_STYLE = {"shape": "note", "style": "filled", "fillcolor": "#fce5cd"}
# an op whose gradient rule an.check_graph found wrong (draw_graph(highlight=...))
HIGHLIGHT = {"style": "filled", "fillcolor": "#ea9999", "color": "#cc0000", "penwidth": "3"}
HIGHLIGHT_TEXT = "gradient rule disagrees with numerical derivatives (an.check_graph)"

VANISHING = {"color": "#1155cc", "penwidth": "3"}
EXPLODING = {"color": "#cc0000", "penwidth": "3"}
FORWARD_EDGE = "#666666"
GRAD_EDGE = "#e69138"

# the legend's note under equations such as Z[1] = A[0] W[1]ᵀ + b[1] (rows are examples)
NOTATION_TEXT = ("rows are examples (A[0] is m x n[0]), so the course's W[l] A[l-1] "
                 "is A[l-1] W[l]ᵀ here")

KIND_TEXT = {
    "output": "output (the root drawn from)",
    "parameter": "parameter (model weight)",
    "leaf": "leaf tensor (requires grad)",
    "intermediate": "intermediate result",
    "constant": "constant (no gradient)",
}


def edge_width(magnitude: float, largest: float) -> str:
    """Pen width from 0.6 (no gradient) to 4 (the largest gradient in the picture)."""
    if largest <= 0 or not math.isfinite(largest) or not math.isfinite(magnitude):
        return "4" if not math.isfinite(magnitude) else "1"
    return f"{0.6 + 3.4 * math.sqrt(min(magnitude / largest, 1.0)):.2f}"


def add_legend(graph: graphviz.Digraph, kinds: list[str], flow: bool, modules: bool,
               vanish: float, explode: float, highlight: bool = False,
               gradients: bool = True, step: bool = False, notation: bool = False) -> None:
    """One table node explaining the colours and shapes of what is drawn (the highlight row
    only when some drawn op is highlighted, the gradient-health rows only when gradients are
    shown, the current-step row only on a step frame, the row-form note only when a drawn module
    shows a course-notation equation)."""
    rows = ['<TR><TD COLSPAN="2"><B>legend</B></TD></TR>']
    for kind in kinds:
        style = KINDS[kind]
        rows.append(_row(style["fillcolor"], "box", KIND_TEXT[kind]))
    rows.append(_row(OP_STYLE["fillcolor"], "ellipse",
                     "op; [k] = backward step k" if flow else "op (with its attributes)"))
    if modules:
        rows.append(_row(MODULE_STYLE["fillcolor"], "3-D box", "one module call (its ops inside)"))
    if notation:
        rows.append(_row(MODULE_STYLE["fillcolor"], "Z[l] = A[l-1] W[l]ᵀ + b[l]", NOTATION_TEXT))
    if highlight:
        rows.append(_row(HIGHLIGHT["fillcolor"], "red ellipse", HIGHLIGHT_TEXT,
                         HIGHLIGHT["color"]))
    if step:
        rows.append(_row(OP_STYLE["fillcolor"], "orange outline",
                         "the op backward visits in this step", CURRENT_STEP["color"]))
    if gradients:
        rows.append(_row("#ffffff", "blue outline", f"vanishing gradient: sum|grad| &lt; "
                         f"{vanish:g} x that of the layers after it, or zero",
                         VANISHING["color"]))
        rows.append(_row("#ffffff", "red outline", f"exploding gradient: mean|grad| &gt; "
                         f"{explode:g} x max(mean|value|, 1)", EXPLODING["color"]))
    if flow:
        rows.append(_row("#ffffff", "edge label", "gradient flowing back along the edge "
                         "(local derivative x upstream); width: its size", GRAD_EDGE))
    table = ('<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="2" CELLPADDING="3">'
             + "".join(rows) + "</TABLE>>")
    graph.node("legend", table, shape="plaintext", fontname=FONT, fontsize="10")


def _row(fill: str, shape: str, text: str, border: str = "#000000") -> str:
    return (f'<TR><TD BGCOLOR="{fill}" COLOR="{border}">{shape}</TD>'
            f'<TD ALIGN="LEFT" BORDER="0">{text}</TD></TR>')
