"""Templates follow the layers of the code (pyproject.toml's import contracts): a template of
an app loads template tags of its own app or of apps below it, never of an app above it or
beside it. A page of an app below shows an upper app's panel through leads/panels.py."""

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOAD = re.compile(r"{%\s*load\s+(.+?)\s*%}")


def _layers() -> dict[str, int]:
    """Each app's layer, 0 at the bottom, from the "layers" contract."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    (contract,) = [c for c in config["contracts"] if c["id"] == "layers"]
    ranks = {}
    for rank, layer in enumerate(reversed(contract["layers"])):
        for app in re.split(r"[:|]", layer):
            ranks[app.strip()] = rank
    return ranks


def _libraries() -> dict[str, str]:
    """Each of the project's template tag libraries and the app it belongs to."""
    return {
        module.stem: module.parent.parent.name
        for app in _layers()
        for module in (ROOT / app / "templatetags").glob("*.py")
        if module.stem != "__init__"
    }


def _loaded(source: str) -> list[str]:
    names = []
    for match in LOAD.finditer(source):
        parts = match.group(1).split()
        names += parts[parts.index("from") + 1 :] if "from" in parts else parts
    return names


def layer_problems(app: str, name: str, source: str) -> list[str]:
    """What ``source`` (a template of ``app``) loads against the layers."""
    ranks, libraries = _layers(), _libraries()
    problems = []
    for library in _loaded(source):
        owner = libraries.get(library)
        if owner is None or owner == app:
            continue  # Django's or a third party's, or the app's own
        if ranks[owner] >= ranks[app]:
            problems.append(f"{name} ({app}) loads {library} of {owner}, not below {app}")
    return problems


def _templates():
    for path in sorted((ROOT / "templates").rglob("*.html")):
        rel = path.relative_to(ROOT / "templates")
        app = rel.parts[0] if len(rel.parts) > 1 else "sdrcrm"  # base.html and the like
        yield app, str(rel), path.read_text()


def test_every_template_directory_is_an_app_in_the_layers():
    ranks = _layers()
    assert sorted({app for app, _, _ in _templates()} - set(ranks)) == []


def test_templates_load_tags_of_their_app_or_of_apps_below_only():
    problems = [p for app, name, source in _templates() for p in layer_problems(app, name, source)]
    assert problems == []


def test_the_check_finds_a_tag_of_an_app_above_or_beside():
    assert layer_problems("leads", "x.html", "{% load humanize leads_extras %}") == []
    assert layer_problems("qualification", "x.html", "{% load leads_extras %}") == []
    assert layer_problems("leads", "x.html", "{% load static cadence_tags %}") == [
        "x.html (leads) loads cadence_tags of cadences, not below leads"
    ]
    source = "{% load score_card from qualification_tags %}"
    assert layer_problems("cadences", "x.html", source) == [
        "x.html (cadences) loads qualification_tags of qualification, not below cadences"
    ]
