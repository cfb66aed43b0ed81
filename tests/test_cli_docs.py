"""The command-line docs page describes the options the ``checkoutkit`` command really has."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

PAGE = Path(__file__).parents[1] / "docs" / "cli.md"


def _help(*args: str) -> str:
    return subprocess.run(
        [sys.executable, "-m", "checkoutkit", *args, "--help"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


@pytest.mark.parametrize("command", ["sandbox", "replay", "trigger", "listen", "demo"])
def test_documented_options_match_the_help(command: str) -> None:
    """Each option of a subcommand is on the page, and each documented option exists."""
    text = PAGE.read_text(encoding="utf-8")
    section = text.split(f"## `checkoutkit {command}`", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^`(--[a-z-]+)", section, flags=re.MULTILINE))
    actual = set(re.findall(r"(--[a-z][a-z-]+)", _help(command))) - {"--help"}
    assert documented == actual


def test_python_dash_m_lists_the_subcommands() -> None:
    """``python -m checkoutkit --help`` works and lists every subcommand."""
    assert "{sandbox,replay,trigger,listen,demo}" in _help()
