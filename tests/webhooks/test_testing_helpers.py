"""checkoutkit.testing: signing helpers, request helper, and the pytest plugin's fixtures."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from importlib.metadata import entry_points
from pathlib import Path

import checkoutkit
from checkoutkit import Event, EventStatus, MemoryStore, WebhookRouter, verify_signature
from checkoutkit import testing as ck_testing


def test_signed_request_is_ready_for_the_router() -> None:
    """``signed_request`` returns bytes and headers the router accepts."""
    router = WebhookRouter(secrets=ck_testing.TEST_SECRET, store=MemoryStore())
    seen: list[Event] = []
    router.on("checkout.session.completed")(seen.append)
    body, headers = ck_testing.signed_request(ck_testing.completed())
    assert isinstance(body, bytes)
    assert router.handle(body, headers).status == 200
    assert len(seen) == 1


def test_sign_payload_with_several_secrets_adds_one_v1_each() -> None:
    """Signing with two secrets yields two ``v1`` entries, as Stripe sends during rotation."""
    header = ck_testing.sign_payload(b"{}", ["whsec_a", "whsec_b"], 1_800_000_000)
    assert header.count("v1=") == 2
    result = verify_signature(b"{}", header, {"b": "whsec_b"}, now=1_800_000_000)
    assert result.secret_name == "b"


def test_fixtures_give_a_secret_a_signer_and_a_router(
    webhook_secret: str,
    sign_webhook: Callable[..., str],
    webhook_router: WebhookRouter,
    webhook_store: MemoryStore,
) -> None:
    """The plugin's fixtures fit together: sign with the secret, the router records the event."""
    assert webhook_secret.startswith("whsec_")
    webhook_router.on("checkout.session.*")(lambda event: None)
    body = ck_testing.expired()
    response = webhook_router.handle(body, {"Stripe-Signature": sign_webhook(body)})
    assert response.status == 200
    [record] = webhook_store.records()
    assert (record.type, record.status) == ("checkout.session.expired", EventStatus.SUCCEEDED)


def test_importing_testing_does_not_import_pytest() -> None:
    """``checkoutkit.testing`` is usable at runtime (e.g. by the sandbox) without pytest."""
    code = "import sys, checkoutkit.testing; print('pytest' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == ["False"]


def test_the_documented_pytest_example_passes(tmp_path: Path) -> None:
    """The example test on the webhooks docs page passes under pytest with the plugin."""
    example = Path(__file__).resolve().parents[2] / "docs" / "examples" / "test_webhooks_example.py"
    target = tmp_path / "test_example.py"
    target.write_bytes(example.read_bytes())
    installed = any(ep.value == "checkoutkit.testing" for ep in entry_points(group="pytest11"))
    plugin = [] if installed else ["-p", "checkoutkit.testing"]
    package_root = str(Path(checkoutkit.__file__).resolve().parents[1])
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([package_root, os.environ.get("PYTHONPATH", "")]),
    }
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *plugin, str(target)],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
        env=env,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout
