"""The pages a newcomer reads first say what works today.

- Every code block marked ``<!-- docs/examples/NAME.py: … -->`` is that file, byte for byte, so
  the code shown inline (readable on the repository host and in the built site) is the code the
  tests import and run.
- Every page that shows the index install (``pip install 'checkoutkit[…]'``) also shows the install
  from a clone that works before the release, with the same extras.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PAGES = sorted([ROOT / "README.md", *DOCS.glob("*.md")])
MARKED = re.compile(
    r"<!-- (docs/examples/[\w.]+\.py): [^\n]*-->\n```python\n(.*?)^```$", re.M | re.S
)
INDEX_INSTALL = re.compile(r"pip install\s+'checkoutkit\[([\w,]+)\]'")
CLONE_INSTALL = re.compile(r"pip install '\.\[([\w,]+)\]'")
QUICKSTARTS = ["flask", "fastapi", "django", "litestar"]


def _marked_blocks() -> list[tuple[str, str, str]]:
    return [
        (page.name, name, code)
        for page in PAGES
        for name, code in MARKED.findall(page.read_text(encoding="utf-8"))
    ]


def test_every_quickstart_shows_its_app_and_its_tests_inline() -> None:
    """Each quickstart page holds its app and its app's tests as marked blocks, no include."""
    shown = {(page, name) for page, name, _ in _marked_blocks()}
    for framework in QUICKSTARTS:
        page = f"quickstart-{framework}.md"
        assert (page, f"docs/examples/{framework}_app.py") in shown
        assert (page, f"docs/examples/test_{framework}_app.py") in shown
        assert "literalinclude" not in (DOCS / page).read_text(encoding="utf-8")


@pytest.mark.parametrize(("page", "name", "code"), _marked_blocks())
def test_inline_block_is_the_example_file_byte_for_byte(page: str, name: str, code: str) -> None:
    """The block on the page is the file under docs/examples (copy the file into the block)."""
    assert code == (ROOT / name).read_text(encoding="utf-8"), f"{page}: block differs from {name}"


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_index_installs_come_with_the_install_that_works_today(page: Path) -> None:
    """``pip install 'checkoutkit[x]'`` (not on PyPI yet) comes with ``pip install '.[x]'``."""
    text = page.read_text(encoding="utf-8")
    index = {extra for extras in INDEX_INSTALL.findall(text) for extra in extras.split(",")}
    clone = {extra for extras in CLONE_INSTALL.findall(text) for extra in extras.split(",")}
    assert index <= clone, f"{page.name}: no install from a clone for {sorted(index - clone)}"


def test_readme_wheel_install_names_the_version_nox_builds() -> None:
    """The README's wheel file name is the one ``nox -s build`` makes for this version."""
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    version = re.search(r'^version = "([^"]+)"$', pyproject, re.M).group(1)  # type: ignore[union-attr]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"pip install 'dist/checkoutkit-{version}-py3-none-any.whl[" in readme
