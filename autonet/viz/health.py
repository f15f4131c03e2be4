"""Gradient health in drawings: which values get the VANISHING / ZERO / EXPLODING outline.

A vanishing gradient is one that shrinks as it travels back through the layers. So a value is
judged against the gradients *downstream* of it (nearer the root), never against a fixed number:

* the statistic is the L1 norm ``||g||_1 = sum |g|``. For a loss that averages over a batch of m
  examples every per-example gradient carries a factor 1/m and there are m of them, so the norm
  of an activation's gradient (and of a parameter's) does not change with m. Mean |g| does: it
  shrinks like 1/m, which made healthy layers look vanishing at large batch sizes.
* the reference of a value is the largest gradient norm among the *layer outputs* it feeds into
  (values an op made directly from a leaf that requires grad: ``X W[l]ᵀ + b[l]``, ``x * w``), or
  the root's seed when there is no such layer downstream (a single neuron, a bare sigmoid).
* only intermediate values are judged against it. A leaf's gradient (a weight's) sums over the
  batch and legitimately goes to 0 at a minimum while the activations' gradients do not, so a
  leaf is flagged when its gradient is exactly zero everywhere (no signal at all) or when every
  value it makes (its layer's output) is flagged: then the weight cannot learn.

``vanishing`` fires when the ratio is below ``vanish`` (1e-3 by default: three orders of
magnitude lost), e.g. through saturated sigmoids. ``exploding`` keeps its absolute meaning: mean
|g| above ``explode`` x max(mean |value|, 1), or a non-finite gradient.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from autonet.viz.flow import Flow
from autonet.viz.labels import mean_abs
from autonet.viz.walk import Walk


def l1_norm(array: Any) -> float:
    """``sum |array|`` in float64 (0 for empty or non-numeric arrays)."""
    a = np.asarray(array)
    if a.size == 0 or a.dtype.kind not in "fciub":
        return 0.0
    with np.errstate(all="ignore"):
        return float(np.abs(a).sum(dtype=np.float64))


def reference_norms(walk: Walk, flow: Flow) -> dict[int, float]:
    """``{value index: the gradient norm it is judged against}`` (see the module docstring)."""
    norms = {i: l1_norm(g) for i, g in flow.value_grads.items()}
    layered: dict[int, float] = {}  # largest downstream layer-output norm per value
    for op_index in flow.steps:  # backward order: an op comes after every consumer of its output
        op = walk.ops[op_index]
        out = op.output
        down = layered.get(out.index, 0.0)
        if out.index != 0 and _reads_leaf(op):
            down = max(down, norms.get(out.index, 0.0))
        for _, value in op.inputs:
            if value.tensor is not None:
                layered[value.index] = max(layered.get(value.index, 0.0), down)
    seed = l1_norm(flow.seed)
    return {i: (n if n > 0 else seed) for i, n in layered.items()}


def judge(walk: Walk, flow: Flow, vanish: float, explode: float) -> dict[int, str]:
    """``{value index: "zero" | "vanishing" | "exploding" | "ok"}`` for every value with a
    gradient (see the module docstring)."""
    references = reference_norms(walk, flow)
    verdicts: dict[int, str] = {}
    leaves = []
    for value in walk.values:
        g = flow.value_grads.get(value.index)
        if g is None or value.tensor is None:
            continue
        verdicts[value.index] = gradient_health(g, value.array, references.get(value.index),
                                                value.node is None, vanish, explode)
        if value.node is None and verdicts[value.index] == "ok":
            leaves.append(value)
    for leaf in leaves:
        # a weight learns nothing when every layer output it makes has a vanishing gradient
        made = [verdicts.get(walk.ops[op].output.index) for op, _ in leaf.consumers]
        if made and all(v in ("vanishing", "zero") for v in made):
            verdicts[leaf.index] = "vanishing"
    return verdicts


def gradient_health(grad: np.ndarray, value: np.ndarray, reference: float | None,
                    leaf: bool, vanish: float, explode: float) -> str:
    """``zero`` / ``vanishing`` / ``exploding`` / ``ok`` for one gradient on its own;
    ``reference`` is None when nothing is downstream to compare with."""
    mean = mean_abs(grad)
    if not math.isfinite(mean) or mean > explode * max(mean_abs(value), 1.0):
        return "exploding"
    if reference is None or reference <= 0 or np.asarray(grad).size == 0:
        return "ok"
    if mean == 0.0:
        return "zero"  # no signal at all (a dead ReLU layer, an input of 0)
    if not leaf and l1_norm(grad) < vanish * reference:
        return "vanishing"
    return "ok"


def _reads_leaf(op: Any) -> bool:
    return any(v.tensor is not None and v.node is None for _, v in op.inputs)

