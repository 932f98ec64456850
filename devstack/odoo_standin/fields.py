"""Field and model descriptions, and ``fields_get`` output built from them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

Selection = tuple[tuple[str, str], ...]
NUMERIC = ("float", "monetary", "integer")
X2MANY = ("one2many", "many2many")


@dataclass(frozen=True)
class Field:
    """One field: its Odoo type and the attributes ``fields_get`` reports."""

    type: str
    string: str
    relation: str | None = None
    inverse: str | None = None  # one2many: the many2one on the comodel
    selection: Selection | None = None
    selection18: Selection | None = None  # the 18.0 selection when it differs
    required: bool = False
    readonly: bool = False
    computed: bool = False  # writes are ignored; the model computes the value
    related: str | None = None  # dotted path, read through
    domain: tuple[Any, ...] = ()  # one2many filter on the comodel
    help: str | None = None
    versions: tuple[int, ...] | None = None  # majors that have this field (None: all)

    def options(self, major: int) -> Selection:
        """The selection keys and labels for a given major version."""
        if major >= 18 and self.selection18 is not None:
            return self.selection18
        return self.selection or ()

    def null(self) -> Any:
        """What ``read`` returns for an unset value (Odoo never sends null)."""
        if self.type in ("float", "monetary"):
            return 0.0
        if self.type == "integer":
            return 0
        if self.type in X2MANY:
            return []
        return False


@dataclass
class ModelSpec:
    """A model: technical name, description, fields and default order."""

    name: str
    description: str
    fields: dict[str, Field]
    order: str = "id"
    rec_name: str = "name"
    transient: bool = False

    def fields_for(self, major: int) -> dict[str, Field]:
        """Fields present in a given major version, magic ones included."""
        every = {**MAGIC, **self.fields}
        return {k: f for k, f in every.items() if f.versions is None or major in f.versions}

    @property
    def has_active(self) -> bool:
        return "active" in self.fields


MAGIC: dict[str, Field] = {
    "id": Field("integer", "ID", readonly=True, computed=True),
    "display_name": Field("char", "Display Name", readonly=True, computed=True),
    "create_date": Field("datetime", "Created on", readonly=True, computed=True),
    "create_uid": Field("many2one", "Created by", "res.users", readonly=True, computed=True),
    "write_date": Field("datetime", "Last Updated on", readonly=True, computed=True),
    "write_uid": Field("many2one", "Last Updated by", "res.users", readonly=True, computed=True),
}


def describe(name: str, fld: Field, major: int) -> dict[str, Any]:
    """The ``fields_get`` entry for one field, with every attribute Odoo commonly sends."""
    desc: dict[str, Any] = {
        "change_default": False,
        "company_dependent": False,
        "depends": [],
        "exportable": True,
        "manual": False,
        "name": name,
        "readonly": fld.readonly,
        "required": fld.required,
        "searchable": True,
        "sortable": fld.type not in X2MANY,
        "store": not (fld.related or name == "display_name"),
        "string": fld.string,
        "type": fld.type,
    }
    if fld.help:
        desc["help"] = fld.help
    if fld.relation:
        desc["relation"] = fld.relation
        desc["context"] = {}
        desc["domain"] = [list(d) if isinstance(d, tuple) else d for d in fld.domain]
    if fld.inverse:
        desc["relation_field"] = fld.inverse
    if fld.type == "selection":
        desc["selection"] = [list(opt) for opt in fld.options(major)]
    if fld.type == "monetary":
        desc["currency_field"] = "currency_id"
    if fld.type in ("float", "monetary") or fld.type == "integer":
        desc["aggregator" if major >= 18 else "group_operator"] = "sum"
    return desc


def fields_get(
    spec: ModelSpec,
    major: int,
    allfields: list[str] | None = None,
    attributes: list[str] | None = None,
) -> dict[str, dict[str, Any]]:
    """``fields_get`` for a model, optionally restricted to some fields and attributes."""
    out: dict[str, dict[str, Any]] = {}
    for name, fld in spec.fields_for(major).items():
        if allfields and name not in allfields:
            continue
        desc = describe(name, fld, major)
        if attributes:
            desc = {k: v for k, v in desc.items() if k in attributes}
        out[name] = desc
    return out


# Short constructors keep the model tables readable.
def char(string: str, **kw: Any) -> Field:
    return Field("char", string, **kw)


def text(string: str, **kw: Any) -> Field:
    return Field("text", string, **kw)


def html(string: str, **kw: Any) -> Field:
    return Field("html", string, **kw)


def boolean(string: str, **kw: Any) -> Field:
    return Field("boolean", string, **kw)


def integer(string: str, **kw: Any) -> Field:
    return Field("integer", string, **kw)


def floating(string: str, **kw: Any) -> Field:
    return Field("float", string, **kw)


def monetary(string: str, **kw: Any) -> Field:
    return Field("monetary", string, **kw)


def date(string: str, **kw: Any) -> Field:
    return Field("date", string, **kw)


def datetime_(string: str, **kw: Any) -> Field:
    return Field("datetime", string, **kw)


def selection(string: str, options: Selection, **kw: Any) -> Field:
    return Field("selection", string, selection=options, **kw)


def m2o(relation: str, string: str, **kw: Any) -> Field:
    return Field("many2one", string, relation=relation, **kw)


def o2m(relation: str, inverse: str, string: str, **kw: Any) -> Field:
    return Field("one2many", string, relation=relation, inverse=inverse, **kw)


def m2m(relation: str, string: str, **kw: Any) -> Field:
    return Field("many2many", string, relation=relation, **kw)
