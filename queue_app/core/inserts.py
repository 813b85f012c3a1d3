"""Writing a new ORM object with one INSERT, outside the unit of work: the hot path of ticket issue (issue 15)."""

from __future__ import annotations

import functools
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.orm import Mapper, make_transient_to_detached
from sqlalchemy.orm.interfaces import MANYTOONE

from queue_app.core.database import is_postgres
from queue_app.core.extensions import db


def insert_now(obj: object, returning: tuple[tuple[str, sa.ColumnElement], ...] = (),
               params: dict | None = None, *, then: object | None = None) -> None:
    """Write a new ORM object with one INSERT now, outside the unit of work, and keep it in the session.

    For the hottest write (a ticket: issue 15), where the flush's bookkeeping for one new row (ordering the
    mappers, cascades, histories, expiring) cost a fifth of the request. The object ends as if loaded:
    persistent, every column set (unset ones to their column's plain default, else None; a many-to-one
    given as an object fills its foreign key), the primary key read back. Flush events do not see it, so a
    caller whose flush hooks keep something up to date (queue_app.queue.counts) must tell them itself.

    :param returning: ``(attribute, SQL expression)`` pairs the INSERT returns too (with ``params`` for their
        bind parameters), set on the object: attributes the ORM does not map, such as a count read in the
        INSERT's round trip. Build the expressions once: the statement is kept per expression. Whether a
        subquery there sees the row being written differs (SQLite's does, PostgreSQL's does not): leave it out.
    :param then: a second new object, whose foreign key to ``obj`` is not set yet (a ticket's first event),
        written the same way after ``obj``: on PostgreSQL in the same statement (a data-modifying CTE), so
        one round trip writes both; on SQLite, where a statement costs no round trip, with its own INSERT.
    """
    state = sa.inspect(obj)
    if not state.transient:
        raise ValueError(f"insert_now() takes a new object, not {obj!r}")
    plan = _insert_plan(state.mapper, returning)
    row = _row(state, plan)
    connection = db.session.connection()
    if then is None:
        written = connection.execute(plan.statement, {**(params or {}), **row}).one()
        _persist(obj, plan, written[0], returning, written[1:])
        return
    then_state = sa.inspect(then)
    if not then_state.transient:
        raise ValueError(f"insert_now() takes a new object, not {then!r}")
    link, link_column = _link(then_state.mapper, state.mapper)  # before anything is written
    if not is_postgres():
        insert_now(obj, returning, params)
        then_state.dict[link] = sa.inspect(obj).dict[plan.pk]
        insert_now(then)
        return
    then_plan = _insert_plan(then_state.mapper)
    then_row = _row(then_state, then_plan)
    values = {**(params or {}), **{f"p_{k}": v for k, v in row.items()},
              **{f"c_{k}": v for k, v in then_row.items() if k != link_column}}
    written = connection.execute(_chained_statement(state.mapper, returning, then_state.mapper), values).one()
    _persist(obj, plan, written[0], returning, written[1:-1])
    then_state.dict[link] = written[0]
    _persist(then, then_plan, written[-1])


def _row(state: sa.orm.InstanceState, plan: _InsertPlan) -> dict:
    """The INSERT's values of a new object by column, its unset attributes set to their defaults."""
    values = state.dict  # a new object has no history to keep: its columns are written in place
    for rel, pairs in plan.many_to_one:
        target = values.get(rel)
        if target is not None:
            for local, remote in pairs:
                values[local] = getattr(target, remote)
    row = {}
    for key, column, default in plan.columns:
        if key not in values:
            if default is _COMPUTED:
                raise ValueError(f"insert_now(): set {key} of {state.mapper.class_.__name__} (its default is "
                                 "computed)")
            values[key] = default
        row[column] = values[key]
    return row


def _persist(obj: object, plan: _InsertPlan, pk: object, returning: tuple = (), extra: tuple = ()) -> None:
    """Make a written object persistent in the session, as if loaded, with its key and returned values."""
    state = sa.inspect(obj)
    state.dict[plan.pk] = pk
    make_transient_to_detached(obj)
    session = db.session()
    session.add(obj)
    # as the flush does for a row it inserts (Session._register_altered): a rollback of this transaction or
    # savepoint then takes the object out of the session, where it would stay persistent with its row gone
    # (and SQLite, which gives a rolled-back id again, would then refuse the next row's object)
    session._transaction._new[state] = True
    for (key, _), value in zip(returning, extra, strict=True):
        setattr(obj, key, value)


