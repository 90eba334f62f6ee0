"""docs/connectors-reference.md documents every key of every bundled connector, as declared."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.api import ConfigDef, to_config_string
from connectors.plugins import default_registry
from connectors.sinks import PLUGINS as SINKS
from connectors.sources import PLUGINS as SOURCES

DOC = Path(__file__).parents[4] / "docs" / "connectors-reference.md"


def _rows() -> dict[str, list[str]]:
    rows: dict[str, list[str]] = {}
    section = ""
    for line in DOC.read_text().splitlines():
        if line.startswith("## "):
            section = line[3:]
        elif line.startswith("| `") and section and line.count(" | ") == 3:
            cells = [c.strip() for c in line.strip("|").split(" | ")]
            rows.setdefault(f"{section}/{cells[0].strip('`')}", cells)
    return rows


@pytest.mark.parametrize("spec", [*SOURCES, *SINKS], ids=lambda s: s.target)
def test_every_key_is_documented_with_its_type_and_default(spec: object) -> None:
    cls = default_registry().connector_class(spec.target)  # type: ignore[attr-defined]
    definition: ConfigDef = cls().config_def()
    rows = _rows()
    sections = {key.split("/")[0] for key in rows}
    section = next(s for s in sections if f"{s}/{definition.names()[0]}" in rows
                   and all(f"{s}/{n}" in rows for n in definition.names()))  # fmt: skip
    for key in definition:
        cells = rows[f"{section}/{key.name}"]
        assert cells[1] == key.type.value, key.name
        shown = to_config_string(key.default, key.type)
        expected = (
            "*required*"
            if key.required
            else ('""' if shown == "" else f"`{shown}`" if shown else "null")
        )
        assert cells[2] == expected, key.name


def test_every_bundled_connector_has_a_section() -> None:
    text = DOC.read_text()
    for spec in [*SOURCES, *SINKS]:
        assert spec.target.replace(":", ".") in text, spec.target
