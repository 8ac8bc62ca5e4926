"""The `minirnn` command's own rules, the same for every subcommand (minirnn/cli.py main)."""
import pytest

from minirnn import cli
from minirnn.classify import cli as classify_cli
from minirnn.inspect import cli as inspect_cli
from minirnn.lm import cli as lm_cli


def _interrupt(args):
    raise KeyboardInterrupt


@pytest.mark.parametrize("module, command, argv", [
    (lm_cli, "train_command", ["train"]),
    (lm_cli, "sample_command", ["sample", "--checkpoint", "x.npz"]),
    (inspect_cli, "inspect_command", ["inspect"]),
    (cli, "gradcheck_command", ["gradcheck", "lstm"]),
    (classify_cli, "predict_command", ["classify", "predict", "--checkpoint", "x.npz", "--text", "hi"]),
])
def test_ctrl_c_is_one_line_and_exit_130(module, command, argv, monkeypatch, capsys):
    monkeypatch.setattr(module, command, _interrupt)
    assert cli.main(argv) == 130
    captured = capsys.readouterr()
    assert captured.err == f"minirnn {argv[0]}: interrupted\n"
    assert "Traceback" not in captured.out


@pytest.mark.parametrize("argv, option", [
    (["inspect", "--page-mb", "1e308"], "--page-mb"),                # int(1e308 * 1e6) overflowed
    (["train", "--minutes", "1e308"], "--minutes"),                  # the progress bar's round(60 * inf)
    (["classify", "train", "--minutes", "1e308"], "--minutes"),
])
def test_a_huge_number_is_refused_naming_its_option(argv, option, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert f"argument {option}: invalid number in (0, " in err and "'1e308'" in err


@pytest.mark.parametrize("argv, message", [
    (["gradcheck", "lstm", "--eps", "1e308"], "argument --eps: invalid number in (0, 1] value: '1e308'"),
    # argparse alone took '-1e-5' for an option and said "expected one argument"
    (["gradcheck", "lstm", "--eps", "-1e-5"], "argument --eps: invalid number in (0, 1] value: '-1e-5'"),
    (["sample", "--length-penalty", "-1e308"], "argument --length-penalty: invalid number >= 0 value: '-1e308'"),
])
def test_a_negative_or_huge_number_reaches_its_options_check(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(argv)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_a_value_in_exponent_form_that_starts_with_a_minus_is_a_value(monkeypatch):
    seen = {}
    monkeypatch.setattr(lm_cli, "sample_command", lambda args: seen.setdefault("prompt", args.prompt) and 0)
    assert cli.main(["sample", "--prompt", "-1e5", "--no-stop"]) == 0
    assert seen["prompt"] == "-1e5"


def test_running_out_of_memory_names_the_size_options(monkeypatch, capsys):
    def allocate(args):
        raise MemoryError("Unable to allocate 894. GiB for an array with shape (1000000, 240000)")
    monkeypatch.setattr(cli, "gradcheck_command", allocate)
    assert cli.main(["gradcheck", "lstm", "--hidden-size", "240000"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("minirnn gradcheck: error: out of memory; give smaller sizes (given: ")
    assert "--hidden-size 240000" in err and "shape" not in err
