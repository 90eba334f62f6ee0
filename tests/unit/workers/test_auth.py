"""Credentials of the optional REST authentication (hub/api/auth.py)."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from hub.api.auth import Credentials


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def test_basic_and_bearer() -> None:
    creds = Credentials({"alice": "pw:with:colons"}, ("tok",))
    assert creds.allows(_basic("alice", "pw:with:colons"))
    assert creds.allows("Bearer tok") and creds.allows("bearer tok")
    for header in (
        None,
        "",
        _basic("alice", "pw"),
        _basic("bob", "x"),
        "Bearer nope",
        "Basic !!!notbase64",
        "Digest abc",
        "Basic " + base64.b64encode(b"alice").decode(),
    ):
        assert not creds.allows(header), header


def test_load_reports_a_bad_file(tmp_path: Path) -> None:
    good = tmp_path / "auth.json"
    good.write_text('{"users": {"a": "b"}, "tokens": ["t"]}')
    assert Credentials.load(good) == Credentials({"a": "b"}, ("t",))
    bad = tmp_path / "bad.json"
    bad.write_text('{"users": ["a"]}')
    with pytest.raises(ValueError, match="must hold"):
        Credentials.load(bad)
    with pytest.raises(ValueError, match="cannot read"):
        Credentials.load(tmp_path / "missing.json")
