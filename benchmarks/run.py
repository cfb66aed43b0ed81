"""Run every ``benchmarks/bench_*.py`` module's ``run()`` and print one table.

``python benchmarks/run.py [name ...]`` runs only the modules whose name contains one of the
given words.
"""

from __future__ import annotations

import importlib.util
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent


def main(argv: list[str]) -> int:
    """Run the selected benchmark modules and print their rows."""
    modules = sorted(HERE.glob("bench_*.py"))
    if argv:
        modules = [m for m in modules if any(word in m.stem for word in argv)]
    rows: list[tuple[str, str, str]] = []
    for path in modules:
        spec = importlib.util.spec_from_file_location(path.stem, path)
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        started = time.perf_counter()
        results = module.run()
        elapsed = time.perf_counter() - started
        rows += [(path.stem, label, figure) for label, figure in results]
        rows.append((path.stem, "(time to run this module)", f"{elapsed:.1f} s"))
    width = max((len(label) for _, label, _ in rows), default=10)
    for name, label, figure in rows:
        print(f"{name:20} {label:{width}}  {figure}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
