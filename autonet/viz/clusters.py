"""Module calls and modules as nested graphviz clusters (dashed boxes around their nodes)."""

from __future__ import annotations

from typing import Any

import graphviz

from autonet.viz import styles
from autonet.viz.modules import Grouping, module_label


class Clusters:
    """Nested ``cluster_k`` subgraphs keyed by module scope, built bottom-up (no recursion)."""

    def __init__(self, module_names: dict[int, str]) -> None:
        self.module_names = module_names
        self.graphs: dict[tuple, graphviz.Digraph] = {}
        self.parent: dict[tuple, tuple | None] = {}
        self.depth: dict[tuple, int] = {}

    def graph_for(self, scope: tuple, innermost_is_call: bool, grouping: Grouping,
                  top: graphviz.Digraph) -> graphviz.Digraph:
        """The (sub)graph that holds a node of ``scope`` (modules, outermost first); ``top``
        for no scope. With ``innermost_is_call`` the last cluster is that one call's."""
        if not scope:
            return top
        parent: tuple | None = None
        key: tuple = ()
        for depth, module in enumerate(scope):
            last = depth == len(scope) - 1
            key = ("call", id(scope)) if (last and innermost_is_call) else \
                ("module", *(id(m) for m in scope[:depth + 1]))
            if key not in self.graphs:
                title = self._title(module, key, grouping)
                sub = graphviz.Digraph(name=f"cluster_{len(self.graphs)}")
                sub.attr(label=graphviz.nohtml(title), fontname=styles.FONT,
                         **styles.CLUSTER_STYLE)
                self.graphs[key] = sub
                self.parent[key] = parent
                self.depth[key] = depth
            parent = key
        return self.graphs[key]

    def _title(self, module: Any, key: tuple, grouping: Grouping) -> str:
        title = module_label(module, self.module_names)
        if key[0] == "call":
            for call in grouping.calls:
                if id(call.scope) == key[1] and call.notation:
                    return f"{title}\\n{call.notation}"
        return title

    def attach(self, top: graphviz.Digraph) -> None:
        """Copy every cluster into its parent (``top`` for the outermost)."""
        # deepest first, so each child is complete when copied into its parent
        for key in sorted(self.graphs, key=lambda k: -self.depth[k]):
            parent = self.parent[key]
            (top if parent is None else self.graphs[parent]).subgraph(self.graphs[key])
