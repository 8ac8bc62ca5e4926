"""argparse types shared by every command: a bad value is refused by argparse itself,
as "argument --lr: invalid positive number value: '0'", before anything runs."""
import math


def _number_arg(convert, name, allow_zero):
    """An argparse type: convert(text), refused unless finite and > 0 (>= 0 with allow_zero)."""
    def parse(text):
        value = convert(text)
        if not (math.isfinite(value) and (value >= 0 if allow_zero else value > 0)):
            raise ValueError(text)
        return value
    parse.__name__ = name                                  # argparse names the type in its error
    return parse


positive_int = _number_arg(int, "positive integer", allow_zero=False)
positive_float = _number_arg(float, "positive number", allow_zero=False)
non_negative_int = _number_arg(int, "integer >= 0", allow_zero=True)
non_negative_float = _number_arg(float, "number >= 0", allow_zero=True)


def probability(text):
    """An argparse type for a dropout probability: a number in [0, 1)."""
    value = float(text)
    if not 0 <= value < 1:                                 # NaN fails this too
        raise ValueError(text)
    return value


probability.__name__ = "probability in [0, 1)"
