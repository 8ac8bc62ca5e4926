"""Optimizers: turn gradients into parameter updates.

    opt = Adam(model.params, lr=1e-3)
    opt.step(model.grads)              # every model.params[name] moves, in place

PlainAdam, first, is a whole optimizer in plain Python: the running arrays m and v live in
the optimizer, one per parameter, zeros at the start; step counts t and moves every
parameter by the rule.

The classes after it are the ones to train with: torch.optim's rules and options, each
written as its equations in update(p, g, ...), on a parameter p, its gradient g and its
running arrays, by their letters in the equations. They run as PlainAdam does, on a shared
base from the toolkit (minirnn/toolkit/optimizer.py; skip it on a first reading): its step
counts t, then calls update on every parameter with the running arrays that running()
names (opt.m[name], opt.v[name], ...), and it adds the checks of every argument, the undo
of a step that would overflow, large parameters handed over in chunks, and state_dict /
load_state_dict to resume, bit for bit.

In float64 the parameters agree with torch.optim's to a relative 1e-12 after 25 steps
(measured: 3e-13 at worst, Adam 5e-14), not to the last bit, as torch rearranges some
equations (Adam's m as a lerp, its bias corrections moved out of the arrays).
"""
import numpy as np

from minirnn.toolkit.optimizer import Optimizer


