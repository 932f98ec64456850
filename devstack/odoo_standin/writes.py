"""``create``, ``write``, ``unlink``, ``default_get`` and x2many commands for every model.

Mixed into :class:`.orm.BaseModel`. Value conversion follows Odoo: dates must parse as
``YYYY-MM-DD``, selections must be valid keys, a many2one must name a live record (else the
converted foreign-key error), required fields must be set (else the converted NOT NULL error).
"""

from __future__ import annotations

import copy
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .api import api_model, api_records, to_ids
from .errors import ValidationError
from .fields import MAGIC, Field, ModelSpec
from .store import Row

if TYPE_CHECKING:
    from .orm import Env


def not_null_error(spec: ModelSpec, name: str, fld: Field) -> ValidationError:
    """What Odoo makes of a NOT NULL violation."""
    return ValidationError(
        "The operation cannot be completed:\n"
        "- Create/update: a mandatory field is not set.\n"
        "- Delete: another model requires the record being deleted. If possible, archive it "
        "instead.\n\n"
        f"Model: {spec.description} ({spec.name})\n"
        f"Field: {fld.string} ({name})\n"
    )


def fk_error(spec: ModelSpec, name: str) -> ValidationError:
    """What Odoo makes of a foreign-key violation."""
    return ValidationError(
        "The operation cannot be completed: another model requires the record being deleted. "
        "If possible, archive it instead.\n\n"
        f"Model: {spec.description} ({spec.name})\n"
        f"Constraint: {spec.name.replace('.', '_')}_{name}_fkey\n"
    )


