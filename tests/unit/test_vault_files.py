"""The vault file model: exact round trips, atomic writes, refusals."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.errors import VaultFileError
from shared.vault_files import VaultDoc, create_doc, parse, read_doc, render, write_doc

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=40),
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)
metas = st.dictionaries(st.text(min_size=1, max_size=20), values, max_size=8)


@given(meta=metas, body=st.text(max_size=200))
def test_frontmatter_round_trip(meta: dict[str, object], body: str) -> None:
    doc = VaultDoc(meta, body)
    again = parse(render(doc))
    if meta:
        assert again == doc
    else:
        assert again.body == body


def test_timestamps_stay_strings() -> None:
    doc = parse("---\ncreated: 2026-11-25T10:00:00Z\nday: 2026-11-25\n---\n")
    assert doc.meta == {"created": "2026-11-25T10:00:00Z", "day": "2026-11-25"}


@pytest.mark.parametrize(
    "text",
    [
        "---\n!!python/object/apply:os.system ['id']\n---\n",
        "---\nx: !!binary aGVsbG8=\n---\n",
        "---\n- a\n---\n",
        "---\n1: numeric key\n---\n",
        "---\nkey: [\n---\n",
        "---\nopen: fence\n",
    ],
)
def test_refuses_unsafe_or_malformed(text: str) -> None:
    with pytest.raises(VaultFileError, match="frontmatter"):
        parse(text, name="t.md")


def test_refuses_non_utf8_and_oversize(tmp_path: Path) -> None:
    bad = tmp_path / "bad.md"
    bad.write_bytes(b"caf\xe9")
    with pytest.raises(VaultFileError, match="not UTF-8"):
        read_doc(bad)
    big = tmp_path / "big.md"
    big.write_bytes(b"x" * (3 * 1024 * 1024))
    with pytest.raises(VaultFileError, match="larger than"):
        read_doc(big)


def test_atomic_write_leaves_no_temp_files(tmp_path: Path) -> None:
    path = tmp_path / "a.md"
    for n in range(20):
        write_doc(path, VaultDoc({"n": n}, "body"))
    assert read_doc(path).meta == {"n": 19}
    assert [p.name for p in tmp_path.iterdir()] == ["a.md"]


def test_create_doc_never_replaces(tmp_path: Path) -> None:
    path = tmp_path / "a.md"
    assert create_doc(path, VaultDoc({"v": 1}, ""))
    assert not create_doc(path, VaultDoc({"v": 2}, ""))
    assert read_doc(path).meta == {"v": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["a.md"]
