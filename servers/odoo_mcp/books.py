"""What every Odoo operation works on: the Odoo session (the :mod:`.rpc` adapter), the
vault replica, the mode, and the small lookups the operations share (taxes, accounts,
reading an invoice back). The operations themselves are in :mod:`.partners`,
:mod:`.invoices`, :mod:`.requests` and :mod:`.execute`; :class:`.service.OdooService` is
the one object the tools call."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any, Literal

from servers.odoo_mcp.models import Invoice, InvoiceLine, InvoiceRow
from servers.odoo_mcp.rpc import OdooClient
from shared.clock import Clock, system_clock
from shared.errors import InvalidInput, NotFound, RoleForbidden
from shared.settings import CoreSettings, OdooSettings
from shared.vault import Vault

__all__ = [
    "INVOICE_SPEC",
    "INVOICE_TYPES",
    "MOVE_FIELDS",
    "WEB_SAVE_SINCE",
    "OdooBooks",
    "effective_mode",
]

Mode = Literal["draft", "live"]

MOVE_FIELDS = [
    "name",
    "move_type",
    "state",
    "payment_state",
    "partner_id",
    "invoice_date",
    "invoice_date_due",
    "ref",
    "currency_id",
    "amount_untaxed",
    "amount_tax",
    "amount_total",
    "amount_residual",
]
LINE_FIELDS = [
    "move_id",
    "name",
    "quantity",
    "price_unit",
    "tax_ids",
    "price_subtotal",
    "price_total",
]
TAX_CACHE_SECONDS = 300.0
# An invoice with its lines and their taxes' names in one ``web_read`` (Odoo 17 and later),
# so that ``web_save`` creates a draft and reads it back in one request.
_NAMED: dict[str, Any] = {"fields": {"display_name": {}}}
INVOICE_SPEC: dict[str, Any] = {
    **{name: _NAMED if name in ("partner_id", "currency_id") else {} for name in MOVE_FIELDS},
    "invoice_line_ids": {
        "fields": {
            **{name: {} for name in LINE_FIELDS if name not in ("move_id", "tax_ids")},
            "display_type": {},
            "tax_ids": {"fields": {"name": {}}},
        }
    },
}
WEB_SAVE_SINCE = 17


def effective_mode(core: CoreSettings, odoo: OdooSettings) -> Mode:
    """draft on cloud, live on local unless set; live on cloud is a configuration error."""
    mode: Mode = odoo.mode or ("live" if core.role == "local" else "draft")
    if mode == "live" and core.role != "local":
        raise RoleForbidden("AIE_ODOO_MODE=live needs AIE_ROLE=local: the cloud never posts")
    return mode


class OdooBooks:
    def __init__(
        self,
        core: CoreSettings,
        settings: OdooSettings,
        clock: Clock = system_clock,
        client: OdooClient | None = None,
    ) -> None:
        self.settings = settings
        self.mode = effective_mode(core, settings)
        self.vault = Vault(core, clock)
        self.clock = clock
        self.odoo = client or OdooClient(settings)
        self._taxes: list[dict[str, Any]] = []
        self._taxes_at = -TAX_CACHE_SECONDS

    def today(self) -> dt.date:
        return self.clock().date()

    def require_live(self, what: str) -> None:
        """Defence in depth: these tools are not registered in draft mode, and refuse."""
        self.vault.require_local(what)
        if self.mode != "live":
            self.vault.audit.record(what, "-", result="refused", detail="draft mode")
            raise RoleForbidden(
                f"{what} needs AIE_ODOO_MODE=live; this server runs in draft mode and "
                "never posts or registers payments"
            )

    # -- taxes and accounts -----------------------------------------------------------------
    async def taxes(self, refresh: bool = False) -> list[dict[str, Any]]:
        if refresh or time.monotonic() - self._taxes_at > TAX_CACHE_SECONDS:
            self._taxes = await self.odoo.call(
                "account.tax",
                "search_read",
                [],
                fields=["name", "type_tax_use", "amount"],
            )
            self._taxes_at = time.monotonic()
        return self._taxes

    async def tax_ids(self, names: list[str], move_type: str) -> list[int]:
        use = "sale" if move_type.startswith("out_") else "purchase"
        ids: list[int] = []
        for refresh in (False, True):
            known = {
                t["name"].casefold(): t["id"]
                for t in await self.taxes(refresh)
                if t["type_tax_use"] == use
            }
            missing = [name for name in names if name.casefold() not in known]
            if not missing:
                ids = [known[name.casefold()] for name in names]
                return ids
        available = sorted(t["name"] for t in self._taxes if t["type_tax_use"] == use)
        raise InvalidInput(
            f"unknown {use} tax {', '.join(map(repr, missing))}; the {use} taxes in Odoo are: "
            + (", ".join(available) or "none")
        )

    async def tax_names(self, ids: list[int]) -> list[str]:
        by_id = {t["id"]: t["name"] for t in await self.taxes()}
        if any(i not in by_id for i in ids):
            by_id = {t["id"]: t["name"] for t in await self.taxes(refresh=True)}
        return [by_id.get(i, f"tax #{i}") for i in ids]

    async def account_id(self, code: str) -> int:
        rows = await self.odoo.call(
            "account.account", "search_read", [["code", "=", code]], fields=["id"], limit=1
        )
        if not rows:
            raise InvalidInput(
                f"no account with code {code!r} in Odoo; omit it to use the journal's"
            )
        return int(rows[0]["id"])

    # -- reading invoices back ----------------------------------------------------------------
    async def move_rows(self, domain: list[Any], **kwargs: Any) -> list[dict[str, Any]]:
        return list(
            await self.odoo.call(
                "account.move", "search_read", domain, fields=MOVE_FIELDS, **kwargs
            )
        )

    async def move_row(self, invoice_id: int) -> dict[str, Any]:
        rows = await self.move_rows(
            [["id", "=", invoice_id], ["move_type", "in", list(INVOICE_TYPES)]]
        )
        if not rows:
            raise NotFound(
                f"no invoice or bill with id {invoice_id} in Odoo; find it with invoice_list"
            )
        return rows[0]

    def row(self, raw: dict[str, Any]) -> InvoiceRow:
        return InvoiceRow(**self._row_fields(raw))

    async def invoice(self, invoice_id: int, raw: dict[str, Any] | None = None) -> Invoice:
        raw = raw or await self.move_row(invoice_id)
        lines = await self.odoo.call(
            "account.move.line",
            "search_read",
            [["move_id", "=", invoice_id], ["display_type", "=", "product"]],
            fields=LINE_FIELDS,
        )
        out = []
        for line in lines:
            out.append(
                InvoiceLine(
                    description=line["name"] or "",
                    quantity=line["quantity"],
                    price_unit=line["price_unit"],
                    taxes=await self.tax_names(list(line["tax_ids"] or [])),
                    subtotal=line["price_subtotal"],
                    total=line["price_total"],
                )
            )
        return Invoice(**self._row_fields(raw), lines=out)

    def invoice_from_web(self, web: dict[str, Any]) -> Invoice:
        """An invoice from its ``web_read`` with :data:`INVOICE_SPEC`."""
        raw = dict(web)
        for name in ("partner_id", "currency_id"):
            named = raw.get(name)
            raw[name] = [named["id"], named["display_name"]] if named else False
        lines = [
            InvoiceLine(
                description=line["name"] or "",
                quantity=line["quantity"],
                price_unit=line["price_unit"],
                taxes=[tax["name"] for tax in line["tax_ids"] or []],
                subtotal=line["price_subtotal"],
                total=line["price_total"],
            )
            for line in raw.pop("invoice_line_ids") or []
            if line["display_type"] == "product"
        ]
        return Invoice(**self._row_fields(raw), lines=lines)

    def _row_fields(self, raw: dict[str, Any]) -> dict[str, Any]:
        partner = raw.get("partner_id") or None
        currency = raw.get("currency_id") or None
        due = _date(raw.get("invoice_date_due"))
        overdue = 0
        if raw["state"] == "posted" and raw["payment_state"] in ("not_paid", "partial") and due:
            overdue = max(0, (self.today() - due).days)
        return {
            "invoice_id": raw["id"],
            "name": raw["name"] if raw.get("name") not in (False, None, "/") else None,
            "move_type": raw["move_type"],
            "state": raw["state"],
            "payment_state": raw.get("payment_state") or "not_paid",
            "partner_id": partner[0] if partner else None,
            "partner_name": partner[1] if partner else None,
            "invoice_date": _date(raw.get("invoice_date")),
            "due_date": due,
            "reference": raw.get("ref") or None,
            "currency": currency[1] if currency else "",
            "amount_untaxed": raw["amount_untaxed"],
            "amount_tax": raw["amount_tax"],
            "amount_total": raw["amount_total"],
            "amount_residual": raw["amount_residual"],
            "days_overdue": overdue,
        }


INVOICE_TYPES = ("out_invoice", "in_invoice", "out_refund", "in_refund")


def _date(value: Any) -> dt.date | None:
    return dt.date.fromisoformat(value) if isinstance(value, str) and value else None
