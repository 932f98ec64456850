"""Vault files: markdown with YAML frontmatter, read safely and written atomically.

Reading refuses what could hurt: a link, a FIFO or any file that is not regular, or one
reached through a linked folder (:mod:`shared.containment`); a file over
:data:`MAX_FILE_BYTES`; bytes that are not UTF-8; and YAML that is not a plain mapping of
plain values: no tags (``!!python/object`` and friends), no anchors or aliases (an alias
bomb of 500 bytes would otherwise cost minutes), at most :data:`MAX_YAML_DEPTH` levels.
Timestamps stay strings, so a round trip is exact and Obsidian shows them as text
properties it can still sort.

Writing is atomic: a temp file in the same folder, ``fsync``, then ``rename`` over the
target. A reader, or Syncthing, never sees a half-written file. The same byte limit holds
on writing as on reading, so nothing is written that could not be read back.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from shared.containment import NotContained, check_folder, kind_of, open_regular
from shared.errors import VaultFileError, vault_write_error

__all__ = [
    "MAX_BODY_CHARS",
    "MAX_FILE_BYTES",
    "TEMP_PREFIX",
    "VaultDoc",
    "atomic_write_text",
    "create_doc",
    "parse",
    "read_doc",
    "read_vault_bytes",
    "render",
    "write_doc",
    "write_vault_text",
]

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_BODY_CHARS = 1_000_000
MAX_YAML_DEPTH = 16
TEMP_PREFIX = ".aie-tmp-"
_FENCE = "---"


# libyaml's parser and emitter when present (ten times faster); the same safe rules.
_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_BaseDumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
_TEMPLATER = "<%"
# YAML 1.1 reads these as line breaks inside plain and quoted scalars.
_YAML_BREAKS = ("\x85", "\u2028", "\u2029")


class _Loader(_BaseLoader):  # type: ignore[misc, valid-type]
    """The safe loader without implicit timestamps: dates stay the strings they were."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.copy().items()
}


class _Dumper(_BaseDumper):  # type: ignore[misc, valid-type]
    pass


def _str_representer(dumper: Any, value: str) -> yaml.ScalarNode:
    # "<%" is Templater's tag, and Templater reads a new file's raw text: such a value is
    # written double-quoted, where render() spells its "%" as "\x25"
    style = '"' if _TEMPLATER in value else "|" if "\n" in value else None
    node: yaml.ScalarNode = dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)
    return node


_Dumper.add_representer(str, _str_representer)


@dataclass
class VaultDoc:
    """One vault file: the frontmatter mapping and the markdown body."""

    meta: dict[str, Any] = field(default_factory=dict)
    body: str = ""


def parse(text: str, *, name: str = "file") -> VaultDoc:
    """Split ``text`` into frontmatter and body; a file without frontmatter is all body."""
    if not text.startswith(_FENCE):
        return VaultDoc({}, text)
    lines = text.split("\n")
    if lines[0].strip() != _FENCE:
        return VaultDoc({}, text)
    for end in range(1, len(lines)):
        if lines[end].rstrip("\r") == _FENCE:
            break
    else:
        raise VaultFileError(
            f"{name}: frontmatter has no closing '---' line; "
            "fix the file or move it out of the vault"
        )
    raw = "\n".join(lines[1:end])
    try:
        _check_plain_yaml(raw, name)
        meta = yaml.load(raw, Loader=_Loader) if raw.strip() else {}
    except yaml.YAMLError as error:
        problem = getattr(error, "problem", None) or type(error).__name__
        raise VaultFileError(
            f"{name}: frontmatter is not valid YAML ({problem}); only plain YAML without tags "
            "is accepted: fix the file in Obsidian or a text editor"
        ) from None
    if not isinstance(meta, dict) or not all(isinstance(k, str) for k in meta):
        raise VaultFileError(
            f"{name}: frontmatter must be a mapping of names to values; fix the file"
        )
    if not _is_plain(meta):
        raise VaultFileError(
            f"{name}: frontmatter holds a value that is not plain text, number, true/false, "
            "list or mapping (e.g. !!binary); fix the file"
        )
    body = "\n".join(lines[end + 1 :])
    return VaultDoc(meta, body)


