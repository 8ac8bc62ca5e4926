"""The text-generation job's commands: `minirnn train` and `minirnn sample` (their options;
the work is done in train.py and decoding.py)."""
import sys

from minirnn.toolkit import argtypes as types
from minirnn.lm.decoding import generate, prompt_policy
from minirnn.lm.model import load_model
from minirnn.lm.settings import (DEFAULT_CHECKPOINT, DEFAULT_MINUTES, DEFAULTS, PROMPT, SAMPLE_LENGTH,
                                 WORD_MAX_VOCAB)

SAMPLE_TEMPERATURE = 0.8        # `minirnn sample`'s temperature when --temperature is not given
from minirnn.lm.train import train_command
from minirnn.toolkit.memory import check_fits
from minirnn.toolkit.threads import blas_threads


def sample_command(args):
    """`minirnn sample`: load a checkpoint, write from the prompt, print prompt and text."""
    if args.beam is not None:
        given = [name for name, value in (("--temperature", args.temperature), ("--top-k", args.top_k),
                                          ("--top-p", args.top_p), ("--seed", args.seed)) if value is not None]
        if given:
            raise ValueError(f"--beam searches for the likeliest text, it does not sample: "
                             f"leave out {', '.join(given)}")
        decoder = {"beam_size": args.beam, "length_penalty": args.length_penalty or 0.0}
    elif args.length_penalty is not None:
        raise ValueError("--length-penalty scores the beams of beam search: give --beam N too")
    elif args.temperature == 0 and (args.top_k, args.top_p, args.seed) != (None, None, None):
        given = [name for name, value in (("--top-k", args.top_k), ("--top-p", args.top_p),
                                          ("--seed", args.seed)) if value is not None]
        raise ValueError(f"--temperature 0 is greedy, always the likeliest token, and draws nothing: "
                         f"leave out {', '.join(given)}")
    else:
        decoder = {"temperature": SAMPLE_TEMPERATURE if args.temperature is None else args.temperature,
                   "top_k": args.top_k, "top_p": args.top_p, "seed": args.seed}
    with blas_threads(1):
        model, vocab, checkpoint = load_model(args.checkpoint, backend=args.backend)
        if args.beam is not None:   # each beam: a row of float64 log-probabilities over the vocabulary, and its state
            config = checkpoint.config["model"]
            row = 8 * (3 * len(vocab) + 2 * config["layers"] * config["hidden_size"] + args.length)
            check_fits(args.beam * row, f"--beam {args.beam}")
        note = prompt_policy(vocab, args.prompt, f"--prompt {args.prompt!r}")
        if note:
            print(note, file=sys.stderr)
        text = generate(model, vocab, args.prompt, args.length, stop_at_eos=not args.no_stop,
                        strict=False, **decoder)
    print(args.prompt + text)
    return 0


def top_p_value(text):
    """The argparse type of --top-p: a number in (0, 1]."""
    value = float(text)
    if not 0 < value <= 1:                                 # NaN fails this too
        raise ValueError(text)
    return value


top_p_value.__name__ = "number in (0, 1]"                  # argparse names it in its error


