"""The ``stripe_node`` fixture: the pinned stripe-node, installed at most once per lock file."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
from node_sdk import (
    MANIFESTS,
    MIN_NODE_MAJOR,
    StripeNode,
    install,
    node_major,
    pinned_version,
    unavailable,
)


@pytest.fixture(scope="session")
def stripe_node(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> StripeNode:
    """The pinned stripe-node, installed by ``npm ci`` at most once per lock file."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        unavailable("Node.js and npm are not installed (the stripe-node check needs both)")
    major = node_major(node)
    if major < MIN_NODE_MAJOR:
        unavailable(f"stripe-node {pinned_version()} needs Node.js {MIN_NODE_MAJOR}+, not {major}")
    digest = hashlib.sha256(b"".join(m.read_bytes() for m in MANIFESTS)).hexdigest()[:16]
    cache = getattr(request.config, "cache", None)
    root = cache.mkdir("stripe-node") if cache is not None else tmp_path_factory.mktemp("npm")
    target = Path(root) / digest
    if not target.is_dir():
        install(npm, target)
    installed = json.loads((target / "node_modules" / "stripe" / "package.json").read_text())
    assert installed["version"] == pinned_version(), f"stale install in {target}"
    return StripeNode(node, target / "node_modules")
