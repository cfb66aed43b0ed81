"""The package's shape: imports run one way between layers, no import cycles, no huge files.

The import graph is read from the source with :mod:`ast` (nothing is imported), so a test of
the installed wheel checks the same tree. Every ``import`` statement counts: at module level
and inside functions. Imports under ``if TYPE_CHECKING:`` count for the layers (a type the core
names from the sandbox is still a dependency on it) but not for cycles (they never run, so they
cannot form an import cycle; mypy checks them).

``from package import name`` is an edge to ``package.name`` when that is a module, else to
``package`` itself. Importing a submodule also runs its parents' ``__init__``; that implied edge
is not drawn, so a package ``__init__`` that re-exports from its own submodules is no cycle.
"""

from __future__ import annotations

import ast
import fnmatch
from collections.abc import Iterator, Mapping
from pathlib import Path

import attrs
import pytest

import checkoutkit

PACKAGE = "checkoutkit"
SOURCE = Path(checkoutkit.__file__).parent

#: Each layer and the modules in it (fnmatch patterns; the first layer that matches wins).
#: Anything not listed is ``core``.
LAYERS: dict[str, tuple[str, ...]] = {
    "foundation": ("checkoutkit.exceptions", "checkoutkit._problems"),
    "stores": ("checkoutkit.stores", "checkoutkit.stores.*"),
    "sandbox": ("checkoutkit.sandbox", "checkoutkit.sandbox.*"),
    # checkoutkit._endpoints: the contract's old private path, a deprecated alias until 0.3.
    "adapters": ("checkoutkit.adapters", "checkoutkit.adapters.*", "checkoutkit._endpoints"),
    "testing": ("checkoutkit.testing", "checkoutkit._pytest_fixtures"),
    "demo": ("checkoutkit._demo", "checkoutkit._demo.*"),
    "cli": (
        "checkoutkit._cli",
        "checkoutkit.__main__",
        "checkoutkit._replay",
        "checkoutkit._trigger",
        "checkoutkit._listen",
        "checkoutkit._forward",
    ),
}
CORE = "core"

#: The layers each layer may import (besides itself). The core — builder, rules, gateway,
#: router, Checkout, signatures, the ``checkoutkit`` namespace — sits on the stores' protocol
#: and never reaches up to the sandbox, the adapters, the test helpers, the demo or the CLI.
MAY_IMPORT: dict[str, frozenset[str]] = {
    "foundation": frozenset(),
    "stores": frozenset({"foundation"}),
    CORE: frozenset({"foundation", "stores"}),
    "sandbox": frozenset({"foundation", CORE}),
    "adapters": frozenset({"foundation", CORE}),
    "testing": frozenset({"foundation", "stores", CORE, "sandbox"}),
    "demo": frozenset({"foundation", "stores", CORE, "sandbox", "adapters"}),
    # The CLI's trigger sends the test helpers' Checkout events.
    "cli": frozenset({"foundation", "stores", CORE, "sandbox", "demo", "testing"}),
}

#: Type-only imports (under ``if TYPE_CHECKING:``) allowed against the layers, with the reason.
#: A runtime import along the same edge still fails.
TYPE_ONLY_EXCEPTIONS: dict[tuple[str, str], str] = {
    ("checkoutkit._gateway", "checkoutkit.sandbox"): (
        "CheckoutGateway.for_sandbox() annotates its parameter with Sandbox; nothing runs"
    ),
}

MAX_LINES = 600

#: Files allowed over MAX_LINES for now, each with the reason. Temporary: the test fails once
#: an exception is no longer needed, so that it is removed.
OVERSIZED_EXCEPTIONS: dict[str, str] = {}


@attrs.frozen
class Edge:
    """``importer`` imports ``imported`` at ``line``; ``typing_only`` under TYPE_CHECKING."""

    importer: str
    imported: str
    line: int
    typing_only: bool