def add_train_arguments(p):
    d = DEFAULTS
    data = p.add_argument_group("data")
    data.add_argument("--text", metavar="FILE",
                      help="train on this text file, UTF-8 or UTF-16 with its mark (at least 1000 "
                           "characters; the last 5%% is validation) instead of the built-in corpus, the docstrings of "
                           "Python's standard library")
    data.add_argument("--level", choices=["char", "word"],
                      help="a token is a character, or a word with its leading space "
                           f"(default {d['level']})")
    data.add_argument("--max-vocab", type=types.vocab_size, metavar="V",
                      help="keep at most V token ids, the 3 reserved ones included; rarer tokens "
                           f"become <unk> (default: all for char, {WORD_MAX_VOCAB} for word)")
    data.add_argument("--nchars", type=types.positive_int, metavar="T",
                      help=f"tokens per training window, the steps backpropagated through "
                           f"(default {d['nchars']})")
    data.add_argument("--carry-state", action="store_true", default=None,
                      help="truncated backpropagation through time as in min-char-rnn: read the text "
                           "in --batch-size contiguous lanes and start each window from the state the "
                           "previous one ended in (the gradient still stops at the window); default: "
                           "every window from a random place, from a zero state")

    model = p.add_argument_group("model: input -> recurrent layers -> Linear -> softmax")
    model.add_argument("--cell", choices=["lstm", "gru", "rnn"],
                       help=f"the recurrent cell (default {d['cell']})")
    model.add_argument("--layers", type=types.positive_int,
                       help=f"stacked recurrent layers (default {d['layers']})")
    model.add_argument("--hidden-size", type=types.positive_int, metavar="N",
                       help=f"hidden units per layer (default {d['hidden_size']})")
    model.add_argument("--input", choices=["embedding", "onehot"],
                       help="learned embedding vectors, or one-hot vectors of size V as in "
                            f"min-char-rnn (default {d['input']})")
    model.add_argument("--embed-size", type=types.positive_int, metavar="SIZE",
                       help=f"embedding size, with --input embedding (default {d['embed_size']})")
    model.add_argument("--dropout", type=types.probability, metavar="P",
                       help="dropout probability between stacked layers, needs --layers 2 or "
                            f"more (default {d['dropout']})")
    model.add_argument("--dtype", choices=["float32", "float64"],
                       help=f"floating-point type of the weights (default {d['dtype']})")

    opt = p.add_argument_group("optimisation")
    opt.add_argument("--batch-size", type=types.positive_int, metavar="B",
                     help=f"windows per minibatch, drawn at random from the whole text "
                          f"(default {d['batch_size']})")
    opt.add_argument("--lr", type=types.positive_float, help=f"Adam's learning rate (default {d['lr']})")
    opt.add_argument("--clip", type=types.positive_float,
                     help=f"clip the gradients' global norm to this (default {d['clip']})")
    opt.add_argument("--steps", type=types.positive_int,
                     help="stop after this many steps in all (counting the steps of a resumed "
                          "run); with --minutes too, whichever comes first")
    opt.add_argument("--minutes", type=types.float_in(0, 1e6),
                     help="stop training after this many minutes, validation included "
                          f"(default {DEFAULT_MINUTES} when --steps is not given)")
    opt.add_argument("--seed", type=types.seed,
                     help=f"seeds the weights, the batches, dropout and the samples (default {d['seed']})")

    report = p.add_argument_group("validation, samples, checkpoint")
    report.add_argument("--eval-every", type=types.positive_int, metavar="STEPS",
                        help="validate, print a sample and keep the checkpoint if best every this "
                             f"many steps (default {d['eval_every']}), and at the end")
    report.add_argument("--valid-tokens", type=types.positive_int, metavar="N",
                        help="validate on the first N tokens of the validation text (N >= 2), so "
                             f"that it takes seconds (default {d['valid_tokens']})")
    report.add_argument("--prompt", type=types.utf8_text,
                        help=f"the prompt of the samples (default {PROMPT['char']!r} for char, "
                             f"{PROMPT['word']!r} for word, or none when the text lacks it)")
    report.add_argument("--sample-length", type=types.positive_int, metavar="N",
                        help=f"tokens per closing sample (default {SAMPLE_LENGTH['char']} for char, "
                             f"{SAMPLE_LENGTH['word']} for word)")
    report.add_argument("--out", metavar="PATH",
                        help="the checkpoint file, kept at the best validation loss; the loss "
                             "curve goes beside it as <name>-loss.png (default "
                             "runs/<level>-<cell>/checkpoint.npz, or the --resume file)")
    report.add_argument("--resume", metavar="PATH",
                        help="continue the run saved in this checkpoint with its model, data and "
                             "optimiser settings; only --steps, --minutes, --eval-every, the "
                             "sample options and the machine options may be given anew")

    machine = p.add_argument_group("machine")
    machine.add_argument("--backend", choices=["numba", "numpy"], default="numba",
                         help="numba kernels, or the numpy reference cells (slower) (default numba)")
    machine.add_argument("--threads", type=types.positive_int, default=1,
                         help="BLAS threads (default 1: the recurrent products are small, and on a "
                              "busy machine more threads wait for each other)")
    machine.add_argument("--progress", choices=["auto", "bar", "lines"], default="auto",
                         help="a tqdm progress bar, or a plain line every 15 s; auto: the bar on "
                              "a terminal when tqdm is installed (default auto)")
    p.set_defaults(run=train_command)


def add_sample_arguments(p):
    p.add_argument("--checkpoint", metavar="PATH", default=DEFAULT_CHECKPOINT,
                   help=f"a checkpoint written by `minirnn train` (default {DEFAULT_CHECKPOINT}, "
                        f"where plain `minirnn train` writes)")
    p.add_argument("--prompt", default="", type=types.utf8_text,
                   help="the text to start from; the network reads it first (default: none, "
                        "start a new document)")
    p.add_argument("--temperature", type=types.non_negative_float, metavar="T",
                   help="0 for greedy (always the likeliest token); below 1 safer, above 1 "
                        f"bolder (default {SAMPLE_TEMPERATURE})")
    p.add_argument("--top-k", type=types.positive_int, metavar="K",
                   help="sample only among the K likeliest tokens (default: all)")
    p.add_argument("--top-p", type=top_p_value, metavar="P",
                   help="nucleus sampling: sample only among the fewest likeliest tokens whose "
                        "probabilities add up to P, in (0, 1]; applied after --temperature and "
                        "--top-k (default: all)")
    p.add_argument("--beam", type=types.positive_int, metavar="N",
                   help="instead of sampling, beam search: keep the N likeliest partial texts and "
                        "write the likeliest whole text found; deterministic, so it takes no "
                        "--temperature, --top-k, --top-p (--beam 1 is greedy)")
    p.add_argument("--length-penalty", type=types.non_negative_float, metavar="ALPHA",
                   help="with --beam: divide each text's log-probability by ((5 + n) / 6) ** ALPHA "
                        "for n tokens (GNMT's length penalty, Wu et al. 2016); 0 favours short "
                        "texts that end early at <eos>, larger values longer ones (default 0)")
    p.add_argument("--length", type=types.non_negative_int, default=500, metavar="N",
                   help="write at most N tokens (default 500)")
    p.add_argument("--seed", type=types.seed, help="seed the sampling, to reproduce a text (default: "
                                                   "random; beam search needs none)")
    p.add_argument("--no-stop", action="store_true",
                   help="keep writing past the end of a document (<eos>, written as a line break) "
                        "instead of stopping there")
    p.add_argument("--backend", choices=["numba", "numpy"], default="numba",
                   help="numba kernels, or the numpy reference cells (default numba)")
    p.set_defaults(run=sample_command)
