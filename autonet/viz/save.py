"""Writing drawings to files: one picture (format from the suffix), or one frame per backward step
with an HTML page that flips through them."""

from __future__ import annotations

import html
import json
import re
import warnings
from pathlib import Path
from typing import Any

import graphviz

from autonet.autograd.engine import topological_order
from autonet.autograd.warnings import warn_at_user_code
from autonet.tensor import Tensor
from autonet.viz.graph import draw_graph
from autonet.viz.unroll import unrolled_graph
from autonet.viz.walk import FREED_MESSAGE

FORMATS = {".svg": "svg", ".png": "png", ".pdf": "pdf", ".dot": None, ".gv": None}
INSTALL_WAYS = ("apt install graphviz | brew install graphviz | conda install -c conda-forge "
                "graphviz | https://graphviz.org/download")
INSTALL_HINT = f"install Graphviz to render it ({INSTALL_WAYS})"
_FRAME = re.compile(r"frame_\d{3,}\.(?:svg|png|pdf|dot|gv)")  # the files save_backward_steps writes


def render(graph: graphviz.Digraph, path: str | Path) -> Path:
    """Write ``graph`` to ``path`` in the format its suffix names (.svg, .png, .pdf, .dot, .gv).

    Without Graphviz's ``dot`` program the DOT source is written next to it (suffix ``.dot``) with a
    warning saying how to install Graphviz. Returns the path written.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(f"save_graph: cannot tell the format from '{path.name}'; end the path "
                         f"with one of {', '.join(FORMATS)}")
    path.parent.mkdir(parents=True, exist_ok=True)
    fmt = FORMATS[suffix]
    if fmt is None:
        path.write_text(graph.source, encoding="utf-8")
        return path
    try:
        data = graph.pipe(format=fmt)
    except graphviz.ExecutableNotFound:
        fallback = path.with_suffix(".dot")
        fallback.write_text(graph.source, encoding="utf-8")
        warn_at_user_code(f"save_graph: Graphviz's 'dot' program was not found, so the DOT source "
                          f"was written to {fallback} instead of {path.name}; {INSTALL_HINT}",
                          RuntimeWarning)
        return fallback
    path.write_bytes(data)
    return path


def save_graph(root: Tensor | graphviz.Digraph, path: str | Path, **options: Any) -> Path:
    """Draw ``root`` (``draw_graph`` options apply) or take a drawn Digraph, and write it to
    ``path``; the suffix picks the format (.svg, .png, .pdf, or .dot for the source).

    Returns the path written (``.dot`` instead when Graphviz's ``dot`` program is missing).
    """
    if isinstance(root, graphviz.Digraph):
        if options:
            raise TypeError(f"save_graph: drawing options {sorted(options)} apply only when "
                            "drawing a Tensor, not to an already drawn Digraph")
        graph = root
    else:
        graph = draw_graph(root, **options)
    return render(graph, path)


def save_backward_steps(root: Tensor, directory: str | Path, *, format: str = "svg",
                        max_frames: int = 200, **options: Any) -> Path:
    """Write one picture per backward step and an ``index.html`` that flips through them; return
    the path of ``index.html`` (as ``save_graph`` returns the path of the picture it wrote).

    ``frame_000`` shows the forward values and the seed gradient at the root; frame ``k`` shows
    the graph after backward visited ``k`` ops: the op of that step outlined, the gradients that
    arrived so far on edges and values ("grad so far" until every consumer has sent its part).

    Args:
        root: the tensor to draw from.
        directory: created if needed. Frames are named ``frame_000``, ``frame_001``...; those of
            an earlier run there (any format, or more steps) are replaced, so
            ``sorted(index.parent.glob("frame_*"))`` lists exactly this run's frames.
        format: ``svg`` (default), ``png``, ``pdf`` or ``dot``.
        max_frames: refuse graphs with more backward steps than this (ValueError).
        **options: passed to ``draw_graph`` (``model=``, ``precision=``...).

    Returns:
        The path of index.html. When the frames are DOT source (``format="dot"``, or
        Graphviz's ``dot`` program is missing), which browsers cannot show, index.html says so
        and links the files with the way to render them.
    """
    suffix = "." + format.lower().lstrip(".")
    if suffix not in FORMATS:
        raise ValueError(f"save_backward_steps: format={format!r}; use svg, png, pdf or dot")
    if not isinstance(root, Tensor):
        raise TypeError(f"save_backward_steps: expected a Tensor, got {type(root).__name__}")
    if root._node is not None and root._node.freed:
        raise RuntimeError(FREED_MESSAGE.format(op=root._node.name))
    drawn = unrolled_graph(root)[0]  # draw_graph's steps count a fused loop's steps one by one
    order = topological_order([drawn._node]) if drawn._node is not None else []
    if len(order) + 1 > max_frames:
        raise ValueError(f"save_backward_steps: {len(order)} backward steps make "
                         f"{len(order) + 1} frames, more than max_frames={max_frames}; draw a "
                         "smaller computation or pass a larger max_frames=")
    options.pop("step", None)
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.iterdir():  # an earlier run's frames: the glob must list this run's
        if _FRAME.fullmatch(stale.name) and stale.is_file():
            stale.unlink()
    written: list[Path] = []
    captions: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for k in range(len(order) + 1):
            if k == 0:
                caption = "step 0: forward done; backward starts with grad 1 at the output"
            else:
                caption = (f"step {k} of {len(order)}: backward visits '{order[k - 1].name}' and "
                           "sends the gradient to its inputs")
            graph = draw_graph(root, step=k, title=caption, **options)
            written.append(render(graph, directory / f"frame_{k:03d}{suffix}"))
            captions.append(caption)
    seen: set[str] = set()
    for w in caught:  # one warning per kind, not one per frame
        text = str(w.message)
        key = text.split(" was not found")[0] if "was not found" in text else text
        if key not in seen:
            seen.add(key)
            warn_at_user_code(text, w.category)
    index = directory / "index.html"
    names = [p.name for p in written]
    if all(p.suffix in (".svg", ".png", ".pdf") for p in written):
        page = _flipbook(names, captions)
    else:
        page = _source_list(names, captions, missing_dot=suffix not in (".dot", ".gv"))
    index.write_text(page, encoding="utf-8")
    return index


def _source_list(frames: list[str], captions: list[str], missing_dot: bool) -> str:
    """A page for DOT-source frames: why there are no pictures, how to get them, the files."""
    if missing_dot:
        why = ("Graphviz's <code>dot</code> program was not found, so these frames were written "
               "as DOT source, which a browser cannot show as pictures. To see them, "
               f"install Graphviz ({html.escape(INSTALL_WAYS)}), then run "
               "<code>save_backward_steps</code> again.")
    else:
        why = ("These frames are DOT source (<code>format=\"dot\"</code>), which a browser "
               "cannot show as pictures; pass <code>format=\"svg\"</code> to get a flip book.")
    items = "\n".join(f'<li><a href="{html.escape(f)}">{html.escape(f)}</a>: {html.escape(c)}'
                      "</li>" for f, c in zip(frames, captions))
    first, svg = html.escape(frames[0]), html.escape(Path(frames[0]).stem + ".svg")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>autonet: backward, step by step</title>
<style>body{{font-family:sans-serif;margin:1em}}</style></head>
<body>
<h1>Backward, step by step</h1>
<p id="no-pictures"><strong>No pictures here.</strong> {why}
One frame by hand: <code>dot -Tsvg {first} -o {svg}</code>.</p>
<ol start="0">
{items}
</ol>
</body></html>
"""


def _flipbook(frames: list[str], captions: list[str]) -> str:
    """A self-contained page: previous/next buttons, a slider, arrow keys."""
    data = json.dumps([{"src": f, "caption": c} for f, c in zip(frames, captions)])
    first = html.escape(frames[0])
    # browsers show SVG and PNG in an <img>, PDF only in a frame
    picture = (f'<iframe id="picture" src="{first}" title="frame"></iframe>'
               if first.endswith(".pdf") else f'<img id="picture" src="{first}" alt="frame">')
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>autonet: backward, step by step</title>
<style>body{{font-family:sans-serif;margin:1em}} img{{max-width:100%}}
iframe{{width:100%;height:80vh;border:0}}
#bar{{display:flex;gap:.5em;align-items:center}} #range{{flex:1}}</style></head>
<body>
<h1>Backward, step by step</h1>
<div id="bar"><button id="prev">&larr; previous</button>
<input id="range" type="range" min="0" max="{len(frames) - 1}" value="0">
<button id="next">next &rarr;</button><span id="count"></span></div>
<p id="caption"></p>
<div id="frame">{picture}</div>
<p><a id="link" href="{first}">open this frame</a></p>
<script>
const frames = {data};
let k = 0;
function show(i) {{
  k = Math.max(0, Math.min(frames.length - 1, i));
  document.getElementById("picture").src = frames[k].src;
  document.getElementById("link").href = frames[k].src;
  document.getElementById("caption").textContent = frames[k].caption;
  document.getElementById("count").textContent = (k + 1) + " / " + frames.length;
  document.getElementById("range").value = k;
}}
document.getElementById("prev").onclick = () => show(k - 1);
document.getElementById("next").onclick = () => show(k + 1);
document.getElementById("range").oninput = (e) => show(Number(e.target.value));
document.addEventListener("keydown", (e) => {{
  if (e.key === "ArrowLeft") show(k - 1);
  if (e.key === "ArrowRight") show(k + 1);
}});
show(0);
</script>
</body></html>
"""
