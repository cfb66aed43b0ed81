"""Fulfil in the application's own transaction with SQLAlchemy (Flask, FastAPI, Litestar...)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

import checkoutkit
from checkoutkit.stores.sqlalchemy import SqlAlchemyStore


class Base(DeclarativeBase):
    pass


class Order(Base):
    __tablename__ = "orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[str] = mapped_column(unique=True)
    email: Mapped[str | None]


def create_store(engine: sa.Engine) -> SqlAlchemyStore:
    # The store's table goes on your MetaData: Alembic's autogenerate adds it to a migration.
    return SqlAlchemyStore(engine, metadata=Base.metadata, session_factory=sessionmaker(engine))


def fulfil(session: checkoutkit.CheckoutSession, db: Session) -> None:
    # `db` is the transaction that records this fulfilment: the order and the record commit
    # together, or neither does. Do not commit here.
    db.add(Order(session_id=session.id, email=session.email))


def create_checkout(store: SqlAlchemyStore, *, secret: str, base_url: str) -> checkoutkit.Checkout:
    router = checkoutkit.WebhookRouter(secrets=secret, store=store)

    @router.on("invoice.paid", transactional=True)
    def extend_access(
        event: checkoutkit.Event, db: Session
    ) -> None: ...  # write through `db`: committed exactly when the event is recorded as handled

    return checkoutkit.Checkout(
        gateway=checkoutkit.CheckoutGateway.from_env(),
        router=router,
        store=store,
        build_session=lambda request: checkoutkit.SessionBuilder.payment().add_price("price_…"),
        fulfil=fulfil,
        base_url=base_url,
    )
