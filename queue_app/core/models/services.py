"""Agencies (OPD) and their services; each service is one queue."""

from __future__ import annotations

from datetime import date, time
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from queue_app.core import hooks
from queue_app.core.models.base import Base

if TYPE_CHECKING:
    from queue_app.core.models.counters import CounterService


class Agency(Base):
    __tablename__ = "agencies"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    #: False once the agency is gone from config.toml; kept for history
    active: Mapped[bool] = mapped_column(default=True)

    services: Mapped[list[Service]] = relationship(back_populates="agency")

    def __repr__(self) -> str:
        return f"<Agency {self.code}>"


class Service(Base):
    __tablename__ = "services"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agencies.id"))
    name: Mapped[str] = mapped_column(sa.String(200))
    name_en: Mapped[str] = mapped_column(sa.String(200), default="")
    #: One to three letters; not unique in the table because a removed service keeps its old prefix
    prefix: Mapped[str] = mapped_column(sa.String(3))
    target_wait_minutes: Mapped[int] = mapped_column(default=15)
    hours_start: Mapped[time | None]
    hours_end: Mapped[time | None]
    #: 0 means unlimited
    daily_quota: Mapped[int] = mapped_column(default=0)
    #: Prior for the wait estimate until the service has history of its own
    typical_service_seconds: Mapped[int] = mapped_column(default=300)
    #: Position in config.toml, so every screen lists services in the order the site chose
    position: Mapped[int] = mapped_column(default=0)
    #: False once the service is gone from config.toml; its tickets stay for the statistics
    active: Mapped[bool] = mapped_column(default=True)
    #: Closed for one local day by an admin (e.g. "sistem OSS sedang gangguan"); the kiosk shows the reason
    closed_on: Mapped[date | None]
    closed_reason: Mapped[str] = mapped_column(sa.String(200), default="")

    agency: Mapped[Agency] = relationship(back_populates="services")
    counter_links: Mapped[list[CounterService]] = relationship(back_populates="service")

    def __repr__(self) -> str:
        return f"<Service {self.code} {self.prefix}>"


class CatalogueVersion(Base):
    """One row whose token changes with every write to agencies, services or settings, made by the database
    itself (triggers, :func:`catalogue_triggers`): a process keeps those rows in memory and, reading this one
    short row, knows whether they are still what the database holds (queue_app.core.lookups)."""

    __tablename__ = "catalogue_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(sa.String(32))


def _new_token_sql(dialect: str) -> str:
    """A fresh random token: a counter could come back to a value a rolled-back change had cached."""
    if dialect == "postgresql":
        return ("INSERT INTO catalogue_version (id, token) VALUES (1, md5(random()::text || clock_timestamp()::text)) "
                "ON CONFLICT (id) DO UPDATE SET token = EXCLUDED.token")
    return "INSERT OR REPLACE INTO catalogue_version (id, token) VALUES (1, lower(hex(randomblob(16))))"


#: The tables whose rows the in-memory catalogue holds: rarely written, read by every kiosk press
CATALOGUE_TABLES = ("agencies", "services", "settings")


def catalogue_triggers(dialect: str) -> list[str]:
    """DDL of the triggers that give :class:`CatalogueVersion` a new token on any write to its tables.

    In the database, not in an ORM hook, so that no write escapes them: a migration, a bulk statement or an
    operator's SQL. Run by ``create_all`` (below) and by the migration that added them; a test checks
    that a migrated database has them (a SQLite batch migration that rebuilds a table would drop them).
    """
    # the last statement gives the row its first token: a database upgraded to this has no write yet
    if dialect == "postgresql":
        ddl = ["CREATE OR REPLACE FUNCTION catalogue_changed() RETURNS trigger LANGUAGE plpgsql AS $$ "
               f"BEGIN {_new_token_sql(dialect)}; RETURN NULL; END $$"]
        for table in CATALOGUE_TABLES:
            ddl += [f"DROP TRIGGER IF EXISTS catalogue_changed ON {table}",
                    f"CREATE TRIGGER catalogue_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
                    "FOR EACH STATEMENT EXECUTE FUNCTION catalogue_changed()"]
        return [*ddl, _new_token_sql(dialect)]
    return [*catalogue_triggers_dropped(dialect),
            *(f"CREATE TRIGGER catalogue_{table}_{event.lower()} AFTER {event} ON {table} "
              f"BEGIN {_new_token_sql(dialect)}; END"
              for table in CATALOGUE_TABLES for event in ("INSERT", "UPDATE", "DELETE")),
            _new_token_sql(dialect)]


def catalogue_triggers_dropped(dialect: str) -> list[str]:
    """DDL that undoes :func:`catalogue_triggers` (a migration's downgrade)."""
    if dialect == "postgresql":
        return [*(f"DROP TRIGGER IF EXISTS catalogue_changed ON {table}" for table in CATALOGUE_TABLES),
                "DROP FUNCTION IF EXISTS catalogue_changed()"]
    return [f"DROP TRIGGER IF EXISTS catalogue_{table}_{event}"
            for table in CATALOGUE_TABLES for event in ("insert", "update", "delete")]


@hooks.listens_for(Base.metadata, "after_create",
                   why="create_all (tests) gets the triggers that bump catalogue_version on any write to agencies, services or settings, as migrations do")
def _create_catalogue_triggers(_metadata, connection, **_kw) -> None:  # noqa: ANN001
    if not {*CATALOGUE_TABLES, "catalogue_version"} <= set(sa.inspect(connection).get_table_names()):
        return  # a partial create_all (a test's own tables)
    from queue_app.core.database import WRITE_OPTION

    connection.execution_options(**{WRITE_OPTION: True})  # create_all's transaction writes (the first token)
    for statement in catalogue_triggers(connection.dialect.name):
        connection.exec_driver_sql(statement)
