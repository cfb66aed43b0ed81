"""The examples on "The Gateway" docs page run against the sandbox and print what they show."""

from __future__ import annotations

import doctest
import re
from pathlib import Path

DOCS = Path(__file__).parents[2] / "docs"


def test_doctest_blocks_of_the_gateway_page() -> None:
    """Every ``{doctest}`` block of docs/gateway.md passes, the blocks sharing one namespace."""
    text = (DOCS / "gateway.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```\{doctest\}\n(.*?)```", text, flags=re.DOTALL)
    assert len(blocks) >= 5
    parser = doctest.DocTestParser()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    globs: dict[str, object] = {}
    for i, block in enumerate(blocks):
        test = parser.get_doctest(block, globs, f"gateway.md[{i}]", "gateway.md", 0)
        runner.run(test, clear_globs=False)
        globs.update(test.globs)
    assert runner.tries > 20
    assert runner.failures == 0
