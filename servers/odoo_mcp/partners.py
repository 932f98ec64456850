"""Partners: find (tolerant of typos), resolve exactly, create without duplicates."""

from __future__ import annotations

import difflib
import re
from typing import Any

from servers.odoo_mcp.books import OdooBooks
from servers.odoo_mcp.models import Partner, PartnerCreateResult, PartnerFindResult
from shared.budget import fitting
from shared.errors import InvalidInput, NotFound

__all__ = ["create_partner", "find_partners", "resolve_partner"]

FIELDS = ["name", "email", "vat", "phone", "is_company", "city"]
FUZZY_POOL = 2000  # partners scored when no substring matches (typos)
MIN_FUZZY_SCORE = 0.6


def _partner(row: dict[str, Any], score: float | None = None) -> Partner:
    return Partner(
        id=row["id"],
        name=row["name"] or "",
        email=row.get("email") or None,
        vat=row.get("vat") or None,
        phone=row.get("phone") or None,
        is_company=bool(row.get("is_company")),
        city=row.get("city") or None,
        score=None if score is None else round(score, 3),
    )


def _score(query: str, row: dict[str, Any]) -> float:
    q = query.casefold().strip()
    name = (row.get("name") or "").casefold()
    fields = [name, (row.get("email") or "").casefold(), (row.get("vat") or "").casefold()]
    if q in fields:
        return 1.0
    best = difflib.SequenceMatcher(None, q, name).ratio()
    words = name.split()
    for token in q.split():
        if words:
            best = max(
                best, 0.9 * max(difflib.SequenceMatcher(None, token, w).ratio() for w in words)
            )
    if any(q and q in f for f in fields):
        best = max(best, 0.8)
    return best


async def find_partners(
    books: OdooBooks, query: str, limit: int, offset: int = 0
) -> PartnerFindResult:
    """Substring match on name, email and VAT; when that finds nothing, a typo-tolerant
    match on names. Best first, a page at a time (cut shorter when its entries are long)."""
    q = query.strip()
    tokens = [t for t in re.split(r"\s+", q) if len(t) >= 2] or [q]
    domain: list[Any] = []
    terms: list[list[Any]] = [["email", "ilike", q], ["vat", "ilike", q]]
    terms += [["name", "ilike", token] for token in tokens]
    domain = ["|"] * (len(terms) - 1) + terms
    rows = await books.odoo.call("res.partner", "search_read", domain, fields=FIELDS, limit=200)
    scored = [(_score(q, row), row) for row in rows]
    if not scored:
        pool = await books.odoo.call(
            "res.partner", "search_read", [], fields=FIELDS, limit=FUZZY_POOL
        )
        scored = [(s, row) for row in pool if (s := _score(q, row)) >= MIN_FUZZY_SCORE]
    scored.sort(key=lambda pair: (-pair[0], pair[1]["name"] or "", pair[1]["id"]))
    page = [_partner(row, s) for s, row in scored[offset : offset + limit]]
    page = page[: fitting(page)]
    following = offset + len(page)
    return PartnerFindResult(
        query=q, partners=page, next_offset=following if following < len(scored) else None
    )


async def resolve_partner(books: OdooBooks, partner: int | str) -> Partner:
    """A partner id, or an exact (case-insensitive) name or email, naming exactly one."""
    if isinstance(partner, int):
        rows = await books.odoo.call(
            "res.partner", "search_read", [["id", "=", partner]], fields=FIELDS
        )
        if not rows:
            raise NotFound(f"no partner with id {partner} in Odoo; search with partner_find")
        return _partner(rows[0])
    text = partner.strip()
    if not text:
        raise InvalidInput("partner is empty: give an id, or an exact name or email")
    domain = ["|", ["name", "=ilike", text], ["email", "=ilike", text]]
    rows = await books.odoo.call("res.partner", "search_read", domain, fields=FIELDS, limit=20)
    if len(rows) == 1:
        return _partner(rows[0])
    if rows:
        listed = "; ".join(
            f"{r['id']}: {r['name']} <{r.get('email') or 'no email'}>" for r in rows[:10]
        )
        raise InvalidInput(
            f"partner {text!r} is ambiguous: {len(rows)} partners match ({listed}); "
            "pass the id instead"
        )
    suggestions = (await find_partners(books, text, 3)).partners
    hint = (
        "; did you mean " + ", ".join(f"{p.name!r} (id {p.id})" for p in suggestions)
        if suggestions
        else ""
    )
    raise NotFound(
        f"no partner named or with the email {text!r} in Odoo{hint}? "
        "Create it with partner_create, or pass an id"
    )


async def create_partner(books: OdooBooks, values: dict[str, Any]) -> PartnerCreateResult:
    """Create a partner unless one with the same email (or, without email, the same name)
    exists: then return that one with ``created`` false."""
    if values.get("email"):
        same = ["email", "=ilike", values["email"]]
    else:
        same = ["name", "=ilike", values["name"]]
    rows = await books.odoo.call("res.partner", "search_read", [same], fields=FIELDS, limit=1)
    if rows:
        return PartnerCreateResult(**_partner(rows[0]).model_dump(), created=False)
    clean = {k: v for k, v in values.items() if v not in (None, "")}
    new_id = await books.odoo.call("res.partner", "create", clean, write=True)
    books.vault.audit.record(
        "odoo_partner_create",
        f"res.partner/{new_id}",
        params={k: clean[k] for k in ("name", "email") if k in clean},
    )
    rows = await books.odoo.call("res.partner", "search_read", [["id", "=", new_id]], fields=FIELDS)
    return PartnerCreateResult(**_partner(rows[0]).model_dump(), created=True)
