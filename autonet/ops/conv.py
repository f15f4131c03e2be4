"""Convolution and max pooling on NCHW arrays: forward and gradient rules side by side.

Shapes: x (N, C, H, W); a conv weight w (O, C / groups, kH, kW); output (N, O, H_out, W_out) with
the course's arithmetic per spatial axis (f the kernel size, s the stride, p the padding, d the
dilation, whose effective kernel is d (f - 1) + 1):

    n_out = floor((n + 2p - d (f - 1) - 1) / s) + 1

Three primitives are closed under differentiation. conv2d is bilinear, y = B(x, w), so

    dx = B_x^T(g, w)  = conv_transpose2d(g, w)        (the adjoint of conv2d in x)
    dw = B_w^T(x, g)  = conv2d_weight(x, g)           (the adjoint of conv2d in w)

and the adjoints' own gradients are the three again (<B(x, w), g> is one number read three ways).
So higher orders come free: every rule calls ``xp.conv2d``, ``xp.conv_transpose2d`` or
``xp.conv2d_weight``.

Vectorized: each forward makes strided windows of the padded input (a view, no copy), copies them
once into columns (im2col) and does one batched matmul. conv_transpose2d multiplies first and then
adds the columns back into place with one strided add per kernel offset (kH * kW adds, never a
loop over pixels, batch or channels).

max_pool2d's gradient goes to the first maximum of each window (PyTorch's choice at ties).
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

from autonet.ops.primitive import Primitive, as_array
from autonet.ops.registry import Kink

Pair = tuple[int, int]


def out_size(n: int, f: int, s: int, p: int, d: int = 1, ceil_mode: bool = False) -> int:
    """n_out = floor((n + 2p - d (f - 1) - 1) / s) + 1 (ceil with ceil_mode, whose last window
    must still start inside the input or its left padding, as in PyTorch)."""
    span = n + 2 * p - d * (f - 1) - 1
    if not ceil_mode:
        return span // s + 1
    out = -(-span // s) + 1
    if (out - 1) * s >= n + p:
        out -= 1
    return out


def _pad(x: np.ndarray, padding: Pair, extra: Pair = (0, 0), value: float = 0.0) -> np.ndarray:
    """x (N, C, H, W) padded by p on both sides of H and W (plus ``extra`` at the bottom/right)."""
    (ph, pw), (eh, ew) = padding, extra
    if ph == pw == eh == ew == 0:
        return x
    n, c, h, w = x.shape
    out = np.full((n, c, h + 2 * ph + eh, w + 2 * pw + ew), value, dtype=x.dtype)
    out[:, :, ph:ph + h, pw:pw + w] = x
    return out


def windows(padded: np.ndarray, kernel: Pair, stride: Pair, dilation: Pair,
            out: Pair | None = None) -> np.ndarray:
    """The read-only view (N, C, H_out, W_out, kH, kW) of every kernel window of ``padded``."""
    n, c, hp, wp = padded.shape
    (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
    if out is None:
        out = ((hp - dh * (kh - 1) - 1) // sh + 1, (wp - dw * (kw - 1) - 1) // sw + 1)
    s_n, s_c, s_h, s_w = padded.strides
    return as_strided(padded, (n, c, *out, kh, kw),
                      (s_n, s_c, s_h * sh, s_w * sw, s_h * dh, s_w * dw), writeable=False)


def _columns(x: np.ndarray, kernel: Pair, stride: Pair, padding: Pair, dilation: Pair,
             groups: int, out: Pair | None = None) -> np.ndarray:
    """im2col: (N, groups, C / groups * kH * kW, H_out * W_out), one contiguous copy of the
    windows (a reshaped view of them could defeat BLAS and crawl)."""
    win = windows(_pad(x, padding), kernel, stride, dilation, out)
    n, c, ho, wo, kh, kw = win.shape
    win = win.reshape(n, groups, c // groups, ho, wo, kh, kw).transpose(0, 1, 2, 5, 6, 3, 4)
    return np.ascontiguousarray(win).reshape(n, groups, (c // groups) * kh * kw, ho * wo)


def _conv2d(x, w, b=None, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1):
    n = x.shape[0]
    o, cg, kh, kw = w.shape
    cols = _columns(x, (kh, kw), stride, padding, dilation, groups)
    ho = out_size(x.shape[2], kh, stride[0], padding[0], dilation[0])
    wo = out_size(x.shape[3], kw, stride[1], padding[1], dilation[1])
    # (groups, O / groups, K) @ (N, groups, K, L) -> (N, groups, O / groups, L): NCHW directly
    out = np.matmul(w.reshape(groups, o // groups, cg * kh * kw), cols).reshape(n, o, ho, wo)
    if b is not None:
        out += b.reshape(1, o, 1, 1)
    return out


def _conv_transpose2d(x, w, b=None, stride=(1, 1), padding=(0, 0), output_padding=(0, 0),
                      dilation=(1, 1), groups=1):
    """The adjoint of conv2d with weight w (C_in, C_out / groups, kH, kW): x (N, C_in, H, W) ->
    (N, C_out, (H - 1) s - 2p + d (kH - 1) + output_padding + 1, ...)."""
    n, c_in, h, wd = x.shape
    _, cg, kh, kw = w.shape
    (sh, sw), (dh, dw), (ph, pw) = stride, dilation, padding
    # columns (N, groups, C_out / groups * kH * kW, H * W) = w^T @ x per group
    wg = w.reshape(groups, c_in // groups, cg * kh * kw).transpose(0, 2, 1)
    cols = np.matmul(wg, x.reshape(n, groups, c_in // groups, h * wd))
    cols = cols.reshape(n, groups * cg, kh, kw, h, wd)
    full_h = (h - 1) * sh + dh * (kh - 1) + 1 + output_padding[0]
    full_w = (wd - 1) * sw + dw * (kw - 1) + 1 + output_padding[1]
    full = np.zeros((n, groups * cg, full_h, full_w), dtype=np.result_type(x, w))
    for i in range(kh):  # one strided add per kernel offset, never per pixel
        for j in range(kw):
            full[:, :, i * dh:i * dh + (h - 1) * sh + 1:sh,
                 j * dw:j * dw + (wd - 1) * sw + 1:sw] += cols[:, :, i, j]
    out = full[:, :, ph:full_h - ph, pw:full_w - pw]
    out = np.ascontiguousarray(out) if ph or pw else out
    if b is not None:
        out += b.reshape(1, -1, 1, 1)
    return out


def _conv2d_weight(x, g, kernel_size=(1, 1), stride=(1, 1), padding=(0, 0), dilation=(1, 1),
                   groups=1):
    """The adjoint of conv2d in its weight: x (N, C, H, W), g (N, O, H_out, W_out) ->
    dw (O, C / groups, kH, kW) = sum over n and output pixels of g times the window."""
    n, o, ho, wo = g.shape
    kh, kw = kernel_size
    cg = x.shape[1] // groups
    cols = _columns(x, (kh, kw), stride, padding, dilation, groups, (ho, wo))
    # per example (groups, O / groups, L) @ (groups, L, K), summed over the batch
    per_example = np.matmul(g.reshape(n, groups, o // groups, ho * wo), cols.transpose(0, 1, 3, 2))
    return per_example.sum(axis=0).reshape(o, cg, kh, kw)


def _fitting_output_padding(target: tuple, g_shape: tuple, kernel: tuple, stride: Pair,
                            padding: Pair, dilation: Pair) -> Pair:
    """The output_padding for which conv_transpose2d of ``g_shape`` gives ``target``'s H, W (the
    rows a strided conv skipped at the end)."""
    return tuple(int(target[2 + a] - ((g_shape[2 + a] - 1) * stride[a] - 2 * padding[a]
                                      + dilation[a] * (kernel[a] - 1) + 1)) for a in range(2))


def _conv2d_grad_x(xp, g, y, x, w, b=None, stride=(1, 1), padding=(0, 0), dilation=(1, 1),
                   groups=1):
    extra = _fitting_output_padding(x.shape, g.shape, w.shape[2:], stride, padding, dilation)
    return xp.conv_transpose2d(g, w, stride=stride, padding=padding, output_padding=extra,
                               dilation=dilation, groups=groups)


def _conv2d_grad_w(xp, g, y, x, w, b=None, stride=(1, 1), padding=(0, 0), dilation=(1, 1),
                   groups=1):
    return xp.conv2d_weight(x, g, kernel_size=tuple(w.shape[2:]), stride=stride, padding=padding,
                            dilation=dilation, groups=groups)


def _bias_grad(xp, g, y, *inputs, **attrs):
    return xp.sum(g, axis=(0, 2, 3))


def _conv_transpose2d_grad_x(xp, g, y, x, w, b=None, stride=(1, 1), padding=(0, 0),
                             output_padding=(0, 0), dilation=(1, 1), groups=1):
    dx = xp.conv2d(g, w, stride=stride, padding=padding, dilation=dilation, groups=groups)
    return _crop_to(xp, dx, x.shape)  # output_padding >= stride: rows no input reaches


def _conv_transpose2d_grad_w(xp, g, y, x, w, b=None, stride=(1, 1), padding=(0, 0),
                             output_padding=(0, 0), dilation=(1, 1), groups=1):
    return xp.conv2d_weight(g, x, kernel_size=tuple(w.shape[2:]), stride=stride, padding=padding,
                            dilation=dilation, groups=groups)


def _conv2d_weight_grad_x(xp, g, y, x, gy, kernel_size=(1, 1), stride=(1, 1), padding=(0, 0),
                          dilation=(1, 1), groups=1):
    extra = _fitting_output_padding(x.shape, gy.shape, kernel_size, stride, padding, dilation)
    return xp.conv_transpose2d(gy, g, stride=stride, padding=padding, output_padding=extra,
                               dilation=dilation, groups=groups)


def _conv2d_weight_grad_gy(xp, g, y, x, gy, kernel_size=(1, 1), stride=(1, 1), padding=(0, 0),
                           dilation=(1, 1), groups=1):
    dgy = xp.conv2d(x, g, stride=stride, padding=padding, dilation=dilation, groups=groups)
    return _crop_to(xp, dgy, gy.shape)


def _crop_to(xp, a, shape):
    """a cut to ``shape``'s H, W: an x with rows past the last window (conv_transpose2d's
    output_padding >= stride) gets no gradient from a product that never read them."""
    if tuple(a.shape) == tuple(shape):
        return a
    return xp.getitem(a, (Ellipsis, slice(0, shape[2]), slice(0, shape[3])))


# Behind nn.functional's conv2d/conv_transpose2d (which check and normalize the arguments), so not
# exported as an.<name>; rules call them as xp.<name>.
conv2d = Primitive("conv2d", _conv2d, (_conv2d_grad_x, _conv2d_grad_w, _bias_grad),
                   kind="linalg", export=False,
                   doc="conv2d(x (N, C, H, W), w (O, C / groups, kH, kW)[, b (O,)], stride, "
                       "padding, dilation (pairs), groups) -> (N, O, H_out, W_out)")
conv_transpose2d = Primitive("conv_transpose2d", _conv_transpose2d, (
    _conv_transpose2d_grad_x, _conv_transpose2d_grad_w, _bias_grad), kind="linalg",
    export=False, doc="The adjoint of conv2d in its input: x (N, C_in, H, W), w (C_in, "
                      "C_out / groups, kH, kW) -> (N, C_out, H_out, W_out)")
conv2d_weight = Primitive("conv2d_weight", _conv2d_weight, (
    _conv2d_weight_grad_x, _conv2d_weight_grad_gy), kind="linalg", export=False,
    doc="The adjoint of conv2d in its weight: x (N, C, H, W), g (N, O, H_out, W_out) -> "
        "(O, C / groups, kH, kW)")


# ---- max pooling ---------------------------------------------------------------------------------
def _pool_windows(x, kernel_size, stride, padding, dilation, ceil_mode):
    """The windows of x padded with -inf (N, C, H_out, W_out, kH * kW) and (H_out, W_out)."""
    h, w = x.shape[2:]
    ho = out_size(h, kernel_size[0], stride[0], padding[0], dilation[0], ceil_mode)
    wo = out_size(w, kernel_size[1], stride[1], padding[1], dilation[1], ceil_mode)
    # ceil_mode's last window may reach past the padding: pad that far with -inf too
    extra = tuple(max(0, (o - 1) * s + d * (k - 1) + 1 - (n + 2 * p)) for o, s, d, k, n, p in zip(
        (ho, wo), stride, dilation, kernel_size, (h, w), padding))
    padded = _pad(x, padding, extra, value=-np.inf)
    win = windows(padded, kernel_size, stride, dilation, (ho, wo))
    return win.reshape(*win.shape[:4], -1), (ho, wo)


def first_max_positions(x, kernel_size=(1, 1), stride=(1, 1), padding=(0, 0), dilation=(1, 1),
                        ceil_mode=False) -> np.ndarray:
    """(N, C, H_out, W_out) int64: the flat index into each (H, W) plane of the first maximum of
    every window (PyTorch's ``return_indices``)."""
    x = as_array(x)
    win, (ho, wo) = _pool_windows(x, kernel_size, stride, padding, dilation, ceil_mode)
    k = np.argmax(win, axis=-1)
    kw = kernel_size[1]
    rows = np.arange(ho)[:, None] * stride[0] + (k // kw) * dilation[0] - padding[0]
    cols = np.arange(wo)[None, :] * stride[1] + (k % kw) * dilation[1] - padding[1]
    return rows * x.shape[3] + cols


def _max_pool2d(x, kernel_size=(1, 1), stride=(1, 1), padding=(0, 0), dilation=(1, 1),
                ceil_mode=False):
    win, _ = _pool_windows(x, kernel_size, stride, padding, dilation, ceil_mode)
    return np.max(win, axis=-1)


def _max_pool2d_grad(xp, g, y, x, **attrs):
    # Each window's gradient goes to its first maximum: scatter g into those positions.
    n, c, h, w = x.shape
    planes = np.arange(n * c).reshape(n, c, 1, 1) * (h * w)
    flat = (first_max_positions(x, **attrs) + planes).ravel()
    if not xp.records_graph:  # bincount sums repeated positions (overlapping windows) fast
        dx = np.bincount(flat, weights=g.ravel(), minlength=n * c * h * w)
        return dx.astype(g.dtype, copy=False).reshape(x.shape)
    return xp.reshape(xp.scatter_add(xp.reshape(g, (-1,)), flat, (n * c * h * w,)), x.shape)


def _window_argmax(inputs, attrs, out) -> np.ndarray:
    """Changes exactly when another element becomes a window's (first) max: the kink region."""
    return first_max_positions(inputs[0], **attrs)


max_pool2d = Primitive("max_pool2d", _max_pool2d, (_max_pool2d_grad,), kind="reduction",
                       export=False, ordered=True,
                       kink=Kink(_window_argmax, "where two elements of a window tie for its max"),
                       doc="max_pool2d(x (N, C, H, W), kernel_size, stride, padding, dilation "
                           "(pairs), ceil_mode) -> (N, C, H_out, W_out); the gradient goes to "
                           "each window's first max")