def modules(root: Path, package: str) -> dict[str, Path]:
    """Every module of the package under ``root`` (the folder that holds ``package``)."""
    found = {}
    for path in sorted((root / package).rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST, typing_only: bool = False) -> Iterator[tuple[ast.stmt, bool]]:
    """Every import statement under ``tree``, and whether it sits under ``if TYPE_CHECKING``."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node, typing_only
        elif isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.body:
                yield from _imports(ast.Module(body=[child], type_ignores=[]), True)
            for child in node.orelse:
                yield from _imports(ast.Module(body=[child], type_ignores=[]), typing_only)
        else:
            yield from _imports(node, typing_only)


def _owner(name: str, known: Mapping[str, Path]) -> str | None:
    """The longest prefix of dotted ``name`` that is a module of the package."""
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in known:
            return candidate
    return None


def import_graph(root: Path, package: str) -> list[Edge]:
    """The imports between the package's own modules."""
    known = modules(root, package)
    edges = []
    for module, path in known.items():
        is_package = path.name == "__init__.py"
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node, typing_only in _imports(tree):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                assert isinstance(node, ast.ImportFrom)
                base = node.module or ""
                if node.level:
                    anchor = module.split(".")
                    anchor = anchor[: len(anchor) - node.level + (1 if is_package else 0)]
                    base = ".".join([*anchor, base] if base else anchor)
                for alias in node.names:
                    submodule = f"{base}.{alias.name}"
                    targets.append(submodule if submodule in known else base)
            for target in targets:
                owner = _owner(target, known)
                if owner is not None and owner != module:
                    edges.append(Edge(module, owner, node.lineno, typing_only))
    return edges


def layer_of(module: str) -> str:
    """The layer ``module`` belongs to."""
    for layer, patterns in LAYERS.items():
        if any(fnmatch.fnmatchcase(module, pattern) for pattern in patterns):
            return layer
    return CORE


def backwards_imports(edges: list[Edge]) -> list[str]:
    """Imports that go against :data:`MAY_IMPORT`, as readable lines."""
    wrong = []
    for edge in edges:
        source, target = layer_of(edge.importer), layer_of(edge.imported)
        if source == target or target in MAY_IMPORT[source]:
            continue
        if edge.typing_only and (edge.importer, edge.imported) in TYPE_ONLY_EXCEPTIONS:
            continue
        kind = "type-only import" if edge.typing_only else "import"
        wrong.append(
            f"{edge.importer} ({source}) line {edge.line}: {kind} of {edge.imported} ({target})"
        )
    return wrong