class WriteMixin:
    """The write half of the ORM."""

    env: Env
    spec: ModelSpec
    name: str
    fields: dict[str, Field]
    DEFAULTS: dict[str, Any]
    HIDDEN: frozenset[str]

    # -- hooks for subclasses ------------------------------------------------------------
    def _prepare_create(self, vals: dict[str, Any]) -> dict[str, Any]:
        """Fill values that depend on other values, before conversion."""
        return vals

    def _constraints(self, row: Row) -> None:
        """Raise ValidationError when a stored row breaks a model rule."""

    def _after_create(self, rid: int) -> None: ...

    def _before_write(self, rows: list[Row], vals: dict[str, Any]) -> None: ...

    def _after_write(self, ids: list[int], vals: dict[str, Any]) -> None: ...

    def _before_unlink(self, rows: list[Row]) -> None: ...

    def _after_unlink(self, rows: list[Row]) -> None: ...

    # -- defaults ------------------------------------------------------------------------
    def _default_values(self, names: list[str]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in names:
            key = f"default_{name}"
            if key in self.env.context:
                out[name] = self.env.context[key]
            elif name in self.DEFAULTS:
                value = self.DEFAULTS[name]
                out[name] = value(self) if callable(value) else copy.deepcopy(value)
            elif name == "active" and "active" in self.fields:
                out[name] = True
        return out

    @api_model
    def default_get(self, fields_list: list[str]) -> dict[str, Any]:
        return {
            k: v for k, v in self._default_values(list(fields_list)).items() if k in self.fields
        }

    # -- conversion ----------------------------------------------------------------------
    def _scalar(self, name: str, fld: Field, value: Any) -> Any:
        if fld.type == "boolean":
            return bool(value)
        if value is None or value is False:
            return None
        kind = fld.type
        if kind == "integer":
            return int(value)
        if kind in ("float", "monetary"):
            return float(value)
        if kind in ("char", "text", "html"):
            return str(value)
        if kind == "date":
            return datetime.strptime(str(value)[:10], "%Y-%m-%d").date().isoformat()
        if kind == "datetime":
            parsed = datetime.strptime(str(value)[:19], "%Y-%m-%d %H:%M:%S")
            return parsed.strftime("%Y-%m-%d %H:%M:%S")
        if kind == "selection":
            if value not in {k for k, _ in fld.options(self.env.major)}:
                raise ValueError(f"Wrong value for {self.name}.{name}: {value!r}")
            return value
        if kind == "many2one":
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"Wrong value for {self.name}.{name}: {value!r}")
            if not self.env.store.exists(fld.relation or "", value):
                raise fk_error(self.spec, name)
            return value
        return value

    def _m2m(self, name: str, fld: Field, current: list[int], value: Any) -> list[int]:
        comodel = self.env[fld.relation or ""]
        ids = list(current)
        if value is None or value is False:
            return []
        if all(isinstance(v, int) and not isinstance(v, bool) for v in value):
            ids = list(value)
        else:
            for cmd in value:
                code = cmd[0]
                if code == 0:
                    ids.append(comodel._create_one(dict(cmd[2])))
                elif code == 1:
                    comodel._write_ids([cmd[1]], dict(cmd[2]))
                elif code == 2:
                    comodel._unlink_ids([cmd[1]])
                    ids = [i for i in ids if i != cmd[1]]
                elif code == 3:
                    ids = [i for i in ids if i != cmd[1]]
                elif code == 4:
                    ids.append(cmd[1])
                elif code == 5:
                    ids = []
                elif code == 6:
                    ids = list(cmd[2] or [])
                else:
                    raise ValueError(f"Invalid command {cmd!r} for {self.name}.{name}")
        for rid in ids:
            if not self.env.store.exists(comodel.name, rid):
                raise fk_error(self.spec, name)
        return list(dict.fromkeys(ids))

    def _convert(
        self, vals: dict[str, Any], current: Row | None
    ) -> tuple[dict[str, Any], list[tuple[str, Any]]]:
        changes: dict[str, Any] = {}
        deferred: list[tuple[str, Any]] = []
        for name, value in vals.items():
            fld = self.fields.get(name)
            if fld is None:
                if name in self.HIDDEN:
                    changes[name] = value
                    continue
                raise ValueError(f"Invalid field {name!r} on model {self.name!r}")
            if fld.computed or fld.related or name in MAGIC:
                continue
            if fld.type == "one2many":
                deferred.append((name, value))
            elif fld.type == "many2many":
                changes[name] = self._m2m(name, fld, (current or {}).get(name) or [], value)
            else:
                changes[name] = self._scalar(name, fld, value)
        return changes, deferred

    def _check_required(self, row: Row) -> None:
        for name, fld in self.fields.items():
            value = row.get(name)
            if (
                fld.required
                and not fld.computed
                and fld.type != "boolean"
                and (value is None or value is False or value == "" or value == [])
            ):
                raise not_null_error(self.spec, name, fld)

    def _apply_o2m(self, rid: int, name: str, commands: Any) -> None:
        fld = self.fields[name]
        comodel = self.env[fld.relation or ""]
        inverse = fld.inverse or ""
        cascade = comodel.fields[inverse].required
        existing = list(self._value(self.env.store.get(self.name, rid) or {"id": rid}, name))

        def drop(ids: list[int]) -> None:
            if cascade:
                comodel._unlink_ids(ids)
            elif ids:
                comodel._write_ids(ids, {inverse: False})

        for cmd in commands or []:
            if isinstance(cmd, int):
                cmd = [4, cmd, 0]
            code = cmd[0]
            if code == 0:
                comodel._create_one({**dict(cmd[2]), inverse: rid})
            elif code == 1:
                comodel._write_ids([cmd[1]], dict(cmd[2]))
            elif code == 2:
                comodel._unlink_ids([cmd[1]])
            elif code == 3:
                drop([cmd[1]])
            elif code == 4:
                comodel._write_ids([cmd[1]], {inverse: rid})
            elif code == 5:
                drop(existing)
            elif code == 6:
                keep = to_ids(cmd[2])
                drop([i for i in existing if i not in keep])
                comodel._write_ids(keep, {inverse: rid})
            else:
                raise ValueError(f"Invalid command {cmd!r} for {self.name}.{name}")
            existing = list(self._value(self.env.store.get(self.name, rid) or {"id": rid}, name))

    # -- create / write / unlink ---------------------------------------------------------
    def _create_one(self, vals: dict[str, Any]) -> int:
        missing = [n for n in self.fields if n not in vals and n not in MAGIC]
        merged = self._prepare_create({**self._default_values(missing), **vals})
        row, deferred = self._convert(merged, None)
        self._check_required(row)
        self._constraints(row)
        now = self.env.now()
        row.update(create_date=now, write_date=now, create_uid=self.env.uid, write_uid=self.env.uid)
        rid = self.env.store.insert(self.name, row)
        for name, commands in deferred:
            self._apply_o2m(rid, name, commands)
        self._after_create(rid)
        return rid

    @api_model
    def create(self, vals_list: dict[str, Any] | list[dict[str, Any]]) -> int | list[int]:
        self._check_access("create")
        if isinstance(vals_list, dict):
            return self._create_one(dict(vals_list))
        return [self._create_one(dict(vals)) for vals in vals_list]

    def _write_ids(self, ids: list[int], vals: dict[str, Any]) -> None:
        rows = self._ensure(ids)
        for name in vals:
            if name not in self.fields and name not in self.HIDDEN:
                raise ValueError(f"Invalid field {name!r} on model {self.name!r}")
        self._before_write(rows, vals)
        for row in rows:
            changes, deferred = self._convert(vals, row)
            changes.update(write_date=self.env.now(), write_uid=self.env.uid)
            merged = {**row, **changes}
            self._check_required(merged)
            self._constraints(merged)
            self.env.store.update(self.name, row["id"], changes)
            for name, commands in deferred:
                self._apply_o2m(row["id"], name, commands)
        self._after_write([r["id"] for r in rows], vals)

    @api_records
    def write(self, ids: list[int], vals: dict[str, Any]) -> bool:
        self._check_access("write")
        self._write_ids(ids, dict(vals))
        return True

    def _unlink_ids(self, ids: list[int]) -> None:
        rows = self._rows_for(ids)
        self._before_unlink(rows)
        for row in rows:
            for fld in self.fields.values():
                if fld.type != "one2many" or fld.related:
                    continue
                comodel = self.env[fld.relation or ""]
                children = [
                    r["id"]
                    for r in self.env.store.rows(comodel.name)
                    if r.get(fld.inverse or "") == row["id"]
                ]
                if comodel.fields[fld.inverse or ""].required:
                    comodel._unlink_ids(children)
                elif children:
                    comodel._write_ids(children, {fld.inverse or "": False})
            self.env.store.delete(self.name, row["id"])
        self._after_unlink(rows)

    @api_records
    def unlink(self, ids: list[int]) -> bool:
        self._check_access("unlink")
        self._unlink_ids(ids)
        return True

    if TYPE_CHECKING:  # provided by BaseModel

        def _check_access(self, operation: str) -> None: ...

        def _ensure(self, ids: list[int]) -> list[Row]: ...

        def _rows_for(self, ids: list[int]) -> list[Row]: ...

        def _value(self, row: Row, name: str) -> Any: ...
