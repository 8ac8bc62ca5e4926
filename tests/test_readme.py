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
