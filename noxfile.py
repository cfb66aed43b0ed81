"""Developer and CI sessions: ``nox`` runs what CI runs; ``nox -s demo`` starts the demo shop."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import nox

ROOT = Path(__file__).parent
PYPROJECT = nox.project.load_toml("pyproject.toml")
PYTHONS = nox.project.python_versions(PYPROJECT)
NEWEST = PYTHONS[-1]

nox.needs_version = ">=2024.10.9"
nox.options.default_venv_backend = "uv|virtualenv"
nox.options.reuse_venv = "yes"
nox.options.sessions = ["tests", "core", "lint", "typecheck", "docs", "build"]
nox.options.error_on_missing_interpreters = bool(os.environ.get("CI"))

# uv must use the interpreters on this machine, never download its own.
os.environ.setdefault("UV_PYTHON_PREFERENCE", "only-system")
os.environ.setdefault("UV_PYTHON_DOWNLOADS", "never")


def _expose_pyenv_pythons() -> None:
    """Make pyenv's ``python3.X`` shims answer for every installed supported version.

    pyenv's shim exports PYENV_VERSION as the one version running nox, which hides the others.
    """
    if not shutil.which("pyenv"):
        return
    installed = subprocess.run(
        ["pyenv", "versions", "--bare"], capture_output=True, text=True, check=False
    ).stdout.split()
    current = [v for v in os.environ.get("PYENV_VERSION", "").split(":") if v]
    wanted = [v for v in installed if any(v.startswith(p + ".") for p in PYTHONS)]
    os.environ["PYENV_VERSION"] = ":".join(dict.fromkeys(current + wanted))


_expose_pyenv_pythons()


def _install_project(session: nox.Session, extras: str = "all") -> None:
    """Install checkoutkit with ``extras``: the wheel named by CHECKOUTKIT_WHEEL, else the tree."""
    wheel = os.environ.get("CHECKOUTKIT_WHEEL")
    target = f"{wheel}[{extras}]" if wheel else f"-e.[{extras}]"
    session.install(target, *nox.project.dependency_groups(PYPROJECT, "tests"))
    if wheel:
        # A reused venv may hold an editable install or an older wheel of the same version.
        session.install("--no-deps", "--force-reinstall", wheel)


def _built_wheel(session: nox.Session) -> str:
    """Return the wheel to test: CHECKOUTKIT_WHEEL if set, else one built once per nox run."""
    wheel = os.environ.get("CHECKOUTKIT_WHEEL")
    if wheel:
        os.environ["CHECKOUTKIT_WHEEL"] = str(Path(wheel).resolve())
        return os.environ["CHECKOUTKIT_WHEEL"]
    outdir = ROOT / ".nox" / "_wheel"
    shutil.rmtree(outdir, ignore_errors=True)
    session.install("build[uv]")  # --installer uv needs uv in the venv
    session.run("python", "-m", "build", "--wheel", "--installer", "uv", "--outdir", str(outdir))
    (built,) = outdir.glob("checkoutkit-*.whl")
    os.environ["CHECKOUTKIT_WHEEL"] = str(built)  # the other tests sessions of this run reuse it
    return str(built)


#: What the older supported Pythons leave to the newest (see ``tests``).
OLDER_PYTHONS_SKIP = "not slow and not browser and not services and not processes"


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    """Run the test suite against the built wheel (with every extra), never against src/.

    The wheel is built once per ``nox`` run (or taken from CHECKOUTKIT_WHEEL), so a file missing
    from it fails the tests. ``nox -s dev`` runs the suite against the source tree instead.

    Tests marked ``slow`` (real servers stopped, killed and restarted; 100 MB bodies; timeouts
    waited out), ``browser`` (real Chromium), ``services`` (PostgreSQL and Redis servers) or
    ``processes`` (gunicorn, uvicorn, the demo, the CLI and Node run as processes of their own)
    run on the newest Python only: they prove what servers, drivers, the network, the browser
    and other processes do, which no Python version changes, and on every version they would
    take CI past its budget. Everything else runs on every supported Python; property tests
    try a quarter of their examples on the older ones (see ``tests/budget.py``). Pass ``-m …``
    to choose yourself.
    """
    wheel = _built_wheel(session)
    _install_project(session)
    env = {"COVERAGE_CORE": "sysmon", "CHECKOUTKIT_TESTING_WHEEL": wheel}
    marker: list[str] = []
    if session.python != NEWEST:
        env["CHECKOUTKIT_EXAMPLES_SCALE"] = "0.25"
        if "-m" not in session.posargs:
            marker = ["-m", OLDER_PYTHONS_SKIP]
    session.run("pytest", *marker, *session.posargs, env=env)


#: What ``core`` runs: the tests that need no extra (no framework, database driver, HTTP client
#: or the sandbox's server stack). Their store cases for PostgreSQL and Redis skip, with the
#: reason, in that session only; everything else must pass on the core install alone.
CORE_TESTS = ["tests/webhooks", "tests/checkout", "tests/stores"]
CORE_TOP_LEVEL_EXCLUDED = {"test_docstrings.py"}  # documents the adapters and the sandbox too
CORE_IGNORED = [
    "tests/stores/test_postgres_store.py",
    "tests/stores/test_postgres_outages.py",
    "tests/stores/test_redis_store.py",
    "tests/stores/test_redis_outages.py",
    "tests/stores/test_fulfil_across_instances.py",  # serves the shop with FastAPI and Flask
    "tests/stores/test_sqlalchemy_store.py",
    "tests/stores/test_django_store.py",  # Django's ORM, and its admin
    "tests/stores/test_django_admin.py",
    "tests/stores/test_django_checkout.py",
    "tests/stores/test_django_replay.py",
    "tests/stores/test_django_shop_served.py",
    "tests/stores/test_transactional_examples.py",  # SQLAlchemy and Django examples
    "tests/webhooks/test_subscription_views.py",  # paid through the sandbox
]
#: The only test tools ``core`` installs: the rest of the tests group would bring httpx and
#: uvicorn, which are extras of checkoutkit too.
CORE_TEST_TOOLS = ("pytest", "hypothesis")


@nox.session(python=NEWEST)
def core(session: nox.Session) -> None:
    """Run the tests that need no extra against the wheel installed without extras.

    An import of an optional dependency from the core (or from a store that needs none) fails
    here, where the ``tests`` sessions, which install every extra, cannot see it.
    """
    wheel = _built_wheel(session)
    tools = [
        spec
        for spec in nox.project.dependency_groups(PYPROJECT, "tests")
        if spec.split(">")[0].split("=")[0].split(";")[0].strip() in CORE_TEST_TOOLS
    ]
    session.install(wheel, *tools)
    session.install("--no-deps", "--force-reinstall", wheel)  # a reused venv may hold another
    top_level = sorted(
        str(path.relative_to(ROOT))
        for path in (ROOT / "tests").glob("test_*.py")
        if path.name not in CORE_TOP_LEVEL_EXCLUDED
    )
    session.run(
        "pytest",
        *CORE_TESTS,
        *top_level,
        *(f"--ignore={path}" for path in CORE_IGNORED),
        *session.posargs,
        env={
            "COVERAGE_CORE": "sysmon",
            "CHECKOUTKIT_TESTING_WHEEL": wheel,
            "CHECKOUTKIT_CORE_ONLY": "1",
            # This session is about what imports without extras; the property tests' long
            # searches run in the newest tests session.
            "CHECKOUTKIT_EXAMPLES_SCALE": "0.25",
        },
    )


@nox.session(python=NEWEST)
def dev(session: nox.Session) -> None:
    """Run the test suite against an editable install of the source tree (quick iteration)."""
    session.install("-e.[all]", *nox.project.dependency_groups(PYPROJECT, "tests"))
    session.run("pytest", *session.posargs, env={"COVERAGE_CORE": "sysmon"})


@nox.session(python=NEWEST)
def lint(session: nox.Session) -> None:
    """Ruff lint and format check."""
    session.install(*nox.project.dependency_groups(PYPROJECT, "lint"))
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session(python=PYTHONS[0])
def typecheck(session: nox.Session) -> None:
    """mypy --strict over src/ and typing_tests/."""
    session.install("-e.[all]", *nox.project.dependency_groups(PYPROJECT, "typing"))
    session.run("mypy", "--strict", "src", "typing_tests")


@nox.session(python=NEWEST)
def docs(session: nox.Session) -> None:
    """Build the docs with warnings as errors and run their code examples."""
    session.install("-e.[all]", *nox.project.dependency_groups(PYPROJECT, "docs", "tests"))
    for builder in ("html", "doctest"):
        session.run(
            "sphinx-build", "-W", "--keep-going", "-b", builder, "docs", f"docs/_build/{builder}"
        )


@nox.session(python=NEWEST)
def bench(session: nox.Session) -> None:
    """Print benchmark ratios against floors measured in the same run."""
    session.install("-e.[all]", *nox.project.dependency_groups(PYPROJECT, "tests", "bench"))
    session.run("python", "benchmarks/run.py", *session.posargs)


@nox.session(python=NEWEST)
def build(session: nox.Session) -> None:
    """Build the sdist, then the wheel from it (as pip would), into dist/."""
    session.install("build[uv]")  # --installer uv needs uv in the venv
    shutil.rmtree(ROOT / "dist", ignore_errors=True)
    session.run("python", "-m", "build", "--installer", "uv", "--outdir", "dist")


def demo_python(running: str, which: Callable[[str], str | None] = shutil.which) -> str | None:
    """The Python ``nox -s demo`` runs on: nox's own if checkoutkit supports it (None, which nox
    takes for the interpreter running it), else the newest supported ``python3.X`` on PATH.

    None for an unsupported Python with no supported one found too: the session then fails with
    :func:`demo_python_missing`, never skipped (a skipped session exits 0 having done nothing).
    """
    if running in PYTHONS:
        return None
    return next((v for v in reversed(PYTHONS) if which(f"python{v}")), None)


def demo_python_missing(running: str) -> str | None:
    """Why the demo cannot run on Python ``running``, or None when it can."""
    if running in PYTHONS:
        return None
    return (
        f"checkoutkit needs Python {PYTHONS[0]} to {PYTHONS[-1]}: nox runs on Python {running} "
        f"and none of {', '.join(f'python{v}' for v in PYTHONS)} is on PATH. Install one "
        "(e.g. apt install python3 on Debian 12, or pyenv) and run nox with it."
    )


_RUNNING = "{}.{}".format(*sys.version_info[:2])


@nox.session(python=demo_python(_RUNNING))
def demo(session: nox.Session) -> None:
    """Run the demo shop on the sandbox (``nox -s demo -- --framework fastapi --port 8000``).

    Runs on the Python running nox when checkoutkit supports it, else on the newest supported
    one found; fails (never skips) when there is none.
    """
    if session.python is None and (problem := demo_python_missing(_RUNNING)):
        session.error(problem)
    session.install("-e.[sandbox,flask,fastapi,django,litestar]")
    session.run("checkoutkit", "demo", *session.posargs)
