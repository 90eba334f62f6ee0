"""docs/topic-configs.md lists exactly the configs hub/core_log/configs.py accepts."""

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from hub.core_log.configs import TOPIC_CONFIGS

ROOT = Path(__file__).resolve().parents[3]


def _load_script() -> ModuleType:
    path = ROOT / "scripts" / "gen_topic_configs_doc.py"
    spec = importlib.util.spec_from_file_location("gen_topic_configs_doc", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_doc_is_up_to_date() -> None:
    gen = _load_script()
    assert gen.main(["--check", str(gen.DOC)]) == 0, (
        "docs/topic-configs.md is stale: run python scripts/gen_topic_configs_doc.py"
    )


def test_every_config_has_a_row_and_prose() -> None:
    text = (ROOT / "docs" / "topic-configs.md").read_text()
    for name in TOPIC_CONFIGS:
        assert f"| `{name}` |" in text, name
        assert f"**`{name}`**" in text, f"{name} has no paragraph in 'What each one does'"


def test_check_detects_a_stale_table(tmp_path, capsys) -> None:
    gen = _load_script()
    doc = tmp_path / "doc.md"
    doc.write_text(f"intro\n{gen.BEGIN}\n| old table |\n{gen.END}\noutro\n")
    assert gen.main(["--check", str(doc)]) == 1
    assert "out of date" in capsys.readouterr().err
    assert gen.main([str(doc)]) == 0
    fresh = doc.read_text()
    assert fresh.startswith("intro\n") and fresh.endswith("outro\n")
    assert "| `retention.ms` | long | `604800000 (7 d)` |" in fresh
    assert gen.main(["--check", str(doc)]) == 0


def test_missing_markers_are_reported(tmp_path) -> None:
    gen = _load_script()
    doc = tmp_path / "doc.md"
    doc.write_text("no markers here\n")
    with pytest.raises(ValueError, match="markers not found"):
        gen.main([str(doc)])
    assert sys.modules.get("gen_topic_configs_doc") is None
