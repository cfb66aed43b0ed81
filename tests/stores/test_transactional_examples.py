"""The examples of docs/transactions.md, run as written: the order and the record of its
fulfilment commit together; a failing callback leaves neither, and the retry writes one."""

from __future__ import annotations

import importlib.util
import json
import sys
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import checkoutkit
from checkoutkit import FulfilmentError, FulfilOutcome, testing

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"
SECRET = "whsec_transactional_examples"


def _load(name: str) -> Any:
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # SQLAlchemy resolves the models' annotations through it
    spec.loader.exec_module(module)
    return module


def _paid(session_id: str) -> checkoutkit.CheckoutSession:
    """A paid session this shop created (it carries Checkout's origin marker)."""
    event = checkoutkit.Event.from_dict(
        json.loads(testing.completed(id=session_id, customer_email="ada@example.com"))
    )
    session = event.session
    assert session is not None
    return session


@pytest.fixture(autouse=True)
def _stripe_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STRIPE_SECRET_KEY", "sk_test_examples")


def test_sqlalchemy_example_commits_the_order_with_its_record(tmp_path: Path) -> None:
    import sqlalchemy as sa
    from sqlalchemy.orm import Session

    example = _load("transactional_sqlalchemy")
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'shop.db'}")
    store = example.create_store(engine)
    example.Base.metadata.create_all(engine)  # the orders table and the store's, as Alembic would
    checkout = example.create_checkout(store, secret=SECRET, base_url="https://shop.example")
    session = _paid("cs_test_sqlalchemy_example")

    failing = checkout.fulfil_callback

    def fail_after_writing(s: checkoutkit.CheckoutSession, db: Session) -> None:
        failing(s, db)
        db.flush()  # the order reached the database, in the open transaction
        raise RuntimeError("the mail server is down")

    checkout.fulfil_callback = fail_after_writing
    with pytest.raises(FulfilmentError):
        checkout.fulfil_session(session)
    with Session(engine) as db:
        assert db.scalars(sa.select(example.Order.session_id)).all() == []
    checkout.fulfil_callback = failing
    assert checkout.fulfil_session(session) is FulfilOutcome.FULFILLED
    assert checkout.fulfil_session(session) is FulfilOutcome.ALREADY_FULFILLED
    with Session(engine) as db:
        orders = db.scalars(sa.select(example.Order)).all()
    assert [(o.session_id, o.email) for o in orders] == [(session.id, "ada@example.com")]
    engine.dispose()


def test_sqlalchemy_example_handler_runs_in_the_transaction(tmp_path: Path) -> None:
    """``router.on(..., transactional=True)`` hands the handler the transaction's Session."""
    import sqlalchemy as sa

    example = _load("transactional_sqlalchemy")
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'shop.db'}")
    store = example.create_store(engine)
    example.Base.metadata.create_all(engine)
    checkout = example.create_checkout(store, secret=SECRET, base_url="https://shop.example")
    seen: list[Any] = []
    checkout.router.on("invoice.paid", transactional=True)(
        lambda event, db: seen.append((event.id, db.in_transaction()))
    )
    body = testing.checkout_event("invoice.paid", {"id": "in_1", "object": "invoice"})
    headers = {"Stripe-Signature": testing.sign_payload(body, SECRET)}
    assert checkout.router.handle(body, headers).status == 200
    assert checkout.router.handle(body, headers).body == b'{"received":true,"duplicate":true}'
    event_id = json.loads(body)["id"]
    assert seen == [(event_id, True)]
    record = store.get(event_id)
    assert record is not None
    assert record.status is checkoutkit.EventStatus.SUCCEEDED
    engine.dispose()


@pytest.fixture
def django_shop(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Django configured for the tests, the example's ``shop.models`` being the test shop's."""
    from django_project import configure_django, empty, migrated

    configure_django()
    from stores.django_shop import models

    shop = types.ModuleType("shop")
    monkeypatch.setitem(sys.modules, "shop", shop)
    monkeypatch.setitem(sys.modules, "shop.models", models)
    migrated("default")
    empty("default")
    yield models
    empty("default")


def test_django_example_commits_the_order_with_its_record(django_shop: Any) -> None:
    example = _load("transactional_django")
    checkout = example.create_checkout(secret=SECRET, base_url="https://shop.example")
    session = _paid("cs_test_django_example")

    def fail_after_writing(s: checkoutkit.CheckoutSession) -> None:
        example.fulfil(s)
        raise RuntimeError("the mail server is down")

    checkout.fulfil_callback = fail_after_writing
    with pytest.raises(FulfilmentError):
        checkout.fulfil_session(session)
    assert list(django_shop.Order.objects.values_list("session_id", flat=True)) == []
    checkout.fulfil_callback = example.fulfil
    assert checkout.fulfil_session(session) is FulfilOutcome.FULFILLED
    assert checkout.fulfil_session(session) is FulfilOutcome.ALREADY_FULFILLED
    orders = list(django_shop.Order.objects.values_list("session_id", "email"))
    assert orders == [(session.id, "ada@example.com")]
