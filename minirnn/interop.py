"""PyTorch's names and layouts for minirnn's recurrent layers, without importing torch.

PyTorch writes column vectors (W_ih @ x) and stores weights as (gates*N, in);
minirnn writes row vectors (x @ W) and stores W as (in, gates*N). So:

    weight_ih_l{k}  =  W_l{k}.T          (G*N, I)
    weight_hh_l{k}  =  H_l{k}.T          (G*N, N)

PyTorch has two biases per layer where minirnn has one, because
x W + b_ih + h H + b_hh  only ever uses their sum:

    loading:    b = bias_ih + bias_hh
    exporting:  bias_ih = b, bias_hh = 0
    gradients:  d bias_ih = d bias_hh = db   (each bias enters the sum once)

The GRU is the exception for its candidate n, whose recurrent bias sits inside the
reset gate's product  r * (h H_n + b_hn)  and so cannot be merged: minirnn keeps it
as ``b_hn``. For the GRU, bias_hh = [b_hr, b_hz, b_hn]: the r and z parts merge into
b as above, the n part is b_hn.

Suffixes follow PyTorch: ``_l1`` for the second layer, ``_reverse`` for the
backward direction. Arrays come in and go out as NumPy arrays; to use them in
PyTorch: ``module.load_state_dict({k: torch.from_numpy(v) for k, v in sd.items()})``.
"""
import numpy as np

from .recurrent import GRU, Recurrent


def _check_layer(layer):
    if not isinstance(layer, Recurrent):
        raise TypeError(f"layer must be a minirnn RNN, LSTM or GRU, got {type(layer).__name__}")


def _suffixes(layer):
    """One per (layer, direction), in the state's order: "_l0", "_l0_reverse", "_l1", ..."""
    return [layer._suffix(k, d) for k in range(layer.num_layers) for d in range(layer.num_directions)]


def _split_bias(layer, b_like, b_hn_like):
    """minirnn's (b, b_hn) arrays -> the values PyTorch's (bias_ih, bias_hh) would carry."""
    N = layer.hidden_size
    if isinstance(layer, GRU):
        bias_hh = np.concatenate([np.zeros(2 * N, b_like.dtype), b_hn_like])
        return b_like.copy(), bias_hh
    return b_like.copy(), np.zeros_like(b_like)


def to_torch_state_dict(layer):
    """The layer's parameters under PyTorch's names and layouts (NumPy arrays)."""
    _check_layer(layer)
    out = {}
    for sfx in _suffixes(layer):
        p = layer.params
        out["weight_ih" + sfx] = np.ascontiguousarray(p["W" + sfx].T)
        out["weight_hh" + sfx] = np.ascontiguousarray(p["H" + sfx].T)
        out["bias_ih" + sfx], out["bias_hh" + sfx] = _split_bias(layer, p["b" + sfx], p.get("b_hn" + sfx))
    return out


def torch_grads(layer):
    """The layer's gradients as PyTorch would report them (param.grad), by PyTorch name."""
    _check_layer(layer)
    out = {}
    N = layer.hidden_size
    for sfx in _suffixes(layer):
        g = layer.grads
        out["weight_ih" + sfx] = np.ascontiguousarray(g["W" + sfx].T)
        out["weight_hh" + sfx] = np.ascontiguousarray(g["H" + sfx].T)
        out["bias_ih" + sfx] = g["b" + sfx].copy()
        if isinstance(layer, GRU):
            out["bias_hh" + sfx] = np.concatenate([g["b" + sfx][:2 * N], g["b_hn" + sfx]])
        else:
            out["bias_hh" + sfx] = g["b" + sfx].copy()
    return out


def load_torch_state_dict(layer, state_dict):
    """Copy a PyTorch state dict (NumPy arrays, or tensors with .numpy()) into the layer.

    Every expected name must be present with PyTorch's shape; extra names are an
    error too, so a state dict of another architecture is refused, not half-loaded.
    """
    _check_layer(layer)
    arrays = {k: np.asarray(v.detach().numpy() if hasattr(v, "detach") else v) for k, v in state_dict.items()}
    expected = to_torch_state_dict(layer)
    missing = sorted(set(expected) - set(arrays))
    extra = sorted(set(arrays) - set(expected))
    if missing or extra:
        raise ValueError(f"state_dict does not fit {layer!r}: missing {missing or 'nothing'}, "
                         f"unexpected {extra or 'nothing'}")
    for name, want in expected.items():
        if arrays[name].shape != want.shape:
            raise ValueError(f"state_dict[{name!r}] must have shape {want.shape}, got {arrays[name].shape}")
    for sfx in _suffixes(layer):
        weight_ih, weight_hh, bias_ih, bias_hh = (arrays[n + sfx].astype(np.float64)
                                                  for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"))
        cell_params = {"W": weight_ih.T, "H": weight_hh.T, **layer._biases(bias_ih, bias_hh)}
        for name, value in cell_params.items():
            layer.params[name + sfx][...] = value    # in place: optimizers hold these arrays
