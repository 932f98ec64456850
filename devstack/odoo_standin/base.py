"""``base`` models with behaviour of their own, and credential checks.

Users hold a plain-text ``password`` and a list of ``api_keys`` (hidden row keys, never read);
either one is accepted wherever Odoo accepts a password over RPC.
"""

from __future__ import annotations

from typing import Any

from .api import api_model, api_records
from .errors import ValidationError
from .orm import BaseModel, register
from .store import Row, Store

GROUP_USER = "base.group_user"
GROUP_SYSTEM = "base.group_system"
GROUP_INVOICE = "account.group_account_invoice"
GROUP_MANAGER = "account.group_account_manager"
GROUP_READONLY = "account.group_account_readonly"
# our addon's group (deployment/odoo_addons/aie_draft_only): the cloud's Odoo user
GROUP_DRAFT_ONLY = "aie_draft_only.group_draft_only"


def _password_ok(row: Row, password: Any) -> bool:
    if not isinstance(password, str) or not password:
        return False
    return password == row.get("password") or password in (row.get("api_keys") or [])


def authenticate(store: Store, login: Any, password: Any) -> int | None:
    """The uid for ``login``/``password`` (or an API key), or None."""
    for row in store.rows("res.users"):
        if row.get("login") == login and row.get("active") and _password_ok(row, password):
            return int(row["id"])
    return None


def check_api_key(store: Store, key: str) -> int | None:
    """The uid of the active user holding API ``key`` (a password is no key), or None."""
    for row in store.rows("res.users"):
        if row.get("active") and key and key in (row.get("api_keys") or []):
            return int(row["id"])
    return None


def check_uid(store: Store, uid: Any, password: Any) -> bool:
    """Whether ``uid`` may call with ``password`` (or an API key)."""
    if isinstance(uid, bool) or not isinstance(uid, int):
        return False
    row = store.get("res.users", uid)
    return bool(row and row.get("active") and _password_ok(row, password))


@register("res.partner")
class ResPartner(BaseModel):
    """Contacts: ``display_name`` is ``"Company, Person"`` for a company's contact."""

    DEFAULTS = {"customer_rank": 0, "supplier_rank": 0, "is_company": False, "lang": "en_US"}

    def _display_name(self, row: Row) -> Any:
        name = row.get("name") or ""
        parent = self.env.store.get(self.name, row["parent_id"]) if row.get("parent_id") else None
        if parent and not row.get("is_company"):
            return f"{self._display_name(parent)}, {name}"
        return name or False

    def _compute(self, row: Row, name: str) -> Any:
        if name == "complete_name":
            return self._display_name(row)
        return super()._compute(row, name)

    def _constraints(self, row: Row) -> None:
        if not row.get("name"):
            raise ValidationError("The operation cannot be completed: Contacts require a name")


@register("res.users")
class ResUsers(BaseModel):
    """Users: a partner is created on the fly; ``context_get`` and ``has_group`` work."""

    ACCESS = {"create": GROUP_SYSTEM, "unlink": GROUP_SYSTEM}
    HIDDEN = frozenset({"password", "api_keys"})
    DEFAULTS = {"company_id": 1, "company_ids": [1], "lang": "en_US", "share": False}

    def _prepare_create(self, vals: dict[str, Any]) -> dict[str, Any]:
        name, email = vals.pop("name", None), vals.pop("email", None)
        if not vals.get("partner_id"):
            partner = {
                "name": name or vals.get("login"),
                "email": email or False,
                "company_id": vals.get("company_id") or 1,
            }
            vals["partner_id"] = self.env["res.partner"]._create_one(partner)
        if "groups_id" not in vals:
            gid = self.env.ref(GROUP_USER)
            vals["groups_id"] = [gid] if gid else []
        return vals

    def _after_create(self, rid: int) -> None:
        self._add_implied([rid])

    def _after_write(self, ids: list[int], vals: dict[str, Any]) -> None:
        if "groups_id" in vals:
            self._add_implied(ids)

    def _add_implied(self, ids: list[int]) -> None:
        """A user gets the groups its groups imply, transitively, as Odoo writes them:
        ``account.group_account_manager`` (Invoicing / Administrator) brings Billing
        (``account.group_account_invoice``), so ``has_group`` and posting see it."""
        for uid in ids:
            groups = list((self.env.store.get(self.name, uid) or {}).get("groups_id") or [])
            for gid in groups:  # grows while it is walked: the transitive closure
                implied = (self.env.store.get("res.groups", gid) or {}).get("implied_ids")
                groups += [g for g in implied or [] if g not in groups]
            self.env.store.update(self.name, uid, {"groups_id": groups})

    @api_model
    def context_get(self) -> dict[str, Any]:
        user = self.env.user()
        return {
            "lang": user.get("lang") or "en_US",
            "tz": user.get("tz") or False,
            "uid": self.env.uid,
        }

    @api_records
    def has_group(self, ids: list[int], group_ext_id: str) -> bool:
        uid = ids[0] if ids else self.env.uid
        gid = self.env.ref(group_ext_id)
        user = self.env.store.get(self.name, uid) or {}
        return gid is not None and gid in (user.get("groups_id") or [])


@register("ir.model")
class IrModel(BaseModel):
    """Installed models (read-only over RPC for non-admins)."""

    ACCESS = {"create": GROUP_SYSTEM, "write": GROUP_SYSTEM, "unlink": GROUP_SYSTEM}


@register("ir.model.data")
class IrModelData(BaseModel):
    """External ids: ``check_object_reference`` serves odoorpc's ``env.ref``."""

    ACCESS = {"create": GROUP_SYSTEM, "write": GROUP_SYSTEM, "unlink": GROUP_SYSTEM}

    def _compute(self, row: Row, name: str) -> Any:
        if name == "complete_name":
            return f"{row.get('module')}.{row.get('name')}"
        return super()._compute(row, name)

    @api_model
    def check_object_reference(
        self, module: str, xml_id: str, raise_on_access_error: bool = False
    ) -> list[Any]:
        for row in self.env.store.rows(self.name):
            if row["module"] == module and row["name"] == xml_id:
                return [row["model"], row["res_id"]]
        raise ValueError(f"External ID not found in the system: {module}.{xml_id}")
