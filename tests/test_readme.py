"""The README's promises: its test command is what CI runs, and every file it names exists."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def test_ci_runs_exactly_the_readme_test_command():
    test_command = next(line.strip() for line in README.splitlines() if "python -m pytest" in line)
    ci_lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert test_command in ci_lines


def test_every_file_the_readme_names_exists():
    named = set(re.findall(r"`((?:minirnn|examples|benchmarks|tests)/[\w./]+?)`", README))
    named |= set(re.findall(r"`((?:minirnn|examples|benchmarks)/[\w./]+\.py)[ `]", README))
    assert named, "the README names no files?"
    missing = sorted(p for p in named if not (ROOT / p).exists())
    assert not missing, f"README names files that do not exist: {missing}"


def test_the_readme_gradcheck_output_is_what_the_command_prints(capsys):
    """Every line but the round-off figures (which move with the BLAS and the backend)."""
    from minirnn.cli import main

    block = README.split("$ python -m minirnn gradcheck lstm\n", 1)[1].split("\n\n", 2)
    shown = "\n\n".join(block[:2]).splitlines()
    shown = [line[4:] for line in shown]                       # the README indents by 4
    assert main(["gradcheck", "lstm"]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert len(shown) == len(printed)

    row = re.compile(r"(\S+) +(\(.*?\)) +(\d+/\d+) .* (PASS|FAIL)")   # name, shape, examined, result
    for readme_line, printed_line in zip(shown, printed):
        if row.fullmatch(readme_line):
            assert row.fullmatch(readme_line).groups() == row.fullmatch(printed_line).groups()
        else:
            assert readme_line.split("; max rel err")[0] == printed_line.split("; max rel err")[0]
