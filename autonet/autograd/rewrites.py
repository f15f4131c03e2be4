"""Rewrites of a trace (autonet/autograd/trace.py): the same arrays from fewer numpy calls.

Only the replay runs them; ``step.source`` still shows every op and rule. Each rewrite says why it
is exact: the replay must leave what the eager step leaves, bit for bit.
"""

from __future__ import annotations

import builtins
import functools
from typing import Any

import numpy as np

from autonet.autograd.trace import Step, Trace, add_into, output_slots, slots_read
from autonet.ops import elementwise, fused, reduce

FUSE = True  # rewrite known sequences of steps into fewer array operations (see fused_steps)


def fused_steps(trace: Trace) -> list[Step]:
    """trace.steps with known sequences replaced by one step that computes the same arrays, bit
    for bit, with fewer numpy calls (each rewrite's function says why it is exact). Only the
    replay runs them; ``step.source`` still shows every op and rule."""
    if not FUSE:
        return trace.steps
    readers: dict[int, list[int]] = {}
    for k, step in enumerate(trace.steps):
        for slot in slots_read(step):
            readers.setdefault(slot, []).append(k)
    outputs = set(output_slots(trace.output))
    steps = list(trace.steps)
    for k, step in enumerate(trace.steps):
        if step.kind == "forward" and step.op is fused.softmax_cross_entropy:
            if (step.detail or {}).get("mean"):
                _fuse_cross_entropy_with_mean(trace, steps, k, readers, outputs)
            else:
                _fuse_cross_entropy_mean(trace, steps, k, readers, outputs)
        elif step.kind == "backward" and step.op is elementwise.relu and not step.dynamic:
            steps[k] = Step("backward", _relu_grad, step.ins, step.out, op=step.op,
                            detail=step.detail, scope=step.scope, node_index=step.node_index)
    _relu_in_place(trace, steps, readers, outputs)
    return [s for s in steps if s is not None]


def _relu_in_place(trace: Trace, steps: list, readers: dict, outputs: set) -> None:
    """Z = linear(...); A = relu(Z) and relu's rule relu_backward(dA, Z): when nothing else reads
    Z, A is written over Z (np.maximum(Z, 0, out=Z)) and the rule's mask over Z too, once
    nothing reads Z or A any more, as a hand-written step reuses its buffers. Exact: Z comes
    fresh from the product (no view of anything), A > 0 exactly where Z > 0 (a NaN is neither),
    so the rule reads the same mask from A, and the products written in place are the same."""
    made_by = {step.out: k for k, step in enumerate(steps)
               if step is not None and isinstance(step.out, int)}
    for k, step in enumerate(steps):
        if step is None or step.kind != "forward" or step.op is not elementwise.relu or \
                step.dynamic or len(step.ins) != 1:
            continue
        z, a = step.ins[0], step.out
        maker = steps[made_by.get(z, k)]
        if maker.kind != "forward" or maker.op is not fused.linear or maker.dynamic or \
                z in outputs or getattr(trace.dtypes.get(z), "kind", None) != "f":
            continue
        rules = [j for j in readers[z] if j != k]
        if len(rules) > 1 or any(steps[j] is None or steps[j].fn is not _relu_grad or
                                 steps[j].ins[2] != z for j in rules):
            continue  # Z is read by something besides relu and its rule
        if any(steps[j] is not None and steps[j].fn is add_into for j in readers.get(a, ())):
            continue  # A would be added into in place, and Z with it
        steps[k] = Step("forward", _relu_into, step.ins, a, op=step.op, detail=step.detail,
                        scope=step.scope)
        if not rules:
            continue
        j = rules[0]
        rule = steps[j]
        if a in outputs or max(readers.get(a, [k])) > j or rule.ins[0] in (z, a):
            continue  # A (which is Z now) is still read after the rule, or is its gradient
        steps[j] = Step("backward", _relu_grad_into, rule.ins, rule.out, op=rule.op,
                        detail=rule.detail, scope=rule.scope, node_index=rule.node_index)


