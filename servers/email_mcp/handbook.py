"""Company_Handbook.md: the rules of the house, read from its frontmatter."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field, ValidationError

from shared.errors import VaultFileError
from shared.layout import HANDBOOK
from shared.vault_files import read_doc

__all__ = ["Handbook", "load_handbook"]


class Handbook(BaseModel):
    business_name: str = "our business"
    owner_name: str = ""
    greeting: str = "Hello {first_name},"
    signature: str = "Best regards"
    known_contacts: list[str] = Field(default_factory=list)
    auto_reply_domains: list[str] = Field(default_factory=list)
    never_auto_reply: list[str] = Field(default_factory=list)

    def may_auto_reply(self, address: str) -> bool:
        """Listed contacts and domains may get a drafted reply; with both lists empty,
        everyone may."""
        if not self.known_contacts and not self.auto_reply_domains:
            return True
        address = address.lower()
        domain = address.rsplit("@", 1)[-1]
        return address in {c.lower() for c in self.known_contacts} or domain in {
            d.lower().lstrip("@") for d in self.auto_reply_domains
        }

    def forbidden_topic(self, text: str) -> str | None:
        lowered = text.lower()
        return next((word for word in self.never_auto_reply if word.lower() in lowered), None)


def load_handbook(vault: Path) -> Handbook:
    """The handbook's rules; defaults when the file is missing, an error when it is broken."""
    path = vault / HANDBOOK
    try:
        meta = read_doc(path).meta
    except FileNotFoundError:
        return Handbook()
    try:
        return Handbook.model_validate(meta)
    except ValidationError as error:
        fields = ", ".join(str(e["loc"][0]) for e in error.errors())
        raise VaultFileError(
            f"{HANDBOOK}: properties {fields} have the wrong type; fix them in Obsidian"
        ) from None
