"""The connector reference documents every option the connector accepts."""

from __future__ import annotations

from pathlib import Path

from connectors.sources.postgres_cdc.config import CONFIG_DEF

DOCS = Path(__file__).resolve().parents[4] / "docs"


def test_every_option_is_in_the_reference() -> None:
    text = (DOCS / "postgres-connector.md").read_text()
    missing = [k.name for k in CONFIG_DEF if f"`{k.name}`" not in text]
    assert not missing, f"add these options to docs/postgres-connector.md: {missing}"
