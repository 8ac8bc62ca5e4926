"""The README's promises: its test command is what CI runs, every file it and the pages
under docs/ name exists, every page it links exists, and the output they show is what the
commands print."""
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
PAGES = {path.relative_to(ROOT).as_posix(): path.read_text()
         for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]}


def test_ci_runs_exactly_the_readme_test_command():
    test_command = next(line.strip() for line in README.splitlines() if "python -m pytest" in line)
    ci_lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert test_command in ci_lines


@pytest.mark.parametrize("page", sorted(PAGES))
def test_every_file_a_page_names_exists(page):
    text = PAGES[page]
    named = set(re.findall(r"`((?:minirnn|examples|benchmarks|tests)/[\w./]+?)`", text))
    named |= set(re.findall(r"`((?:minirnn|examples|benchmarks)/[\w./]+\.py)[ `]", text))
    missing = sorted(p for p in named if not (ROOT / p).exists())
    assert not missing, f"{page} names files that do not exist: {missing}"


@pytest.mark.parametrize("page", sorted(PAGES))
def test_every_link_of_a_page_leads_to_a_file(page):
    """Relative links (to a page or a picture) resolve from the page's own folder."""
    folder = (ROOT / page).parent
    links = [link.split("#")[0] for link in re.findall(r"\]\(([^)\s]+)\)", PAGES[page])
             if "://" not in link and not link.startswith("#")]
    missing = sorted(link for link in links if not (folder / link).exists())
    assert not missing, f"{page} links to files that do not exist: {missing}"


def test_the_readme_links_every_page_under_docs():
    unlinked = sorted(page for page in PAGES if page.startswith("docs/") and page not in README)
    assert not unlinked, f"pages the README does not link: {unlinked}"


def test_the_gradcheck_page_output_is_what_the_command_prints(capsys):
    """Every line but the round-off figures (which move with the BLAS and the backend)."""
    from minirnn.cli import main

    block = PAGES["docs/gradcheck.md"].split("$ python -m minirnn gradcheck lstm\n", 1)[1].split("\n\n", 2)
    shown = "\n\n".join(block[:2]).splitlines()
    shown = [line[4:] for line in shown]                       # the page indents by 4
    assert main(["gradcheck", "lstm"]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert len(shown) == len(printed)

    row = re.compile(r"(\S+) +(\(.*?\)) +(\d+/\d+) .* (PASS|FAIL)")   # name, shape, examined, result
    for readme_line, printed_line in zip(shown, printed):
        if row.fullmatch(readme_line):
            assert row.fullmatch(readme_line).groups() == row.fullmatch(printed_line).groups()
        else:
            assert readme_line.split("; max rel err")[0] == printed_line.split("; max rel err")[0]
