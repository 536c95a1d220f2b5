"""Budget amounts as exact integer minor units (SQLite stored NUMERIC as REAL: inexact).

Revision ID: 0004
Revises: 0003

Each existing amount is read back as the decimal the operator wrote (a REAL's shortest repr on
SQLite, the NUMERIC itself on PostgreSQL) and rounded half-even to the currency's minor unit,
which is how it was already shown. A row that cannot be converted (an unknown currency) keeps
0 minor units: reading it then reports that one budget as an error instead of failing all.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

import sqlalchemy as sa
from alembic import op

from finance_pack.domain.currencies import UnknownCurrencyError, minor_unit_exponent

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_LARGEST = 10**18 - 1


def _minor_units(amount: object, currency: str) -> int:
    try:
        value = Decimal(repr(amount)) if isinstance(amount, float) else Decimal(str(amount))
        units = value.scaleb(minor_unit_exponent(currency))
        result = int(units.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))
    except (InvalidOperation, UnknownCurrencyError, ValueError, OverflowError):
        return 0
    return result if -_LARGEST <= result <= _LARGEST else 0


def upgrade() -> None:
    with op.batch_alter_table("budgets") as batch:
        batch.add_column(sa.Column("amount_minor", sa.BigInteger, nullable=True))
    connection = op.get_bind()
    rows = connection.execute(sa.text("SELECT name, amount, currency FROM budgets")).all()
    for name, amount, currency in rows:
        connection.execute(
            sa.text("UPDATE budgets SET amount_minor = :units WHERE name = :name"),
            {"units": _minor_units(amount, currency), "name": name},
        )
    with op.batch_alter_table("budgets") as batch:
        batch.alter_column("amount_minor", existing_type=sa.BigInteger, nullable=False)
        batch.drop_column("amount")


def downgrade() -> None:
    with op.batch_alter_table("budgets") as batch:
        batch.add_column(sa.Column("amount", sa.Numeric(38, 12), nullable=True))
    connection = op.get_bind()
    rows = connection.execute(sa.text("SELECT name, amount_minor, currency FROM budgets")).all()
    for name, units, currency in rows:
        try:
            exponent = minor_unit_exponent(currency)
        except UnknownCurrencyError:
            exponent = 2
        connection.execute(
            sa.text("UPDATE budgets SET amount = :amount WHERE name = :name"),
            {"amount": Decimal(units).scaleb(-exponent), "name": name},
        )
    with op.batch_alter_table("budgets") as batch:
        batch.alter_column("amount", existing_type=sa.Numeric(38, 12), nullable=False)
        batch.drop_column("amount_minor")
