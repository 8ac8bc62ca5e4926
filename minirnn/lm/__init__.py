"""Text generation (`minirnn train`, `minirnn sample`): a language model, one file per stage,
in the order the data moves:

    corpus.py     where the text comes from: Python's docstrings, or --text FILE
    (minirnn/vocab.py, shared with the other jobs: text -> tokens -> ids)
    windows.py    ids -> training windows (T, B) and validation lanes
    model.py      Embedding -> recurrent layers -> Linear; its validation loss; loading it back
    train.py      the training step (forward, loss, backward, clip, Adam), the validation,
                  the checkpoint (the loop itself: minirnn/toolkit/training.py)
    decoding.py   prime with a prompt, then choose token by token: sampling or beam search
    settings.py   the defaults of `minirnn train` and how they were chosen
    report.py     the loss-curve plot
    cli.py        the two commands' options

What other code uses from here:
"""
from minirnn.lm.decoding import generate, next_token
from minirnn.lm.model import build_model, evaluate, load_data, load_model, model_config
from minirnn.lm.settings import DEFAULT_CHECKPOINT

__all__ = ["DEFAULT_CHECKPOINT", "build_model", "evaluate", "generate", "load_data", "load_model",
           "model_config", "next_token"]
