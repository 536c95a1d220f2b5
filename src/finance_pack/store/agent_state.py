"""Small durable facts an agent keeps between restarts, shared by its replicas."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Engine, select, update
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


def take_lease(
    engine: Engine, agent: str, key: str, replica: str, now: datetime, duration: timedelta
) -> bool:
    """Hold the singleton duty `key` until now + duration; True when this replica holds it.

    The value is "replica|until"; a replica takes it over only once it has run out, with a
    compare-and-set UPDATE that one replica alone can win (SQLite and PostgreSQL alike).
    """
    value = f"{replica}|{(now + duration).isoformat()}"
    current = get_value(engine, agent, key)
    if current is None:
        return set_if_absent(engine, agent, key, value, now) == value
    holder, _, until = current.partition("|")
    if holder != replica and datetime.fromisoformat(until) > now:
        return False
    with engine.begin() as connection:
        taken = connection.execute(
            update(agent_state)
            .where(
                agent_state.c.agent == agent,
                agent_state.c.key == key,
                agent_state.c.value == current,
            )
            .values(value=value, updated_at=now)
        )
    return taken.rowcount == 1


def put_value(engine: Engine, agent: str, key: str, value: str, now: datetime) -> None:
    """Set `value`, creating the row when it is missing."""
    with engine.begin() as connection:
        changed = connection.execute(
            update(agent_state)
            .where(agent_state.c.agent == agent, agent_state.c.key == key)
            .values(value=value, updated_at=now)
        )
        if changed.rowcount == 0:
            connection.execute(
                agent_state.insert().values(agent=agent, key=key, value=value, updated_at=now)
            )
