"""Fixed SQL for the statements every litigant page makes, through tortoise's own connection.

Tortoise builds each query anew through pypika, and the link pages made 4–7 of them per
request: in bench/litigant_flow.py that was most of a page's cost (docs/PERFORMANCE.md). The
statements here are written once, run on whichever connection the model would use (so inside
``in_transaction`` they join the transaction), and come back as model instances through the
model's own converters (``Model._init_from_db``), so callers get what the ORM would give them.

Build statements lazily (``functools.cache``), never at import: a model's foreign-key columns
exist only once Tortoise is initialised. Parameters are written ``$1, $2 …``; pass datetimes
as parameters, never as literals in the SQL.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any, TypeVar

from tortoise.models import Model

M = TypeVar("M", bound=Model)


async def fetch(model: type[Model], sql: str, *args: Any) -> list[dict[str, Any]]:
    """Rows of ``sql`` as dicts, on ``model``'s connection (its transaction, if one is open)."""
    return await model._meta.db.execute_query_dict(sql, list(args))


@lru_cache(maxsize=64)
def _columns(model: type[Model]) -> tuple[str, ...]:
    # Only after Tortoise.init: foreign-key columns (``service_id``) are added to the model then.
    return tuple(model._meta.fields_db_projection.values())


@lru_cache(maxsize=64)
def columns(model: type[Model], alias: str) -> str:
    """``"alias"."col" AS "alias.col", …`` for every column of ``model``: a select list that
    keeps the columns of several joined tables apart."""
    return ", ".join(f'"{alias}"."{c}" AS "{alias}.{c}"' for c in _columns(model))


def instance(model: type[M], row: dict[str, Any], alias: str) -> M:
    """The ``model`` instance behind the ``columns(model, alias)`` part of ``row``."""
    return model._init_from_db(**{c: row[f"{alias}.{c}"] for c in _columns(model)})


def insert_values(obj: Model) -> tuple[list[str], list[Any]]:
    """The columns and values the ORM would INSERT for the unsaved ``obj`` (defaults, auto times,
    JSON and enum conversions, as tortoise's own executor does), for composing several writes
    into one statement. Generated columns (the serial id) are left to the database."""
    meta = obj._meta
    names, values = [], []
    for field_name, column in meta.fields_db_projection.items():
        field = meta.fields_map[field_name]
        if not field.generated:
            names.append(f'"{column}"')
            values.append(field.to_db_value(getattr(obj, field_name), obj))
    return names, values


@lru_cache(maxsize=64)
def _insert_sql(model: type[Model], names: tuple[str, ...]) -> str:
    marks = ", ".join(f"${n}" for n in range(1, len(names) + 1))
    return (f'INSERT INTO "{model._meta.db_table}" ({", ".join(names)}) VALUES ({marks}) '
            f'RETURNING "{model._meta.db_pk_column}"')


async def insert(obj: M) -> M:
    """Store the unsaved ``obj`` as ``obj.save()`` would, in one fixed INSERT (tortoise builds
    each INSERT anew); returns it, saved, with its id."""
    names, values = insert_values(obj)
    rows = await obj._meta.db.execute_query_dict(_insert_sql(type(obj), tuple(names)), values)
    obj.pk = rows[0][obj._meta.db_pk_column]
    obj._saved_in_db = True
    return obj


# PostgreSQL takes at most 32,767 parameters in one statement.
_MAX_PARAMETERS = 32_000


@lru_cache(maxsize=256)
def _insert_rows_sql(model: type[Model], names: tuple[str, ...], rows: int) -> str:
    width = len(names)
    values = ", ".join(
        "(" + ", ".join(f"${row * width + n}" for n in range(1, width + 1)) + ")" for row in range(rows))
    return f'INSERT INTO "{model._meta.db_table}" ({", ".join(names)}) VALUES {values} RETURNING *'


async def insert_rows(objs: list[M]) -> list[M]:
    """Store the unsaved ``objs`` (all of one model) in one multi-row INSERT per 32,000
    parameters, and return the stored rows as the database gives them back (``RETURNING *``:
    ids, defaults, times as a read would convert them), in id order. ``objs`` stay unsaved."""
    if not objs:
        return []
    model = type(objs[0])
    names: list[str] = []
    values: list[Any] = []
    for obj in objs:
        names, row = insert_values(obj)
        values.extend(row)
    width = len(names)
    per_statement = max(1, _MAX_PARAMETERS // width)
    stored: list[M] = []
    for start in range(0, len(objs), per_statement):
        chunk = values[start * width:(start + per_statement) * width]
        sql = _insert_rows_sql(model, tuple(names), len(chunk) // width)
        stored.extend(model._init_from_db(**row) for row in await model._meta.db.execute_query_dict(sql, chunk))
    stored.sort(key=lambda obj: obj.pk)
    return stored
