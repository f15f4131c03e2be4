"""scaled_dot_product_attention, MultiheadAttention and the Transformer encoder: against plain
per-query, per-head and per-position loops, gradients through them, masks, errors, and PyTorch
when installed."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autonet as an
from autonet import nn

F = nn.functional


def _loop_attention(q: np.ndarray, k: np.ndarray, v: np.ndarray, allowed=None,
                    added=None) -> tuple[np.ndarray, np.ndarray]:
    """One (L, E) x (S, E) x (S, Ev) attention, query by query: (output, weights)."""
    length, e = q.shape
    source = k.shape[0]
    out = np.zeros((length, v.shape[1]))
    weights = np.zeros((length, source))
    for i in range(length):
        scores = []
        for j in range(source):
            s = sum(q[i, t] * k[j, t] for t in range(e)) / math.sqrt(e)
            if added is not None:
                s += added[i, j]
            if allowed is not None and not allowed[i, j]:
                s = -math.inf
            scores.append(s)
        top = max(scores)
        exps = [math.exp(s - top) for s in scores]
        for j in range(source):
            weights[i, j] = exps[j] / sum(exps)
            out[i] += weights[i, j] * v[j]
    return out, weights


def _batch(rng, *shape):
    return rng.normal(size=shape)


@pytest.mark.parametrize("mask_kind", ["none", "bool", "float", "causal"])
def test_sdpa_matches_a_loop_over_batches_and_queries(mask_kind: str) -> None:
    rng = np.random.default_rng(0)
    q, k, v = _batch(rng, 2, 3, 4), _batch(rng, 2, 5, 4), _batch(rng, 2, 5, 2)
    allowed = added = None
    kwargs = {}
    if mask_kind == "bool":
        allowed = rng.random((3, 5)) < 0.7
        allowed[:, 0] = True
        kwargs["attn_mask"] = allowed
    elif mask_kind == "float":
        added = rng.normal(size=(3, 5))
        kwargs["attn_mask"] = added
    elif mask_kind == "causal":
        allowed = np.tril(np.ones((3, 5), dtype=bool))
        kwargs["is_causal"] = True
    out = F.scaled_dot_product_attention(q, k, v, **kwargs)
    for b in range(2):
        expected, _ = _loop_attention(q[b], k[b], v[b], allowed, added)
        np.testing.assert_allclose(out.data[b], expected, rtol=1e-10, atol=1e-12)


def test_sdpa_gradients_and_its_errors() -> None:
    rng = np.random.default_rng(1)
    tensors = [an.tensor(_batch(rng, 2, s, 3), requires_grad=True) for s in (2, 3, 3)]
    mask = np.array([[True, False, True], [True, True, False]])
    fn = lambda q, k, v: F.scaled_dot_product_attention(q, k, v, attn_mask=mask)  # noqa: E731
    assert an.gradcheck(fn, tensors)
    assert an.gradgradcheck(fn, tensors, atol=1e-4)
    with pytest.raises(ValueError, match="either attn_mask or is_causal"):
        F.scaled_dot_product_attention(*tensors, attn_mask=mask, is_causal=True)
    with pytest.raises(ValueError, match=r"query \(2, 2, 3\), key \(2, 3, 3\) and value "
                                         r"\(2, 4, 3\) must be"):
        F.scaled_dot_product_attention(tensors[0], tensors[1], an.zeros(2, 4, 3))


def _loop_multihead(layer: nn.MultiheadAttention, q, k, v, blocked=None):
    """Per example n and head h: project with the head's rows of in_proj_weight, attend, then
    out_proj. Inputs (N, L, E) batch first; ``blocked`` (N, L, S) True = masked out."""
    e, heads = layer.embed_dim, layer.num_heads
    d = e // heads
    w, b = layer.in_proj_weight.data, layer.in_proj_bias.data
    n_batch, length = q.shape[:2]
    out = np.zeros((n_batch, length, e))
    mean_weights = np.zeros((n_batch, length, k.shape[1]))
    for n in range(n_batch):
        concat = np.zeros((length, e))
        for h in range(heads):
            rows = [slice(part * e + h * d, part * e + (h + 1) * d) for part in range(3)]
            qh = q[n] @ w[rows[0]].T + b[rows[0]]
            kh = k[n] @ w[rows[1]].T + b[rows[1]]
            vh = v[n] @ w[rows[2]].T + b[rows[2]]
            allowed = None if blocked is None else ~blocked[n]
            head, weights = _loop_attention(qh, kh, vh, allowed)
            concat[:, h * d:(h + 1) * d] = head
            mean_weights[n] += weights / heads
        out[n] = concat @ layer.out_proj.weight.data.T + layer.out_proj.bias.data
    return out, mean_weights


@pytest.mark.parametrize("batch_first", [False, True])
def test_multihead_attention_matches_a_loop_over_examples_and_heads(batch_first: bool) -> None:
    layer = nn.MultiheadAttention(6, 3, batch_first=batch_first).double()
    rng = np.random.default_rng(2)
    layer.in_proj_bias.data[...] = rng.normal(size=18)
    layer.out_proj.bias.data[...] = rng.normal(size=6)
    q, k, v = _batch(rng, 2, 3, 6), _batch(rng, 2, 4, 6), _batch(rng, 2, 4, 6)
    padding = np.array([[False, False, False, True], [False, True, False, False]])
    causal = np.triu(np.ones((3, 4), dtype=bool), 1)
    blocked = padding[:, None, :] | causal[None]
    expected, expected_weights = _loop_multihead(layer, q, k, v, blocked)
    order = (lambda a: a) if batch_first else (lambda a: np.swapaxes(a, 0, 1))
    out, weights = layer(order(q), order(k), order(v), key_padding_mask=padding,
                         attn_mask=causal)
    np.testing.assert_allclose(out.data, order(expected), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(weights.data, expected_weights, rtol=1e-10, atol=1e-12)
    per_head = layer(order(q), order(k), order(v), average_attn_weights=False)[1]
    assert per_head.shape == (2, 3, 3, 4)
    assert layer(order(q), order(k), order(v), need_weights=False)[1] is None
    single, _ = layer(q[0], k[0], v[0])  # unbatched (L, E) whatever batch_first says
    np.testing.assert_allclose(single.data, _loop_multihead(layer, q[:1], k[:1], v[:1])[0][0],
                               rtol=1e-10, atol=1e-12)


def test_multihead_attention_gradients_and_parameter_names() -> None:
    layer = nn.MultiheadAttention(4, 2, batch_first=True).double()
    assert list(layer.state_dict()) == ["in_proj_weight", "in_proj_bias", "out_proj.weight",
                                        "out_proj.bias"]
    assert layer.in_proj_weight.shape == (12, 4)
    x = an.tensor(np.random.default_rng(3).normal(size=(2, 3, 4)), requires_grad=True)
    assert an.gradcheck(lambda x_, *ps: (layer(x_, x_, x_)[0] ** 2).sum(),
                        [x, *layer.parameters()])


def test_multihead_attention_errors_name_the_layer_and_the_fix() -> None:
    with pytest.raises(ValueError, match=r"MultiheadAttention\(16, num_heads=3\): embed_dim 16 "
                                         "is not divisible by num_heads 3"):
        nn.MultiheadAttention(16, 3)
    layer = nn.MultiheadAttention(8, 2)
    with pytest.raises(ValueError, match=r"MultiheadAttention\(8, num_heads=2\): query has shape "
                                         r"\(5, 2, 6\), expected a 3-D \(L, N, E\)"):
        layer(an.zeros(5, 2, 6), an.zeros(5, 2, 8), an.zeros(5, 2, 8))
    with pytest.raises(ValueError, match=r"key_padding_mask has shape \(5, 2\), expected "
                                         r"\(N, S\) = \(2, 5\)"):
        layer(an.zeros(5, 2, 8), an.zeros(5, 2, 8), an.zeros(5, 2, 8),
              key_padding_mask=np.zeros((5, 2), dtype=bool))
    with pytest.raises(ValueError, match=r"attn_mask has shape \(4, 4\), expected \(L, S\) = "
                                         r"\(5, 5\)"):
        layer(an.zeros(5, 2, 8), an.zeros(5, 2, 8), an.zeros(5, 2, 8),
              attn_mask=np.zeros((4, 4), dtype=bool))


def _loop_layer_norm(x: np.ndarray, layer: nn.LayerNorm) -> np.ndarray:
    out = np.empty_like(x)
    for index in np.ndindex(*x.shape[:-1]):
        row = x[index]
        mean = sum(row) / len(row)
        var = sum((r - mean) ** 2 for r in row) / len(row)
        out[index] = (row - mean) / math.sqrt(var + layer.eps) * layer.weight.data + \
            layer.bias.data
    return out


def _loop_encoder_layer(layer: nn.TransformerEncoderLayer, x: np.ndarray) -> np.ndarray:
    """Batch-first x (N, S, E): attention by the loop above, the feed-forward position by
    position (relu), the residuals and norms as the two orderings define them."""
    def attend(z):
        return _loop_multihead(layer.self_attn, z, z, z)[0]

    def feed_forward(z):
        out = np.empty_like(z)
        for index in np.ndindex(*z.shape[:-1]):
            hidden = np.maximum(layer.linear1.weight.data @ z[index] + layer.linear1.bias.data, 0)
            out[index] = layer.linear2.weight.data @ hidden + layer.linear2.bias.data
        return out

    if layer.norm_first:
        x = x + attend(_loop_layer_norm(x, layer.norm1))
        return x + feed_forward(_loop_layer_norm(x, layer.norm2))
    x = _loop_layer_norm(x + attend(x), layer.norm1)
    return _loop_layer_norm(x + feed_forward(x), layer.norm2)


@pytest.mark.parametrize("norm_first", [False, True])
def test_transformer_encoder_matches_a_loop_and_copies_its_layer(norm_first: bool) -> None:
    layer = nn.TransformerEncoderLayer(4, 2, dim_feedforward=5, dropout=0.0,
                                       batch_first=True, norm_first=norm_first)
    encoder = nn.TransformerEncoder(layer, 2, norm=nn.LayerNorm(4)).double()
    assert encoder.layers[0].self_attn.in_proj_weight is not encoder.layers[1].self_attn.\
        in_proj_weight
    assert "layers.1.self_attn.out_proj.weight" in encoder.state_dict()
    assert "layers.0.norm2.bias" in encoder.state_dict() and "norm.weight" in encoder.state_dict()
    rng = np.random.default_rng(4)
    for p in encoder.parameters():
        p.data[...] = rng.normal(scale=0.5, size=p.shape)
    x = rng.normal(size=(2, 3, 4))
    expected = x
    for sub in encoder.layers:
        expected = _loop_encoder_layer(sub, expected)
    expected = _loop_layer_norm(expected, encoder.norm)
    np.testing.assert_allclose(encoder(x).data, expected, rtol=1e-9, atol=1e-10)
    xt = an.tensor(x, requires_grad=True)
    assert an.gradcheck(lambda x_: (encoder(x_) ** 2).sum(), [xt])


def test_transformer_encoder_layer_rejects_an_unknown_activation() -> None:
    with pytest.raises(ValueError, match="activation should be 'relu' or 'gelu'"):
        nn.TransformerEncoderLayer(4, 2, activation="swish")


@pytest.mark.parametrize("norm_first", [False, True])
def test_pytorch_state_dicts_load_and_give_the_same_outputs_and_gradients(norm_first) -> None:
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    make = lambda m: m.TransformerEncoder(  # noqa: E731
        m.TransformerEncoderLayer(8, 2, 16, dropout=0.0, activation="gelu",
                                  norm_first=norm_first), 2, norm=m.LayerNorm(8))
    theirs, ours = make(torch.nn).double(), make(nn).double()
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    rng = np.random.default_rng(5)
    x = rng.normal(size=(5, 2, 8))  # (S, N, E)
    padding = np.array([[False] * 5, [False, False, False, True, True]])
    causal = np.triu(np.ones((5, 5), dtype=bool), 1)
    tx = torch.tensor(x, requires_grad=True)
    ty = theirs(tx, mask=torch.tensor(causal), src_key_padding_mask=torch.tensor(padding))
    ax = an.tensor(x, requires_grad=True)
    ay = ours(ax, mask=causal, src_key_padding_mask=padding)
    np.testing.assert_allclose(ay.data, ty.detach().numpy(), rtol=1e-10, atol=1e-10)
    g = rng.normal(size=ay.shape)
    (ty * torch.tensor(g)).sum().backward()
    (ay * g).sum().backward()
    np.testing.assert_allclose(ax.grad, tx.grad.numpy(), rtol=1e-8, atol=1e-10)
    ours_grads = {name: p.grad for name, p in ours.named_parameters()}
    for name, p in theirs.named_parameters():
        np.testing.assert_allclose(ours_grads[name], p.grad.numpy(), rtol=1e-8, atol=1e-10,
                                   err_msg=name)
    mha_t = torch.nn.MultiheadAttention(8, 4, kdim=6, vdim=5).double()
    mha_a = nn.MultiheadAttention(8, 4, kdim=6, vdim=5).double()
    mha_a.load_state_dict({k: v.numpy() for k, v in mha_t.state_dict().items()})
    q, k, v = rng.normal(size=(3, 2, 8)), rng.normal(size=(4, 2, 6)), rng.normal(size=(4, 2, 5))
    to, tw = mha_t(*(torch.tensor(a) for a in (q, k, v)), average_attn_weights=False)
    ao, aw = mha_a(q, k, v, average_attn_weights=False)
    np.testing.assert_allclose(ao.data, to.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(aw.data, tw.detach().numpy(), rtol=1e-10, atol=1e-12)


def test_float_and_per_head_masks_and_the_functional_forms_agree_with_pytorch() -> None:
    torch = pytest.importorskip("torch")
    torch.manual_seed(1)
    theirs, ours = torch.nn.MultiheadAttention(8, 2).double(), nn.MultiheadAttention(8, 2).double()
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    rng = np.random.default_rng(6)
    q, k = rng.normal(size=(3, 2, 8)), rng.normal(size=(4, 2, 8))
    per_head = rng.normal(size=(4, 3, 4))  # (N * num_heads, L, S), added to the scores
    padding = np.zeros((2, 4))
    padding[1, 0] = -np.inf
    to, tw = theirs(torch.tensor(q), torch.tensor(k), torch.tensor(k),
                    attn_mask=torch.tensor(per_head), key_padding_mask=torch.tensor(padding))
    ao, aw = ours(q, k, k, attn_mask=per_head, key_padding_mask=padding)
    np.testing.assert_allclose(ao.data, to.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(aw.data, tw.detach().numpy(), rtol=1e-10, atol=1e-12)
    q, k, v = rng.normal(size=(2, 2, 3, 4)), rng.normal(size=(2, 2, 5, 4)), rng.normal(
        size=(2, 2, 5, 3))
    allowed = rng.random((3, 5)) < 0.6
    allowed[:, 0] = True
    tq, tk, tv = (torch.tensor(a) for a in (q, k, v))
    sdpa = torch.nn.functional.scaled_dot_product_attention
    np.testing.assert_allclose(F.scaled_dot_product_attention(q, k, v, attn_mask=allowed).data,
                               sdpa(tq, tk, tv, attn_mask=torch.tensor(allowed)).numpy(),
                               rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(F.scaled_dot_product_attention(q, k, v, is_causal=True,
                                                              scale=0.3).data,
                               sdpa(tq, tk, tv, is_causal=True, scale=0.3).numpy(),
                               rtol=1e-10, atol=1e-12)
    x = rng.normal(size=(5, 3))
    mean, var = np.zeros(3), np.ones(3)
    t_mean, t_var = torch.zeros(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64)
    y = F.batch_norm(x, mean, var, training=True, momentum=0.3)
    ty = torch.nn.functional.batch_norm(torch.tensor(x), t_mean, t_var, training=True,
                                        momentum=0.3)
    np.testing.assert_allclose(y.data, ty.numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(mean, t_mean.numpy(), rtol=1e-12)  # updated in place
    np.testing.assert_allclose(var, t_var.numpy(), rtol=1e-12)
    assert list(nn.TransformerEncoderLayer(4, 2, bias=False).state_dict()) == list(
        torch.nn.TransformerEncoderLayer(4, 2, bias=False).state_dict())
