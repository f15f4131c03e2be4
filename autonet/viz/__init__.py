"""Pictures of computation graphs and of the derivatives flowing back through them (Graphviz).

    import autonet as an
    x = an.tensor(2.0, requires_grad=True, name="x")
    y = an.tanh(x * 3.0)
    an.viz.draw_graph(y)                       # a graphviz.Digraph (shows inline in Jupyter)
    an.viz.save_graph(y, "y.svg", flow=True)   # gradients along the edges, backward steps numbered
    an.viz.save_backward_steps(y, "steps/")    # frames + index.html; returns index.html's path
    an.check_graph(y).draw()                   # ops with a wrong gradient rule in red
"""

try:
    import graphviz  # noqa: F401  (the drawing package; the `dot` program renders its output)
except ImportError:
    raise ImportError("autonet.viz needs the graphviz package: pip install graphviz (and the "
                      "Graphviz `dot` program to render: apt-get install graphviz)") from None

from autonet.viz.flow import Flow, compute_flow
from autonet.viz.graph import draw_graph
from autonet.viz.save import render, save_backward_steps, save_graph
from autonet.viz.walk import Walk, walk_graph

__all__ = ["Flow", "Walk", "compute_flow", "draw_graph", "render", "save_backward_steps",
           "save_graph", "walk_graph"]
