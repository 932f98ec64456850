"""Odd real-world mail for the triage tests: the committed corpus, plus cases too big to commit.

``corpus()`` returns every file of ``tests/email/corpus`` with its entry in ``cases.yaml``
(``file``, ``what``, ``automated``): the raw bytes exactly as they arrive over IMAP (CRLF).
``huge_mail()`` and ``deep_multipart()`` build in memory what would bloat the repository: a
~30 MB attachment and a 60-deep multipart tree.
"""

from __future__ import annotations

import base64
import random
from pathlib import Path
from typing import Any

import yaml

__all__ = ["CORPUS_DIR", "corpus", "deep_multipart", "huge_mail"]

CORPUS_DIR = Path(__file__).resolve().parents[1] / "email" / "corpus"
CASES_FILE = CORPUS_DIR / "cases.yaml"
_KEYS = {"file": str, "what": str, "automated": bool}

_RECEIVED = (
    "Return-Path: <dana.whitfield@example.net>\r\n"
    "Delivered-To: ops@example.com\r\n"
    "Received: from mx.example.com ([192.0.2.10])\r\n"
    "\tby imap.example.com with LMTP\r\n"
    "\tid q8Lx5Fz0Khmc3PwAAwZ6Lk\r\n"
    "\t(envelope-from <dana.whitfield@example.net>)\r\n"
    "\tfor <ops@example.com>; Tue, 14 Jan 2025 08:12:35 +0000\r\n"
    "Received: from mail.example.net (mail.example.net [198.51.100.23])\r\n"
    "\tby mx.example.com (Postfix) with ESMTPS id 4YXq9m1Rz2z1\r\n"
    "\tfor <ops@example.com>; Tue, 14 Jan 2025 08:12:33 +0000 (UTC)\r\n"
    "Date: Tue, 14 Jan 2025 09:12:31 +0100\r\n"
    "From: Dana Whitfield <dana.whitfield@example.net>\r\n"
    "To: ops@example.com\r\n"
)


def _headers(subject: str, message_id: str, content_type: str) -> str:
    return (
        f"{_RECEIVED}Subject: {subject}\r\nMessage-ID: {message_id}\r\n"
        "User-Agent: Mozilla Thunderbird\r\nMIME-Version: 1.0\r\n"
        f"Content-Type: {content_type}\r\n\r\n"
    )


def huge_mail(size_bytes: int = 30 * 2**20) -> bytes:
    """A person's mail with a text part and a ``size_bytes`` (decoded) PDF attachment.

    The attachment is base64 in 76-character lines; every line ends with CRLF.
    """
    if size_bytes < 0:
        raise ValueError("size_bytes must be >= 0")
    boundary = "------------hUgE0a1b2c3d4e5f6g7h"
    payload = b"%PDF-1.7\n" + random.Random(size_bytes).randbytes(max(size_bytes - 9, 0))
    encoded = base64.encodebytes(payload[:size_bytes]).replace(b"\n", b"\r\n")
    head = _headers(
        "Scanned delivery notes (January)",
        "<3f2c9d1e-8a7b-4c6d-9e0f-1a2b3c4d5e6f@example.net>",
        f'multipart/mixed; boundary="{boundary}"',
    ) + (
        f"This is a multi-part message in MIME format.\r\n--{boundary}\r\n"
        "Content-Type: text/plain; charset=UTF-8; format=flowed\r\n"
        "Content-Transfer-Encoding: 7bit\r\n\r\n"
        "Hello,\r\n\r\nall delivery notes for January are in the attached scan.\r\n\r\n"
        f"Dana\r\n\r\n--{boundary}\r\n"
        'Content-Type: application/pdf; name="delivery_notes_2025-01.pdf"\r\n'
        'Content-Disposition: attachment; filename="delivery_notes_2025-01.pdf"\r\n'
        "Content-Transfer-Encoding: base64\r\n\r\n"
    )
    return head.encode("ascii") + encoded + f"\r\n--{boundary}--\r\n".encode("ascii")


def deep_multipart(depth: int = 60) -> bytes:
    """``depth`` nested multipart/mixed parts around one text/plain leaf that says hello."""
    if depth < 1:
        raise ValueError("depth must be >= 1")
    inner = (
        "Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\n"
        "hello\r\n"
    )
    for level in range(depth - 1, 0, -1):
        b = f"=_deep_{level:03d}"
        inner = (
            f'Content-Type: multipart/mixed; boundary="{b}"\r\n\r\n--{b}\r\n{inner}\r\n--{b}--\r\n'
        )
    top = "=_deep_000"
    head = _headers(
        "Nested forward", "<deep-multipart-60@example.net>", f'multipart/mixed; boundary="{top}"'
    )
    return f"{head}--{top}\r\n{inner}\r\n--{top}--\r\n".encode("ascii")


def _entries() -> list[dict[str, Any]]:
    loaded: Any = yaml.safe_load(CASES_FILE.read_text(encoding="utf-8"))
    if not isinstance(loaded, list):
        raise ValueError(f"{CASES_FILE}: expected a list of entries")
    entries: list[dict[str, Any]] = []
    for entry in loaded:
        if not isinstance(entry, dict) or set(entry) != set(_KEYS):
            raise ValueError(f"{CASES_FILE}: bad entry {entry!r}")
        for key, kind in _KEYS.items():
            if not isinstance(entry[key], kind):
                raise ValueError(f"{CASES_FILE}: {key} of {entry!r} is not {kind.__name__}")
        entries.append(entry)
    return entries


def corpus() -> list[tuple[str, bytes, dict[str, Any]]]:
    """Every corpus file as (file name, raw bytes, its cases.yaml entry), in file order.

    Raises ValueError when cases.yaml and the .eml files in the folder disagree.
    """
    listed = _entries()
    names = [entry["file"] for entry in listed]
    files = sorted(path.name for path in CORPUS_DIR.glob("*.eml"))
    if sorted(names) != files:
        odd = set(files) ^ set(names) or {name for name in names if names.count(name) > 1}
        raise ValueError(f"cases.yaml and {CORPUS_DIR} disagree about: {sorted(odd)}")
    entries = {entry["file"]: entry for entry in listed}
    return [(name, (CORPUS_DIR / name).read_bytes(), entries[name]) for name in files]