def import_cycles(edges: list[Edge]) -> list[list[str]]:
    """Groups of modules that import each other at run time (Tarjan's strongly connected sets)."""
    graph: dict[str, set[str]] = {}
    for edge in edges:
        if not edge.typing_only:
            graph.setdefault(edge.importer, set()).add(edge.imported)
            graph.setdefault(edge.imported, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for succ in sorted(graph[node]):
            if succ not in index:
                visit(succ)
                low[node] = min(low[node], low[succ])
            elif succ in on_stack:
                low[node] = min(low[node], index[succ])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def oversized(root: Path, package: str, exceptions: Mapping[str, str]) -> list[str]:
    """Files over :data:`MAX_LINES` not excepted, and exceptions no longer needed."""
    problems = []
    base = root / package
    for path in sorted(base.rglob("*.py")):
        name = path.relative_to(base).as_posix()
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_LINES and name not in exceptions:
            problems.append(f"{name} has {lines} lines (at most {MAX_LINES})")
        elif lines <= MAX_LINES and name in exceptions:
            problems.append(f"{name} has {lines} lines now: remove its exception")
    problems += [
        f"{name} is excepted but does not exist: remove its exception"
        for name in exceptions
        if not (base / name).is_file()
    ]
    return problems


# -- the package -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def edges() -> list[Edge]:
    """The import graph of the installed package."""
    return import_graph(SOURCE.parent, PACKAGE)


def test_the_graph_is_read(edges: list[Edge]) -> None:
    """The reader finds known imports of each kind (else the other tests would prove nothing)."""
    found = {(e.importer, e.imported, e.typing_only) for e in edges}
    assert ("checkoutkit._router", "checkoutkit._signature", False) in found
    assert ("checkoutkit._cli", "checkoutkit.sandbox", False) in found  # inside a function
    assert ("checkoutkit._gateway", "checkoutkit.sandbox", True) in found  # TYPE_CHECKING
    assert ("checkoutkit.sandbox._api", "checkoutkit.sandbox._pages", False) in found


def test_every_layer_is_named_and_every_module_has_one() -> None:
    """The layer table and the permission table agree, and no layer is empty."""
    assert set(MAY_IMPORT) == {*LAYERS, CORE}
    for allowed in MAY_IMPORT.values():
        assert allowed <= set(MAY_IMPORT)
    used = {layer_of(module) for module in modules(SOURCE.parent, PACKAGE)}
    assert used == set(MAY_IMPORT)


def test_imports_run_one_way(edges: list[Edge]) -> None:
    """No module imports a layer it may not (the core never imports sandbox, adapters, …)."""
    assert backwards_imports(edges) == []


def test_type_only_exceptions_are_still_needed(edges: list[Edge]) -> None:
    """Each allowed type-only import exists and is type-only; remove an exception once it is not."""
    typing_only = {(e.importer, e.imported) for e in edges if e.typing_only}
    for pair in TYPE_ONLY_EXCEPTIONS:
        assert pair in typing_only, pair


def test_no_import_cycles(edges: list[Edge]) -> None:
    """No set of modules imports each other at run time (module level or in functions)."""
    assert import_cycles(edges) == []


def test_no_huge_source_files() -> None:
    """Every source file has at most MAX_LINES lines, bar the listed temporary exceptions."""
    assert oversized(SOURCE.parent, PACKAGE, OVERSIZED_EXCEPTIONS) == []


# -- the checks can fail -----------------------------------------------------------------------


def _tree(root: Path, files: Mapping[str, str]) -> Path:
    for name, text in {"checkoutkit/__init__.py": "", **files}.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def test_a_planted_backwards_import_fails(tmp_path: Path) -> None:
    """The core importing the sandbox in a function, or the stores the core, is reported."""
    root = _tree(
        tmp_path,
        {
            "checkoutkit/sandbox/__init__.py": "from checkoutkit._router import Router\n",
            "checkoutkit/_router.py": (
                "class Router:\n"
                "    def send(self):\n"
                "        from checkoutkit.sandbox import Sandbox\n"
            ),
            "checkoutkit/stores/__init__.py": "",
            "checkoutkit/stores/memory.py": "from .. import _router\n",
        },
    )
    wrong = backwards_imports(import_graph(root, PACKAGE))
    assert wrong == [
        "checkoutkit._router (core) line 3: import of checkoutkit.sandbox (sandbox)",
        "checkoutkit.stores.memory (stores) line 1: import of checkoutkit._router (core)",
    ]


def test_a_planted_type_only_import_fails_unless_excepted(tmp_path: Path) -> None:
    """A TYPE_CHECKING import against the layers fails too, unless it is a listed exception."""
    guarded = "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import checkoutkit.{}\n"
    root = _tree(
        tmp_path,
        {
            "checkoutkit/sandbox/__init__.py": "",
            "checkoutkit/adapters/__init__.py": "",
            "checkoutkit/_gateway.py": guarded.format("sandbox"),
            "checkoutkit/_checkout.py": guarded.format("adapters"),
        },
    )
    wrong = backwards_imports(import_graph(root, PACKAGE))
    assert wrong == [
        "checkoutkit._checkout (core) line 3: type-only import of checkoutkit.adapters (adapters)"
    ]


def test_a_planted_cycle_fails(tmp_path: Path) -> None:
    """A run-time cycle through a function-level import is found; a TYPE_CHECKING one is not."""
    root = _tree(
        tmp_path,
        {
            "checkoutkit/_a.py": "from checkoutkit import _b\n",
            "checkoutkit/_b.py": "def f():\n    from checkoutkit._c import g\n",
            "checkoutkit/_c.py": "import checkoutkit._a\ndef g(): ...\n",
            "checkoutkit/_d.py": "from typing import TYPE_CHECKING\n"
            "if TYPE_CHECKING:\n    from checkoutkit._e import E\n",
            "checkoutkit/_e.py": "from checkoutkit._d import D\nclass E: ...\n",
        },
    )
    assert import_cycles(import_graph(root, PACKAGE)) == [
        ["checkoutkit._a", "checkoutkit._b", "checkoutkit._c"]
    ]


def test_a_planted_huge_file_fails(tmp_path: Path) -> None:
    """A file over the limit fails; so does an exception for a file that no longer needs it."""
    root = _tree(
        tmp_path,
        {
            "checkoutkit/_big.py": "x = 1\n" * (MAX_LINES + 1),
            "checkoutkit/_small.py": "x = 1\n" * MAX_LINES,
        },
    )
    assert oversized(root, PACKAGE, {"_small.py": "split", "_gone.py": "split"}) == [
        f"_big.py has {MAX_LINES + 1} lines (at most {MAX_LINES})",
        f"_small.py has {MAX_LINES} lines now: remove its exception",
        "_gone.py is excepted but does not exist: remove its exception",
    ]