@functools.cache
def _link(child: Mapper, parent: Mapper) -> tuple[str, str]:
    """The attribute and column of ``child``'s one foreign key to ``parent``'s primary key."""
    (pk,) = parent.primary_key
    links = [(child.get_property_by_column(local).key, local.key)
             for rel in child.relationships if rel.direction is MANYTOONE and rel.mapper is parent
             for local, remote in rel.local_remote_pairs if remote is pk]
    if not links:  # no relationship mapped: the column's own foreign key
        links = [(child.get_property_by_column(column).key, column.key)
                 for column in child.local_table.columns for fk in column.foreign_keys if fk.column is pk]
    if len(set(links)) != 1:
        raise ValueError(f"insert_now(then=...): {child.class_.__name__} needs one foreign key to "
                         f"{parent.class_.__name__}")
    return links[0]


@functools.cache
def _chained_statement(parent: Mapper, returning: tuple, child: Mapper) -> sa.Select:
    """PostgreSQL: ``WITH parent AS (INSERT ... RETURNING id, ...), child AS (INSERT ... SELECT parent.id, ...)``,
    the parent's columns bound as ``p_<column>``, the child's as ``c_<column>``."""
    parent_plan, child_plan = _insert_plan(parent, returning), _insert_plan(child)
    (parent_pk,), (child_pk,) = parent.primary_key, child.primary_key
    table = parent.local_table
    first = (sa.insert(table)
             .values({c: sa.bindparam(f"p_{c}", type_=table.c[c].type) for _, c, _ in parent_plan.columns})
             .returning(parent_pk, *(expr.label(f"returned_{i}") for i, (_, expr) in enumerate(returning)))
             .cte("parent"))
    _, link_column = _link(child, parent)
    table = child.local_table
    columns = [c for _, c, _ in child_plan.columns]
    source = sa.select(*(first.c[parent_pk.key] if c == link_column
                         else sa.bindparam(f"c_{c}", type_=table.c[c].type) for c in columns))
    second = sa.insert(table).from_select(columns, source).returning(child_pk).cte("child")
    return sa.select(first.c[parent_pk.key], *(first.c[f"returned_{i}"] for i in range(len(returning))),
                     second.c[child_pk.key]).select_from(first.join(second, sa.true()))


#: A column default insert_now cannot give (a function, or the database's own): the caller must set it
_COMPUTED = object()


class _InsertPlan(NamedTuple):
    statement: sa.Insert
    pk: str  # the primary key's attribute
    #: (attribute, column, its plain default, None or _COMPUTED) of every other column
    columns: list[tuple[str, str, object]]
    #: (relationship, [(local attribute, remote attribute)]) of each many-to-one
    many_to_one: list[tuple[str, list[tuple[str, str]]]]


@functools.cache
def _insert_plan(mapper: Mapper, returning: tuple[tuple[str, sa.ColumnElement], ...] = ()) -> _InsertPlan:
    """Worked out once per class (and extra values returned): this runs for every ticket issued."""

    def attr(m: Mapper, column: sa.Column) -> str:
        return m.get_property_by_column(column).key

    (pk,) = mapper.primary_key  # every table here has a one-column key
    if any(key in mapper.attrs for key, _ in returning):
        raise ValueError("insert_now(): returning= is for attributes the ORM does not map")
    columns = []
    for a in mapper.column_attrs:
        column = a.columns[0]
        if column is pk:
            continue
        if column.default is not None:  # the ORM's flush would give this one before the database's
            default = column.default.arg if column.default.is_scalar else _COMPUTED
        else:
            default = _COMPUTED if column.server_default is not None else None
        columns.append((a.key, column.key, default))
    many_to_one = [(rel.key, [(attr(mapper, local), attr(rel.mapper, remote))
                              for local, remote in rel.local_remote_pairs])
                   for rel in mapper.relationships if rel.direction is MANYTOONE]
    statement = sa.insert(mapper.local_table).returning(pk, *(expr for _, expr in returning))
    return _InsertPlan(statement, attr(mapper, pk), columns, many_to_one)
