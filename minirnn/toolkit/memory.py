"""Will it fit? A size typed on the command line (--hidden-size 100000, --embed-size 10000000,
--beam 1000000000) is refused before anything is allocated, naming the options, instead of
NumPy's "Unable to allocate ... for an array with shape ..." or the kernel's out-of-memory kill.

The estimates are rough (a lower bound: the arrays every step needs), which is all a refusal
needs: a model that passes may still be slow, but one that fails could never have run here.
"""
import os

GATES = {"rnn": 1, "gru": 3, "lstm": 4}     # weight blocks per cell: S = sigma(X W + S H + b) has one
TRAINING_COPIES = 4                         # parameters, gradients, Adam's two running averages


def machine_bytes():
    """The machine's physical memory in bytes."""
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def network_parameters(vocab_size, embed_size, cell, hidden_size, layers, outputs, directions=1):
    """Parameters of Embedding(V, E) -> recurrent layers -> Linear(D N, outputs): a count."""
    gates, D, N = GATES[cell], directions, hidden_size
    count = vocab_size * (embed_size or 0)                              # the embedding (none: one-hot)
    for layer in range(layers):
        inputs = (embed_size or vocab_size) if layer == 0 else D * N
        count += D * gates * N * (inputs + N + 2)                       # W, H and two biases per direction
    return count + (D * N + 1) * outputs                                # the head


def check_fits(nbytes, options):
    """Raise ValueError naming ``options`` (e.g. "--hidden-size 100000") if ``nbytes`` is more
    than the machine's memory."""
    total = machine_bytes()
    if nbytes > total:
        raise ValueError(f"{options}: would need at least {nbytes / 1e9:,.3g} GB of memory, more than "
                         f"this machine's {total / 1e9:.3g} GB; give smaller sizes")


def check_training_fits(config, outputs, directions=1):
    """Refuse a network (a model config of lm/model.py or classify/model.py) whose training
    would not fit in memory: its parameters, their gradients and Adam's two averages. Names
    the options that set its size."""
    import numpy as np

    count = network_parameters(config["vocab_size"], config["embed_size"], config["cell"],
                               config["hidden_size"], config["layers"], outputs, directions)
    sizes = [f"--hidden-size {config['hidden_size']}", f"--layers {config['layers']}"]
    if config["embed_size"]:
        sizes.insert(1, f"--embed-size {config['embed_size']}")
    check_fits(TRAINING_COPIES * count * np.dtype(config["dtype"]).itemsize,
               f"{', '.join(sizes)} (a vocabulary of {config['vocab_size']:,})")