def _relu_into(x: np.ndarray) -> np.ndarray:
    """relu's forward, np.maximum(x, 0), written over x (see _relu_in_place)."""
    return np.maximum(x, 0, out=x)


def _relu_grad_into(g: Any, y: Any, x: Any) -> Any:
    """relu_backward(g, x) with its mask written over x, which nothing reads afterwards."""
    if type(g) is np.ndarray and type(x) is np.ndarray and g.shape == x.shape and \
            g.dtype == x.dtype:
        np.greater(x, 0, out=x)
        return np.multiply(g, x, out=x)
    return elementwise.relu_backward(g, x)


def _fuse_cross_entropy_mean(trace: Trace, steps: list, k: int, readers: dict,
                             outputs: set) -> None:
    """loss = softmax_cross_entropy(logits, target).mean(); loss.backward(): the per-example
    losses, their mean, the seed of ones, the mean's broadcast gradient and the cross-entropy's
    rule (which recomputes the softmax) become one step, _cross_entropy_mean, that keeps the
    forward's exponentials for the backward, as a hand-written step does."""
    forward = steps[k]
    attrs = forward.detail or {}
    if not _unweighted(forward):
        return
    per = forward.out
    users = [steps[j] for j in readers.get(per, [])]
    means = [s for s in users if s is not None and s.kind == "forward" and s.op is reduce.mean_row]
    if per in outputs or len(means) != 1 or means[0].dynamic or \
            means[0].detail != {"axis": None, "keepdims": False}:
        return
    mean = means[0]
    seeds = [steps[j] for j in readers.get(mean.out, [])]
    seeds = [s for s in seeds if s is not None and s.kind == "seed"]
    if len(seeds) != 1 or seeds[0].fn is not np.ones_like:
        return
    seed = seeds[0]
    spread = [steps[j] for j in readers.get(seed.out, [])]
    if len(spread) != 1 or spread[0] is None or spread[0].kind != "backward" or \
            spread[0].op is not reduce.mean_row or spread[0].ins[0] != seed.out or \
            spread[0].ins[2] != per or seed.out in outputs:
        return
    spread = spread[0]
    rule = _cross_entropy_rule(steps, readers, spread.out, forward)
    if rule is None or spread.out in outputs:
        return
    if set(readers[per]) != {trace.steps.index(mean), trace.steps.index(spread)}:
        return  # the per-example losses are read by something else too
    for slot in (spread.ins[1], rule.ins[1]):  # the rules' y: None (neither saves its output)
        if slot not in trace.constants or trace.constants[slot] is not None:
            return

    def fallback(logits: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        per = forward.fn(logits, target)
        loss = np.asarray(mean.fn(per))
        return loss, rule.fn(spread.fn(np.ones_like(loss), None, per), None, logits, target)

    fn = functools.partial(_cross_entropy_mean, attrs.get("ignore_index", -100), fallback)
    steps[k] = Step("fused", fn, tuple(forward.ins), (mean.out, rule.out), op=forward.op,
                    detail="cross_entropy_mean", scope=forward.scope)
    for s in (mean, seed, spread, rule):
        steps[trace.steps.index(s)] = None


def _unweighted(forward: Step) -> bool:
    """Whether a softmax_cross_entropy forward step has neither class weights nor smoothing (else
    its rule takes the general, weighted form, which the fused step does not reproduce)."""
    return len(forward.ins) == 2 and not forward.dynamic and \
        (forward.detail or {}).get("label_smoothing") == 0.0


def _cross_entropy_rule(steps: list, readers: dict, gradient: int, forward: Step) -> Step | None:
    """The one step reading slot ``gradient``, if it is the cross-entropy's rule for the logits
    of ``forward``, else None."""
    found = [steps[j] for j in readers.get(gradient, [])]
    if len(found) != 1 or found[0] is None:
        return None
    rule = found[0]
    if rule.kind != "backward" or rule.op is not fused.softmax_cross_entropy or \
            rule.detail != 0 or rule.dynamic or rule.ins[0] != gradient or \
            tuple(rule.ins[2:]) != tuple(forward.ins):
        return None
    return rule


def _fuse_cross_entropy_with_mean(trace: Trace, steps: list, k: int, readers: dict,
                                  outputs: set) -> None:
    """loss = cross_entropy(logits, target) (one softmax_cross_entropy node with mean=True);
    loss.backward(): the loss, the seed of ones and the rule (which recomputes the softmax)
    become one step, _cross_entropy_mean, exactly as for the separate mean above."""
    forward = steps[k]
    attrs = forward.detail or {}
    if not _unweighted(forward):
        return
    seeds = [steps[j] for j in readers.get(forward.out, [])]
    seeds = [s for s in seeds if s is not None and s.kind == "seed"]
    if len(seeds) != 1 or seeds[0].fn is not np.ones_like or seeds[0].out in outputs:
        return
    seed = seeds[0]
    rule = _cross_entropy_rule(steps, readers, seed.out, forward)
    if rule is None:
        return
    if rule.ins[1] not in trace.constants or trace.constants[rule.ins[1]] is not None:
        return  # the rule's y: None (the op does not save its output)

    def fallback(logits: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        loss = np.asarray(forward.fn(logits, target))
        return loss, rule.fn(np.ones_like(loss), None, logits, target)

    fn = functools.partial(_cross_entropy_mean, attrs.get("ignore_index", -100), fallback)
    steps[k] = Step("fused", fn, tuple(forward.ins), (forward.out, rule.out), op=forward.op,
                    detail="cross_entropy_mean", scope=forward.scope)
    for s in (seed, rule):
        steps[trace.steps.index(s)] = None


def _cross_entropy_mean(ignore_index: int, fallback: Any, logits: np.ndarray,
                        target: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(mean loss, d mean / d logits) exactly as the steps it replaces compute them. The
    cross-entropy's rule shifts the logits by top = logits[rows, argmax], the row max that the
    forward takes with np.max (the same element, up to the sign of a zero, which changes neither
    exp(logits - top) nor lse; picking it is about 3x faster than a max along short rows), so
    the forward's exp(logits - top) and row sums are the rule's own; dividing them in place is
    its soft / soft.sum(...). soft - onehot(t) only changes the targets' entries (x - 0 is x),
    hence ``soft[rows, t] -= 1``; the mean's gradient is one value, ones * (1 / N) in the loss's
    dtype, and broadcasting it over the rows multiplies every entry by it. add.reduce and
    mean_of are np.sum's and np.mean's own reductions without numpy's Python-level wrappers."""
    if type(target) is not np.ndarray or ignore_index in target:
        return fallback(logits, target)  # ignored targets: the rule's weighted form
    fused.check_class_indices("cross_entropy", target, logits.shape[1], ignore_index)
    n = logits.shape[0]
    rows, top, soft, total = fused.shifted_exp(logits)
    per = np.log(total) + top
    per = per - logits[rows, target]
    loss = np.asarray(fused.mean_of(per))
    g = _MEAN_SCALE.get((loss.dtype, n))
    if g is None:
        g = _MEAN_SCALE[loss.dtype, n] = np.ones_like(loss) * (1.0 / builtins.max(n, 1))
    soft /= total[:, None]
    soft[rows, target] -= 1
    soft *= g
    return loss, soft


def _relu_grad(g: Any, y: Any, x: Any) -> Any:
    """relu's numpy rule without the namespace argument and its create_graph test."""
    return elementwise.relu_backward(g, x)


_MEAN_SCALE: dict[tuple, Any] = {}  # (dtype, N) -> the mean's gradient, ones * (1 / N)
