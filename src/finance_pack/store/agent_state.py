"""Small durable facts an agent keeps between restarts, shared by its replicas."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError

from finance_pack.store.tables import agent_state


def get_value(engine: Engine, agent: str, key: str) -> str | None:
    with engine.connect() as connection:
        return connection.execute(
            select(agent_state.c.value).where(
                agent_state.c.agent == agent, agent_state.c.key == key
            )
        ).scalar()


def set_if_absent(engine: Engine, agent: str, key: str, value: str, now: datetime) -> str:
    """Store `value` unless a value is there already; returns the value in force."""
    try:
        with engine.begin() as connection:
            connection.execute(
                agent_state.insert().values(agent=agent, key=key, value=value, updated_at=now)
            )
        return value
    except IntegrityError:
        existing = get_value(engine, agent, key)
        assert existing is not None
        return existing


def set_value(engine: Engine, agent: str, key: str, value: str, now: datetime) -> None:
    """Store `value`, replacing any value there."""
    with engine.begin() as connection:
        changed = connection.execute(
            agent_state.update()
            .where(agent_state.c.agent == agent, agent_state.c.key == key)
            .values(value=value, updated_at=now)
        )
        if changed.rowcount == 0:
            connection.execute(
                agent_state.insert().values(agent=agent, key=key, value=value, updated_at=now)
            )
