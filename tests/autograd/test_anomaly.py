"""detect_anomaly: the first NaN/Inf of a forward op or a backward rule, with the user's line."""

import inspect

import numpy as np
import pytest

import autonet as an
from autonet.autograd.engine import observers
from autonet.ops.primitive import _hooks

# numpy's own "invalid value" RuntimeWarnings are expected here: making NaN/Inf is the point.
pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


def _line_of(marker: str) -> int:
    """Line number in this file of the (unique) line containing ``marker``."""
    lines, _ = inspect.getsourcelines(inspect.getmodule(_line_of))
    hits = [k for k, text in enumerate(lines, start=1) if marker in text and "_line_of" not in text]
    assert len(hits) == 1
    return hits[0]


def test_forward_nan_names_op_shapes_ranges_and_line():
    x = an.tensor(np.array([[1.0, -1.0], [4.0, 9.0]]), requires_grad=True)
    with pytest.raises(an.AnomalyError) as caught, an.detect_anomaly():
        y = x * 2.0
        z = an.sqrt(y)  # MARK-forward
        z.sum()
    error = caught.value
    text = str(error)
    assert error.phase == "forward" and error.node.name == "sqrt"
    assert "forward of 'sqrt' produced NaN" in text
    assert "input 0: shape (2, 2) float64, range [-2, 18]" in text
    assert f"{__file__}:{_line_of('MARK-forward')} in test_forward" in text
    assert "z = an.sqrt(y)" in text


def test_backward_inf_names_the_rule_and_the_forward_line():
    x = an.tensor(np.array([0.0, 1.0]), requires_grad=True)
    with pytest.raises(an.AnomalyError) as caught, an.detect_anomaly():
        loss = an.sqrt(x).sum()  # MARK-backward
        loss.backward()
    error = caught.value
    assert error.phase == "backward" and error.node.name == "sqrt"
    assert "gradient for its input 0" in str(error)
    assert error.site.endswith(f":{_line_of('MARK-backward')} in "
                               "test_backward_inf_names_the_rule_and_the_forward_line")


def test_only_the_first_bad_op_is_blamed():
    x = an.tensor(np.array([-1.0, 2.0]), requires_grad=True)
    with pytest.raises(an.AnomalyError) as caught, an.detect_anomaly():
        an.exp(an.log(x) * 3.0)  # log makes the NaN; mul and exp only carry it
    assert caught.value.node.name == "log"


def test_check_inf_false_allows_inf_but_still_stops_at_nan():
    x = an.tensor(np.array([0.0, 1.0]), requires_grad=True)
    with an.detect_anomaly(check_inf=False):
        y = an.log(x)  # -inf allowed
        with pytest.raises(an.AnomalyError, match="NaN"):
            y * 0.0  # -inf * 0 = NaN
    with an.detect_anomaly(check_nan=False):
        an.log(x - 1.0)  # NaN and -inf both allowed; sites still recorded


def test_sites_are_recorded_inside_and_not_outside():
    x = an.tensor([1.0], requires_grad=True)
    with an.detect_anomaly():
        inside = x * 2.0
    outside = x * 2.0
    assert inside.grad_fn.site is not None and "test_anomaly.py" in inside.grad_fn.site
    assert outside.grad_fn.site is None


def test_set_detect_anomaly_and_decorator_restore_the_hooks():
    before = (_hooks.on_forward, observers.on_gradient)
    an.set_detect_anomaly(True)
    try:
        assert _hooks.on_forward is not None and observers.on_gradient is not None
        with pytest.raises(an.AnomalyError):
            an.log(an.tensor([-1.0], requires_grad=True))
    finally:
        an.set_detect_anomaly(False)
    assert (_hooks.on_forward, observers.on_gradient) == before

    @an.detect_anomaly()
    def step(x):
        return an.log(x)

    with pytest.raises(an.AnomalyError):
        step(an.tensor([-1.0], requires_grad=True))
    assert (_hooks.on_forward, observers.on_gradient) == before


