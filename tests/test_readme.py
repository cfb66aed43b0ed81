"""The README's code examples run as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).parent.parent / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.DOTALL)
BUILDER_BLOCKS = [block for block in BLOCKS if "SessionBuilder" in block]


def test_readme_has_a_builder_example() -> None:
    """The README shows the session builder."""
    assert BUILDER_BLOCKS


@pytest.mark.parametrize("block", BUILDER_BLOCKS)
def test_readme_builder_example_runs(block: str) -> None:
    """Each README example using the builder runs; the T-shirt one builds 2000 cents."""
    namespace: dict[str, object] = {"__name__": "readme_example"}
    exec(compile(block, str(README), "exec"), namespace)  # noqa: S102 - our own README
    if 'name="T-shirt"' in block:
        params = namespace["params"]
        assert isinstance(params, dict)
        assert params["line_items"][0]["price_data"]["unit_amount"] == 2000
