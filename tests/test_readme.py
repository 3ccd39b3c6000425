"""The README keeps its two commands first, and its screenshots and doc links resolve."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def test_the_two_commands_come_first():
    first_block = README.split("```sh\n", 1)[1].split("```", 1)[0].splitlines()
    assert [line.split("#")[0].strip() for line in first_block] == ["make run", "make test"]
    assert README.index("```sh") < README.index("## ")


def test_every_screenshot_in_the_readme_exists_and_comes_from_a_journey():
    shown = set(re.findall(r"docs/screenshots/([\w.-]+\.png)", README))
    script = (ROOT / "scripts" / "readme-screenshots.sh").read_text()
    copied = set(re.findall(r'^\s+"([\w.-]+\.png)\s+[\w.-]+\.png"$', script, re.M))
    assert shown and shown == copied
    for name in shown:
        assert (ROOT / "docs" / "screenshots" / name).stat().st_size > 0


def test_the_docs_it_links_exist():
    for path in re.findall(r"\]\((docs/[\w.-]+\.md)\)", README):
        assert (ROOT / path).exists(), path