def test_a_foreign_hook_is_chained_not_replaced():
    seen = []
    previous = _hooks.on_forward
    _hooks.on_forward = lambda node, out: seen.append(node.name)
    try:
        with an.detect_anomaly():
            an.tensor([1.0], requires_grad=True) * 2.0
        assert seen == ["mul"]
        assert _hooks.on_forward is not None and _hooks.on_forward.__name__ == "<lambda>"
    finally:
        _hooks.on_forward = previous


def test_anomaly_mode_and_a_finite_network_agree_with_normal_mode():
    x = an.tensor(np.array([0.5, 1.5]), requires_grad=True)
    with an.detect_anomaly():
        (an.tanh(x) * x).sum().backward()
    with_mode = x.grad.copy()
    x.grad = None
    (an.tanh(x) * x).sum().backward()
    np.testing.assert_array_equal(with_mode, x.grad)


def test_a_rule_run_with_create_graph_is_blamed_not_the_op_inside_it():
    # Under create_graph the rules run as recorded ops: the Inf appears in a 'div' made by sqrt's
    # rule, at the an.grad line. The culprit is sqrt's rule and the line that created the sqrt.
    x = an.tensor(np.array([0.0, 1.0]), requires_grad=True)
    with pytest.raises(an.AnomalyError) as caught, an.detect_anomaly():
        loss = an.sqrt(x).sum()  # MARK-create-graph
        an.grad(loss, x, create_graph=True)
    error = caught.value
    text = str(error)
    assert error.phase == "backward" and error.node.name == "sqrt", text
    assert "backward of 'sqrt'" in text and "create_graph=True" in text and "'div'" in text
    assert error.site.endswith(f":{_line_of('MARK-create-graph')} in "
                               "test_a_rule_run_with_create_graph_is_blamed_not_the_op_inside_it")


def _detecting_in_another_thread(switch_on, switch_off, in_this_thread) -> list:
    """Run ``in_this_thread()`` while a worker thread has anomaly mode on (``switch_on()``);
    the worker then makes a NaN itself, while still detecting, and switches off. Returns the
    AnomalyErrors the worker caught (one, if its mode held throughout)."""
    import threading

    entered, done = threading.Event(), threading.Event()
    caught = []

    def other_thread():
        switch_on()
        try:
            entered.set()
            done.wait(10)
            try:  # ... while the thread that switched it on still detects
                an.sqrt(an.tensor([-1.0], requires_grad=True))
            except an.AnomalyError as error:
                caught.append(error)
        finally:
            switch_off()

    worker = threading.Thread(target=other_thread)
    worker.start()
    try:
        assert entered.wait(10)
        assert not an.autograd.anomaly.is_anomaly_enabled()
        in_this_thread()
    finally:
        done.set()
        worker.join()
    assert _hooks.on_forward is None and observers.on_gradient is None
    return caught


def test_anomaly_mode_is_per_thread_like_grad_mode():
    def here():
        x = an.tensor([-1.0], requires_grad=True)
        y = an.sqrt(x)  # NaN here is this thread's business: no AnomalyError
        assert np.isnan(y.data).all() and y._node.site is None
        y.sum().backward()

    mode = an.detect_anomaly()
    caught = _detecting_in_another_thread(mode.__enter__, lambda: mode.__exit__(None, None, None),
                                          here)
    assert len(caught) == 1 and "sqrt" in str(caught[0])


def test_set_detect_anomaly_in_one_thread_leaves_the_others_alone():
    def here():
        y = an.log(an.tensor([0.0], requires_grad=True))  # -inf: no AnomalyError here
        assert np.isinf(y.data).all()

    caught = _detecting_in_another_thread(lambda: an.set_detect_anomaly(True),
                                          lambda: an.set_detect_anomaly(False), here)
    assert len(caught) == 1 and "sqrt" in str(caught[0])  # the worker's switch did work
