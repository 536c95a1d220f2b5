"""The customer directory in the state store."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select, update

from finance_pack.store.tables import customers


class CustomerExistsError(ValueError):
    """A customer with this id is already in the directory."""


@dataclass(frozen=True, slots=True)
class CustomerRecord:
    id: str
    name: str
    email: str | None
    slack_channel: str | None
    default_currency: str
    stripe_customer_id: str | None
    created_at: datetime
    created_by: str

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["created_at"] = self.created_at.isoformat()
        return data


def insert_customer(connection: Connection, record: CustomerRecord) -> None:
    if get_customer(connection, record.id) is not None:
        raise CustomerExistsError(record.id)
    connection.execute(customers.insert().values(**asdict(record)))


def get_customer(connection: Connection, customer_id: str) -> CustomerRecord | None:
    row = connection.execute(select(customers).where(customers.c.id == customer_id)).first()
    return None if row is None else CustomerRecord(**row._mapping)


def list_customers(connection: Connection) -> list[CustomerRecord]:
    rows = connection.execute(select(customers).order_by(customers.c.id))
    return [CustomerRecord(**row._mapping) for row in rows]


def set_stripe_customer_id(connection: Connection, customer_id: str, stripe_id: str) -> None:
    connection.execute(
        update(customers).where(customers.c.id == customer_id).values(stripe_customer_id=stripe_id)
    )
