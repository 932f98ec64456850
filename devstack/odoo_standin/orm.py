"""The generic ORM the RPC layer calls: environment, method dispatch, search and read.

Writes (``create``/``write``/``unlink`` and x2many commands) live in :mod:`.writes`; model
specific rules live in :mod:`.base`, :mod:`.accounting` and :mod:`.payments`, which register
subclasses of :class:`BaseModel` with :func:`register`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from . import domain as dom
from .api import api_model, api_records, to_ids
from .errors import AccessError, missing
from .fields import X2MANY, Field, ModelSpec, fields_get
from .models import SPECS
from .store import Row, Store
from .writes import WriteMixin

SUPERUSER_ID = 1


@dataclass
class Knobs:
    """Server behaviour switches that tests may flip at run time."""

    version: str = "17.0"
    in_payment: bool = False
    today: str | None = None

    @property
    def major(self) -> int:
        found = re.search(r"(\d+)\.\d+", self.version)
        return int(found.group(1)) if found else 17

    def version_info(self) -> dict[str, Any]:
        """``/web/webclient/version_info`` and ``common.version`` answer."""
        found = re.search(r"(\d+)\.(\d+)", self.version)
        major, minor = (int(found.group(1)), int(found.group(2))) if found else (17, 0)
        serie = self.version.split("-")[0].split("+")[0]
        return {
            "server_version": self.version,
            "server_version_info": [
                major,
                minor,
                0,
                "final",
                0,
                "e" if "+e" in self.version else "",
            ],
            "server_serie": serie,
            "protocol_version": 1,
        }


_CLASSES: dict[str, type[BaseModel]] = {}


def register(model: str) -> Callable[[type[BaseModel]], type[BaseModel]]:
    """Class decorator: use this class for ``model``."""

    def deco(cls: type[BaseModel]) -> type[BaseModel]:
        _CLASSES[model] = cls
        return cls

    return deco


class Env:
    """Who is calling, with which context, against which store and knobs."""

    def __init__(
        self,
        store: Store,
        knobs: Knobs,
        uid: int,
        context: dict[str, Any] | None = None,
        su: bool = False,
    ) -> None:
        self.store, self.knobs, self.uid = store, knobs, uid
        self.context = dict(context or {})
        self.su = su or uid == SUPERUSER_ID

    def __getitem__(self, model: str) -> BaseModel:
        spec = SPECS[model]
        return _CLASSES.get(model, BaseModel)(self, spec)

    def __contains__(self, model: str) -> bool:
        return model in SPECS

    @property
    def major(self) -> int:
        return self.knobs.major

    def today(self) -> str:
        """Today as ``YYYY-MM-DD`` (a knob can pin it)."""
        return self.knobs.today or date.today().isoformat()

    def now(self) -> str:
        """Now in UTC as Odoo writes datetimes."""
        return datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")

    def user(self) -> Row:
        return self.store.get("res.users", self.uid) or {}

    def company_id(self) -> int:
        return int(self.user().get("company_id") or 1)

    def company(self) -> Row:
        return self.store.get("res.company", self.company_id()) or {}

    def sudo(self) -> Env:
        return Env(self.store, self.knobs, self.uid, self.context, su=True)

    def ref(self, xmlid: str) -> int | None:
        """The record id behind an external id, or None."""
        module, _, name = xmlid.partition(".")
        for row in self.store.rows("ir.model.data"):
            if row["module"] == module and row["name"] == name:
                return int(row["res_id"])
        return None

    def has_group(self, xmlid: str) -> bool:
        """Whether the calling user is in the group named by ``xmlid``."""
        if self.su:
            return True
        gid = self.ref(xmlid)
        return gid is not None and gid in (self.user().get("groups_id") or [])


class BaseModel(WriteMixin):
    """Generic model behaviour; subclasses add rules through the ``_hook`` methods."""

    ACCESS: dict[str, str] = {}  # operation -> group xmlid the caller needs
    DEFAULTS: dict[str, Any] = {}  # field -> value or callable(model)
    HIDDEN: frozenset[str] = frozenset()  # row keys accepted in vals but never read

    def __init__(self, env: Env, spec: ModelSpec) -> None:
        self.env, self.spec, self.name = env, spec, spec.name
        self.fields: dict[str, Field] = spec.fields_for(env.major)

    # -- dispatch ------------------------------------------------------------------------
    def call(self, method: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
        """Run an RPC method the way ``odoo.api.call_kw`` does."""
        kind = getattr(getattr(type(self), method, None), "_rpc", None)
        if kind is None:
            if self.env.major >= 18:
                raise AttributeError(f"The method '{self.name}.{method}' does not exist")
            raise AttributeError(f"The method '{method}' does not exist on the model '{self.name}'")
        bound = getattr(self, method)
        if kind == "records":
            return bound(to_ids(args[0]), *args[1:], **kwargs)
        return bound(*args, **kwargs)

    def _check_access(self, operation: str) -> None:
        group = self.ACCESS.get(operation)
        if group and not self.env.has_group(group):
            raise access_error(self.env, self.spec, operation, group)

    # -- values --------------------------------------------------------------------------
    def _rows_for(self, ids: list[int]) -> list[Row]:
        seen: set[int] = set()
        out = []
        for rid in ids:
            if rid in seen:
                continue
            seen.add(rid)
            row = self.env.store.get(self.name, rid)
            if row is not None:
                out.append(row)
        return out

    def _ensure(self, ids: list[int]) -> list[Row]:
        rows = self._rows_for(ids)
        if len(rows) != len(set(ids)):
            found = {r["id"] for r in rows}
            raise missing(self.name, [i for i in ids if i not in found], self.env.uid)
        return rows

    def _display_name(self, row: Row) -> Any:
        value = row.get(self.spec.rec_name) if self.spec.rec_name in self.fields else None
        return value or (False if self.spec.rec_name in self.fields else f"{self.name},{row['id']}")

    def _compute(self, row: Row, name: str) -> Any:
        """Hook for computed, non-stored fields; the default reads the row."""
        return row.get(name)

    def _value(self, row: Row, name: str) -> Any:
        """The raw value of one field: many2one as id, x2many as ids."""
        fld = self.fields[name]
        if name == "id":
            return row["id"]
        if name == "display_name":
            return self._display_name(row)
        if fld.related:
            head, _, rest = fld.related.partition(".")
            target = row.get(head)
            if not rest or not target:
                return target
            comodel = self.env[self.fields[head].relation or ""]
            other = self.env.store.get(comodel.name, target)
            return comodel._value(other, rest) if other else None
        if fld.type == "one2many":
            comodel = self.env[fld.relation or ""]
            tree = dom.parse([[fld.inverse, "=", row["id"]], *[list(d) for d in fld.domain]])
            return [r["id"] for r in comodel._select(tree, None, active_test=False)]
        return self._compute(row, name)

    def _resolve(self, row: Row, path: str) -> tuple[list[Any], bool]:
        """Follow a dotted path: the values reached, and whether an x2many was crossed."""
        model, rows, multi = self, [row], False
        parts = path.split(".")
        for i, part in enumerate(parts):
            fld = model.fields[part]
            values = [model._value(r, part) for r in rows]
            flat: list[Any] = []
            for v in values:
                flat.extend(v if fld.type in X2MANY else [v])
            multi = multi or fld.type in X2MANY
            if i == len(parts) - 1:
                return flat, multi
            model = self.env[fld.relation or ""]
            rows = model._rows_for([v for v in flat if v])
        return [], multi

    def _check_path(self, path: str, leaf: Any) -> str:
        model = self
        parts = path.split(".")
        for i, part in enumerate(parts):
            fld = model.fields.get(part)
            if fld is None:
                raise ValueError(f"Invalid field {model.name}.{part} in leaf {tuple(leaf)}")
            if i < len(parts) - 1:
                if not fld.relation:
                    raise ValueError(f"Invalid field {model.name}.{part} in leaf {tuple(leaf)}")
                model = self.env[fld.relation]
            elif fld.type == "many2one" and _is_text(leaf[2]):
                return f"{path}.display_name"
        return path

    # -- search --------------------------------------------------------------------------
    def _rewrite(self, tree: dom.Node) -> dom.Node:
        """Validate leaf paths; a many2one compared with text compares its display name."""
        kind = tree[0]
        if kind == "leaf":
            return ("leaf", self._check_path(tree[1], tree[1:]), tree[2], tree[3])
        if kind in ("&", "|"):
            return (kind, self._rewrite(tree[1]), self._rewrite(tree[2]))
        if kind == "!":
            return ("!", self._rewrite(tree[1]))
        return tree

    def _select(self, tree: dom.Node, order: str | None, active_test: bool = True) -> list[Row]:
        tree = self._rewrite(tree)
        named = {leaf[1].split(".")[0] for leaf in dom.leaves(tree)}
        if (
            active_test
            and self.spec.has_active
            and "active" not in named
            and self.env.context.get("active_test", True)
        ):
            tree = ("&", ("leaf", "active", "=", True), tree)

        def matches(row: Row) -> bool:
            return dom.evaluate(
                tree, lambda path, op, arg: dom.compare(*self._resolve(row, path), op, arg)
            )

        return self._sorted([r for r in self.env.store.rows(self.name) if matches(r)], order)

    def _sort_value(self, row: Row, name: str) -> Any:
        value = self._value(row, name)
        fld = self.fields[name]
        if fld.type == "many2one" and value:
            comodel = self.env[fld.relation or ""]
            other = self.env.store.get(comodel.name, value)
            return comodel._display_name(other) if other else None
        return value

    def _sorted(self, rows: list[Row], order: str | None) -> list[Row]:
        def valid(name: str) -> bool:
            return name in self.fields and self.fields[name].type not in X2MANY

        def key(name: str) -> Callable[[Row], tuple[int, Any]]:
            return lambda row: dom.sort_key(self._sort_value(row, name))

        for name, desc in reversed(dom.parse_order(order, self.spec.order, valid)):
            rows.sort(key=key(name), reverse=desc)
        return rows

    def _search_rows(
        self, domain: Any, offset: int = 0, limit: int | None = None, order: str | None = None
    ) -> list[Row]:
        rows = self._select(dom.parse(domain), order)[offset or 0 :]
        return rows[:limit] if limit else rows

    @api_model
    def search(
        self, domain: Any, offset: int = 0, limit: int | None = None, order: str | None = None
    ) -> list[int]:
        self._check_access("read")
        return [r["id"] for r in self._search_rows(domain, offset, limit, order)]

    @api_model
    def search_count(self, domain: Any, limit: int | None = None) -> int:
        self._check_access("read")
        return len(self._search_rows(domain, 0, limit))

    @api_model
    def search_read(
        self,
        domain: Any = None,
        fields: list[str] | None = None,
        offset: int = 0,
        limit: int | None = None,
        order: str | None = None,
        load: str = "_classic_read",
    ) -> list[dict[str, Any]]:
        self._check_access("read")
        rows = self._search_rows(domain or [], offset, limit, order)
        return [self._export_row(r, self._names(fields), load) for r in rows]

    # -- read ----------------------------------------------------------------------------
    def _names(self, names: list[str] | None) -> list[str]:
        names = list(names or [n for n in self.fields if n != "id"])
        for name in names:
            if name not in self.fields:
                raise ValueError(f"Invalid field {name!r} on model {self.name!r}")
        return [n for n in names if n != "id"]

    def _export(self, row: Row, name: str, load: str) -> Any:
        fld = self.fields[name]
        value = self._value(row, name)
        if value is None or (value is False and fld.type != "boolean"):
            return fld.null()
        if fld.type == "many2one":
            if load == "_classic_write":
                return value
            comodel = self.env[fld.relation or ""]
            other = self.env.store.get(comodel.name, value)
            return [value, comodel._display_name(other)] if other else False
        if fld.type in ("float", "monetary"):
            return float(value)
        if fld.type in X2MANY:
            return list(value)
        return value

    def _export_row(self, row: Row, names: list[str], load: str) -> dict[str, Any]:
        out: dict[str, Any] = {"id": row["id"]}
        for name in names:
            out[name] = self._export(row, name, load)
        return out

    @api_records
    def read(
        self, ids: list[int], fields: list[str] | None = None, load: str = "_classic_read"
    ) -> list[dict[str, Any]]:
        self._check_access("read")
        names = self._names(fields)
        return [self._export_row(r, names, load) for r in self._rows_for(ids)]

    @api_records
    def web_read(self, ids: list[int], specification: dict[str, Any]) -> list[dict[str, Any]]:
        """Odoo 17+'s read for the web client (``web/models/models.py``): a many2one is its
        id, or with ``fields`` a dict of them; an x2many with ``fields`` is a list of dicts."""
        self._check_access("read")
        names = self._names([name for name in specification if name != "display_name"] or ["id"])
        out = []
        for row in self._rows_for(ids):
            values = self._export_row(row, names, "_classic_write")
            if "display_name" in specification:
                values["display_name"] = self._display_name(row)
            for name, spec in specification.items():
                sub = (spec or {}).get("fields") if name in self.fields else None
                fld = self.fields.get(name)
                if sub is None or fld is None or not values.get(name):
                    continue
                comodel = self.env[fld.relation or ""]
                if fld.type == "many2one":
                    (values[name],) = comodel.web_read([values[name]], sub or {"id": {}})
                elif fld.type in X2MANY:
                    values[name] = comodel.web_read(values[name], sub or {"id": {}})
            out.append(values)
        return out

    @api_records
    def web_save(
        self,
        ids: list[int],
        vals: dict[str, Any],
        specification: dict[str, Any],
        next_id: int | None = None,
    ) -> list[dict[str, Any]]:
        """Odoo 17+: write ``vals`` to the records, or create one, then ``web_read`` it."""
        if ids:
            self.write(ids, vals)
        else:
            created = self.create(dict(vals))
            ids = created if isinstance(created, list) else [created]
        return self.web_read([next_id] if next_id else ids, specification)

    @api_model
    def fields_get(
        self, allfields: list[str] | None = None, attributes: list[str] | None = None
    ) -> dict[str, dict[str, Any]]:
        return fields_get(self.spec, self.env.major, allfields, attributes)

    @api_model
    def name_search(
        self, name: str = "", args: Any = None, operator: str = "ilike", limit: int = 100
    ) -> list[list[Any]]:
        self._check_access("read")
        domain = list(args or [])
        if name:
            domain.append([self.spec.rec_name, operator, name])
        return [[r["id"], self._display_name(r)] for r in self._search_rows(domain, 0, limit)]

    @api_model
    def check_access_rights(self, operation: str, raise_exception: bool = True) -> bool:
        try:
            self._check_access(operation)
        except AccessError:
            if raise_exception:
                raise
            return False
        return True


def _is_text(value: Any) -> bool:
    if isinstance(value, str):
        return True
    return (
        isinstance(value, list | tuple) and bool(value) and all(isinstance(v, str) for v in value)
    )


def access_error(env: Env, spec: ModelSpec, operation: str, group: str) -> AccessError:
    """Odoo's ``ir.model.access`` refusal text."""
    verb = {"read": "access", "write": "modify", "create": "create", "unlink": "delete"}
    gid = env.ref(group)
    grow = env.store.get("res.groups", gid) if gid else None
    label = (grow or {}).get("full_name") or group
    return AccessError(
        f"You are not allowed to {verb.get(operation, operation)} '{spec.description}' "
        f"({spec.name}) records.\n\nThis operation is allowed for the following groups:\n"
        f"\t- {label}\n\nContact your administrator to request access if necessary."
    )