def _check_plain_yaml(raw: str, name: str) -> None:
    """Refuse, before anything is built, YAML with tags, anchors or aliases, or nested
    deeper than :data:`MAX_YAML_DEPTH`: a pass over the parser's events, nothing more."""
    depth = 0
    for event in yaml.parse(raw, Loader=_Loader):
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise VaultFileError(
                f"{name}: frontmatter uses YAML anchors or aliases (&, *), which are refused; "
                "write each value out in full"
            )
        tag = getattr(event, "tag", None)
        if tag not in (None, "!"):
            raise VaultFileError(
                f"{name}: frontmatter has a YAML tag ({str(tag)[:40]}); only plain YAML "
                "without tags is accepted: fix the file in Obsidian or a text editor"
            )
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_YAML_DEPTH:
                raise VaultFileError(
                    f"{name}: frontmatter is nested deeper than {MAX_YAML_DEPTH} levels; "
                    "fix the file or move it out of the vault"
                )
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def _is_plain(value: Any) -> bool:
    if value is None or isinstance(value, str | bool | int | float):
        return True
    if isinstance(value, list):
        return all(_is_plain(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _is_plain(v) for k, v in value.items())
    return False


def render(doc: VaultDoc) -> str:
    """Frontmatter then body; the inverse of :func:`parse` for mappings of plain values."""
    if not doc.meta:
        return doc.body
    head = _dump(doc.meta, allow_unicode=True)
    if any(ch in head for ch in _YAML_BREAKS):
        # These do not survive unescaped: escape every non-ASCII character instead.
        head = _dump(doc.meta, allow_unicode=False)
    head = head.replace(_TEMPLATER, "<\\x25")  # only inside double quotes (see above)
    return f"{_FENCE}\n{head}{_FENCE}\n{doc.body}"


def _dump(meta: dict[str, Any], allow_unicode: bool) -> str:
    return yaml.dump(
        meta,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=allow_unicode,
        default_flow_style=False,
        width=10_000,
    )


def read_doc(path: Path) -> VaultDoc:
    """Read and parse one vault file, refusing oversize, non-UTF-8 and unsafe content."""
    try:
        data = _read_at_most(path, MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise
    except OSError as error:
        raise VaultFileError(f"{path.name}: cannot be read ({error.strerror})") from None
    if len(data) > MAX_FILE_BYTES:
        raise VaultFileError(
            f"{path.name}: larger than {MAX_FILE_BYTES // 1024 // 1024} MB; "
            "move the large content out of the vault and link to it"
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise VaultFileError(
            f"{path.name}: not UTF-8 text (bad byte at offset {error.start}); "
            "save it as UTF-8 or move it out of the vault"
        ) from None
    return parse(text, name=path.name)


def read_vault_bytes(path: Path) -> bytes:
    """A vault file's bytes (a regular file reached through no link, within the limit)."""
    data = _read_at_most(path, MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise VaultFileError(f"{path.name}: larger than {MAX_FILE_BYTES // 1024 // 1024} MB")
    return data


def _read_at_most(path: Path, limit: int) -> bytes:
    """Up to ``limit`` bytes of the file, in as few system calls as its size allows."""
    fd = open_regular(path)
    try:
        want = min(os.fstat(fd).st_size + 1, limit)
        parts: list[bytes] = []
        while limit > 0:
            chunk = os.read(fd, want)
            if not chunk:
                break
            parts.append(chunk)
            limit -= len(chunk)
            want = min(1 << 16, limit)
        return b"".join(parts)
    finally:
        os.close(fd)


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that readers see the old or the new file, never half.

    The content is fsynced before the rename, so a crash leaves the old file or the new
    one, never an empty or torn one. The folder is not fsynced: after a power cut the
    rename itself may be lost, which leaves the previous complete version in place.
    """
    tmp = f"{path.parent}/{TEMP_PREFIX}{path.name}.{secrets.token_hex(4)}"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            try:
                _write_all(fd, text.encode("utf-8"))
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
    except OSError as error:
        raise vault_write_error(path.name, error) from error


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def write_vault_text(path: Path, text: str) -> None:
    """:func:`atomic_write_text` for a file of the vault: in a folder reached through no
    link, never over a link or special file, never larger than what reading accepts."""
    data = _vault_bytes(path, text)
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        mode = stat.S_IFREG
    if not stat.S_ISREG(mode):
        raise NotContained(f"{path.name} is {kind_of(mode)}; nothing is written over it")
    atomic_write_text(path, data.decode("utf-8"))


def _vault_bytes(path: Path, text: str) -> bytes:
    check_folder(path.parent)
    data = text.encode("utf-8")
    if len(data) > MAX_FILE_BYTES:
        raise VaultFileError(
            f"{path.name} would be {len(data) // 1024} KB, over the "
            f"{MAX_FILE_BYTES // 1024 // 1024} MB a vault file may have; nothing was written"
        )
    return data


def write_doc(path: Path, doc: VaultDoc) -> None:
    write_vault_text(path, render(doc))


def create_doc(path: Path, doc: VaultDoc) -> bool:
    """Create ``path`` atomically only if it does not exist; False if it already did."""
    folder = path.parent
    data = _vault_bytes(path, render(doc))
    tmp = folder / f"{TEMP_PREFIX}{path.name}.{secrets.token_hex(4)}"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            try:
                os.link(tmp, path)  # link, unlike rename, refuses to replace an existing file
            except FileExistsError:
                return False
        finally:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
    except OSError as error:
        raise vault_write_error(path.name, error) from error
    return True
