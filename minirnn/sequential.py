"""Sequential: modules written once, run with one forward and one backward.

    model = Sequential(embed=Embedding(V, I), rnn=LSTM(I, N, num_layers=2), head=Linear(N, V))
    logits, state = model.forward(ids, state)        # ids (T, B) -> logits (T, B, V)
    _, dstate0 = model.backward(dlogits, dstate)     # the modules in reverse; the first result
                                                     # is None here: ids have no gradient
    model.params, model.grads                        # dotted names: "rnn.W_l0", "head.b", ...

At most one module is recurrent; the state and the lengths go to it. The toolkit
(minirnn/toolkit/model_checks.py) checks the modules and the arguments, and wraps each
module so that a NaN or an inf appearing inside the model (weights grown too large, after
a diverging update) is reported naming the module.
"""
from .recurrent import Recurrent
from .toolkit import model_checks as check


class Sequential:
    def __init__(self, **modules):
        recurrent = [name for name, m in modules.items() if isinstance(m, Recurrent)]
        check.modules(modules, recurrent)
        self.modules = modules
        self.recurrent = recurrent[0] if recurrent else None

    @property
    def params(self):
        """Every parameter under "module.name"; the same arrays the modules hold."""
        return {f"{m}.{k}": v for m, module in self.modules.items() for k, v in module.params.items()}

    @property
    def grads(self):
        return {f"{m}.{k}": v for m, module in self.modules.items() for k, v in module.grads.items()}

    @property
    def training(self):
        return all(getattr(m, "training", True) for m in self.modules.values())

    @training.setter
    def training(self, mode):
        """model.training = False turns dropout off everywhere (torch's model.eval())."""
        for module in self.modules.values():
            module.training = mode

    def forward(self, x, state=None, lengths=None):
        """Run the modules in order; returns (output, final state of the recurrent module or None)."""
        check.state_needs_recurrent(self, state, lengths)
        final = None
        for name, module in check.checked(self.modules.items()):
            if name == self.recurrent:
                x, final = module.forward(x, state, lengths=lengths)
            else:
                x = module.forward(x)
        return x, final

    def backward(self, dout, dstate=None):
        """Run the modules' backward in reverse order; returns (dx, dstate0).

        dx is None when the first module takes ids (Embedding, OneHot); dstate0 is the
        gradient on the initial state (None without a recurrent module).
        """
        check.dstate_needs_recurrent(self, dstate)
        dstate0 = None
        for name, module in check.checked(reversed(self.modules.items())):
            if name == self.recurrent:
                dout, dstate0 = module.backward(dout, dstate)
            else:
                dout = module.backward(dout)
        return dout, dstate0

    def __repr__(self):
        inner = ",\n".join(f"  {name}={module!r}" for name, module in self.modules.items())
        return f"Sequential(\n{inner}\n)"