class PlainAdam:
    """Adam as a learner writes it: no weight decay, no amsgrad, no checks, no resume.

    Adam below, with its default options, computes the very same numbers (tests/test_optim.py
    checks it to the last bit) and adds those.
    """

    def __init__(self, params, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        self.params = params                                     # name -> array, moved in place
        self.lr, self.beta1, self.beta2, self.eps = lr, beta1, beta2, eps
        self.m = {name: np.zeros_like(p) for name, p in params.items()}   # running mean of g
        self.v = {name: np.zeros_like(p) for name, p in params.items()}   # running mean of g^2
        self.t = 0                                               # the steps taken so far

    def step(self, grads):
        self.t += 1                                              # the step being taken: 1, 2, ...
        for name, p in self.params.items():
            g, m, v = grads[name], self.m[name], self.v[name]
            m[...] = self.beta1 * m + (1 - self.beta1) * g       # [...]: in place, in self.m
            v[...] = self.beta2 * v + (1 - self.beta2) * g * g
            m_hat = m / (1 - self.beta1 ** self.t)               # m and v start at 0: divide out
            v_hat = v / (1 - self.beta2 ** self.t)               # that pull towards 0
            p -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


# The optimizers to train with. The base's __init__ checks the hyperparameters each constructor
# hands it and keeps each as an attribute: self.lr, self.momentum, ... (Adam's betas as
# self.beta1 and self.beta2). Each class's running() names its running arrays by their letters
# (m, v, G, ...), each mapped to its name in state_dict (torch's): the base creates one dict per
# letter, self.m[name] = zeros like the parameter, counts self.t, and at every step calls
# update(p, g, m=self.m[name], v=self.v[name], ...) on each parameter, the arrays by letter.

class SGD(Optimizer):
    """Stochastic gradient descent, with optional momentum (heavy ball or Nesterov) and weight decay.

        g <- g + wd p                            the gradient of an L2 penalty wd/2 ||p||^2
        b <- momentum b + (1 - dampening) g      the momentum buffer; b = g at the first step
        g <- g + momentum b   (Nesterov)   or   g <- b   (heavy ball; momentum 0: g as it is)
        p <- p - lr g
    """

    def __init__(self, params, lr, momentum=0.0, dampening=0.0, nesterov=False, weight_decay=0.0):
        super().__init__(params, lr=lr, momentum=momentum, dampening=dampening, nesterov=nesterov,
                         weight_decay=weight_decay)

    def running(self):
        return {"b": "momentum_buffer"} if self.momentum else {}

    def update(self, p, g, b=None):
        if self.weight_decay:
            g = g + self.weight_decay * p
        if self.momentum:
            b[...] = g if self.t == 1 else self.momentum * b + (1 - self.dampening) * g
            g = g + self.momentum * b if self.nesterov else b
        p -= self.lr * g


class Adagrad(Optimizer):
    """Adagrad: each entry's step shrinks with the squared gradients it has seen so far.

        g <- g + wd p
        G <- G + g^2                             G starts at initial_accumulator_value
        p <- p - lr / (1 + (t - 1) lr_decay) * g / (sqrt(G) + eps)
    Duchi, Hazan and Singer, "Adaptive Subgradient Methods", 2011.
    """

    def __init__(self, params, lr=1e-2, lr_decay=0.0, weight_decay=0.0,
                 initial_accumulator_value=0.0, eps=1e-10):
        super().__init__(params, lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                         initial_accumulator_value=initial_accumulator_value, eps=eps)
        for G in self.G.values():
            G += self.initial_accumulator_value                 # G_0

    def running(self):
        return {"G": "sum"}

    def update(self, p, g, G):
        if self.weight_decay:
            g = g + self.weight_decay * p
        G += g * g
        p -= self.lr / (1 + (self.t - 1) * self.lr_decay) * g / (np.sqrt(G) + self.eps)


class RMSprop(Optimizer):
    """RMSprop: divide by a running root mean square of g, where Adagrad divides by a sum.

        g <- g + wd p
        v <- alpha v + (1 - alpha) g^2
        centered:  m <- alpha m + (1 - alpha) g,  d = sqrt(v - m^2) + eps
        otherwise  d = sqrt(v) + eps
        momentum:  b <- momentum b + g / d,  p <- p - lr b
        otherwise  p <- p - lr g / d
    v - m^2, a variance, is clamped at 0: rounding can take it below (torch then writes NaN).
    Hinton, Neural Networks for Machine Learning, lecture 6e, 2012; centered: Graves, 2013.
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0,
                 centered=False):
        super().__init__(params, lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                         momentum=momentum, centered=centered)

    def running(self):
        running = {"v": "square_avg"}
        if self.momentum:
            running["b"] = "momentum_buffer"
        if self.centered:
            running["m"] = "grad_avg"
        return running

    def update(self, p, g, v, b=None, m=None):
        alpha = self.alpha
        if self.weight_decay:
            g = g + self.weight_decay * p
        v[...] = alpha * v + (1 - alpha) * g * g
        if self.centered:
            m[...] = alpha * m + (1 - alpha) * g
            d = np.sqrt(np.maximum(v - m * m, 0)) + self.eps      # g's standard deviation
        else:
            d = np.sqrt(v) + self.eps
        if self.momentum:
            b[...] = self.momentum * b + g / d
            p -= self.lr * b
        else:
            p -= self.lr * g / d


class Adam(Optimizer):
    """Adam: a running mean of g (m) divided by a running root mean square of g (v).

        g <- g + wd p                            an L2 term, through m and v (AdamW decays p instead)
        m <- beta1 m + (1 - beta1) g
        v <- beta2 v + (1 - beta2) g^2
        amsgrad:  v_max <- max(v_max, v), used as v: the denominator never shrinks
        m_hat = m / (1 - beta1^t)                m and v start at 0, which pulls them towards 0
        v_hat = v / (1 - beta2^t)                for the first steps: divide that out
        p <- p - lr m_hat / (sqrt(v_hat) + eps)
    Kingma and Ba, "Adam: A Method for Stochastic Optimization", 2015, Algorithm 1 (eps
    outside the correction, as torch); amsgrad: Reddi, Kale and Kumar, 2018.
    """
    decoupled = False                          # AdamW: weight decay applied to p itself

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                 amsgrad=False):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                         amsgrad=amsgrad)

    def running(self):
        running = {"m": "exp_avg", "v": "exp_avg_sq"}
        if self.amsgrad:
            running["v_max"] = "max_exp_avg_sq"
        return running

    def update(self, p, g, m, v, v_max=None):
        beta1, beta2, t = self.beta1, self.beta2, self.t
        if self.weight_decay and self.decoupled:
            p *= 1 - self.lr * self.weight_decay       # AdamW
        elif self.weight_decay:
            g = g + self.weight_decay * p              # Adam
        m[...] = beta1 * m + (1 - beta1) * g
        v[...] = beta2 * v + (1 - beta2) * g * g
        if self.amsgrad:
            v = np.maximum(v_max, v, out=v_max)        # v_max <- max(v_max, v), used as v
        m_hat = m / (1 - beta1 ** t)
        v_hat = v / (1 - beta2 ** t)
        p -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


class AdamW(Adam):
    """AdamW: Adam with decoupled weight decay, applied to p directly, not through m and v.

        p <- p (1 - lr wd)       then Adam's step with the plain gradient g
    With Adam's L2 term, a weight with large gradients is barely decayed (v divides the
    decay away too); here every weight decays at the same rate lr wd.
    Loshchilov and Hutter, "Decoupled Weight Decay Regularization", 2019.
    """
    decoupled = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                         amsgrad=amsgrad)
