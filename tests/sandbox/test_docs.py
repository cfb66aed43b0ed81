"""The examples on the "Testing and the sandbox" docs page run and print what they show."""

from __future__ import annotations

import doctest
import importlib.util
import re
from pathlib import Path

from checkoutkit.sandbox import Sandbox

DOCS = Path(__file__).parents[2] / "docs"


def test_doctest_blocks_of_the_testing_page() -> None:
    """Every ``{doctest}`` block of docs/testing.md passes."""
    text = (DOCS / "testing.md").read_text()
    blocks = re.findall(r"```\{doctest\}\n(.*?)```", text, flags=re.DOTALL)
    assert blocks
    parser = doctest.DocTestParser()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    globs: dict[str, object] = {}
    for i, block in enumerate(blocks):
        test = parser.get_doctest(block, globs, f"testing.md[{i}]", "testing.md", 0)
        runner.run(test, clear_globs=False)
        globs.update(test.globs)  # blocks of one page share names, as in sphinx's doctest
    assert runner.failures == 0


def test_the_fixture_example_file() -> None:
    """docs/examples/test_checkout_flow.py passes against a sandbox."""
    spec = importlib.util.spec_from_file_location(
        "docs_example_checkout_flow", DOCS / "examples" / "test_checkout_flow.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with Sandbox(retry_scale=0.001) as sandbox:
        module.test_paid_checkout(sandbox)
