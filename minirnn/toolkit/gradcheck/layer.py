"""check_layer: gradient-check a whole recurrent layer (every parameter, the input and
the initial state) through a random linear loss of everything it returns. Dropout masks
are replayed, so every evaluation sees the same ones; a float32 layer is checked against
the finite differences of its float64 twin."""
import copy

import numpy as np

from minirnn.gradcheck import DEFAULT_REL_TOL
from minirnn.toolkit.gradcheck.compare import check_gradients

FLOAT32_REL_TOL = 1e-3
FLOAT32_REASON = (
    "float32 keeps 24 bits (unit round-off u = 6.0e-8), and each gradient entry is a sum of "
    "many products carried back through T steps, each rounded, so a correct float32 backward "
    "pass differs from the exact gradient by about 1e-6 to 1e-4 relative, more for longer "
    "sequences and where terms cancel (measured: median 3.7e-6 and max 6.2e-5 over 600 random "
    "small layers, up to 1.3e-4 at T=50); tolerance 1e-3 leaves room for that, while a missing "
    "term or a wrong sign (1e-2 to 1) still fails")


def check_layer(layer, x, state=None, lengths=None, seed=0, **options):
    """Gradient-check a recurrent layer: every parameter, the input and the initial state.

    The loss is a random linear function of everything the layer returns,
        L = sum(dy * y) + sum(dstate * final_state),
    so that backward(dy, dstate) must give exactly dL/d(params), dL/dx, dL/dstate0.
    A float64 layer is checked against its own finite differences. A float32 layer's
    gradients (its own float32 backward pass) are checked against the finite
    differences of its float64 twin at the same point, with rel_tol FLOAT32_REL_TOL
    by default (FLOAT32_REASON says why). x and state are copied; the layer's arrays
    are perturbed and restored. With dropout, every evaluation reuses the random masks
    of the first one, so the dropout backward is checked too.
    `options` go to check_gradients.
    Returns a GradcheckReport with rows "x", "h0" (and "c0"), then every parameter.
    """
    twin = layer if layer.dtype == np.float64 else in_dtype(layer, np.float64)
    problem = LayerProblem(twin, x, state, lengths, seed, values_dtype=layer.dtype)
    analytic = problem.gradients(layer)        # the layer's own backward pass, in its own dtype
    options.setdefault("rel_tol", DEFAULT_REL_TOL if layer.dtype == np.float64 else FLOAT32_REL_TOL)
    report = check_gradients(problem.loss, problem.arrays, analytic, seed=seed, **options)
    problem.done(layer)
    return report


class LayerProblem:
    """The random linear loss of check_layer, for one layer at one point.

    x, the initial state, dy and dstate are values of values_dtype (rounded to float32
    for a float32 check), x and the state stored in the layer's dtype, dy and dstate in
    float64. So a float32 layer and its float64 twin evaluate the same loss at the same
    point. The loss is accumulated in float64
    whatever the layer's dtype: sum(dy * y) neither overflows nor loses digits.
    """

    def __init__(self, layer, x, state, lengths, seed, values_dtype=np.float64):
        rng = np.random.default_rng(seed)
        self.layer, self.lengths = layer, lengths
        self.masks_state = layer.rng.bit_generator.state      # replayed: the same dropout masks each time
        as_values = lambda a: np.asarray(a, dtype=np.float64).astype(values_dtype).astype(layer.dtype)
        self.x = as_values(x)
        states0 = None if state is None else tuple(as_values(s) for s in layer.state_parts(state))
        y, final = layer.forward(self.x, None if states0 is None else self._pack(states0), lengths=lengths)
        layer.rng.bit_generator.state = self.masks_state
        finals = layer.state_parts(final)                      # (h,) or (h, c), each (L*D, B, N)
        self.states0 = states0 if states0 is not None else tuple(np.zeros_like(f) for f in finals)
        as_float64_values = lambda a: a.astype(values_dtype).astype(np.float64)
        self.dy = as_float64_values(rng.standard_normal(y.shape))
        self.dfinals = tuple(as_float64_values(rng.standard_normal(f.shape)) for f in finals)
        state_names = [f"{n}0" for n in layer.state_names]
        self.arrays = {"x": self.x, **dict(zip(state_names, self.states0)), **layer.params}

    @staticmethod
    def _pack(parts):
        return parts if len(parts) > 1 else parts[0]           # the layer's own form: h, or (h, c)

    def loss(self, layer=None):
        """L at the current arrays, as a float64 number."""
        layer = self.layer if layer is None else layer
        layer.rng.bit_generator.state = self.masks_state
        states0 = tuple(np.asarray(s, dtype=layer.dtype) for s in self.states0)
        y, final = layer.forward(np.asarray(self.x, dtype=layer.dtype), self._pack(states0),
                                 lengths=self.lengths)
        return (np.sum(self.dy * y) +                          # dy float64: float64 products and sums
                sum(np.sum(d * f) for d, f in zip(self.dfinals, layer.state_parts(final))))

    def gradients(self, layer):
        """dL/d(every array) from layer's backward pass (this problem's layer or its float32 twin)."""
        self.loss(layer)
        self.masks_used = layer.rng.bit_generator.state        # as if the layer had run forward once
        dx, dstate0 = layer.backward(self.dy.astype(layer.dtype),
                                     self._pack(tuple(d.astype(layer.dtype) for d in self.dfinals)))
        values = [dx, *layer.state_parts(dstate0), *(layer.grads[k].copy() for k in layer.params)]
        return dict(zip(self.arrays, values))

    def done(self, layer):
        """Leave layer's random generator as if it had run forward once."""
        layer.rng.bit_generator.state = self.masks_used


def in_dtype(layer, dtype):
    """A copy of a recurrent layer computing in dtype, with the same (cast) parameters
    and its own copy of the random generator (the same dropout masks)."""
    twin = copy.copy(layer)
    twin.dtype = np.dtype(dtype)
    twin.rng = copy.deepcopy(layer.rng)
    twin.params = {name: p.astype(dtype) for name, p in layer.params.items()}
    twin.grads = {name: np.zeros_like(p) for name, p in twin.params.items()}
    return twin
