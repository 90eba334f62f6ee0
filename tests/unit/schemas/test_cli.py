"""`hub schemas ...` against the registry over HTTP."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from hub.cli.schemas import command


def run(url: str, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(command, [*args, "--url", url])
    return result.exit_code, result.output


def test_register_get_list_check_delete(registry_url: str, tmp_path: Path) -> None:
    v1 = tmp_path / "user.avsc"
    v1.write_text(
        json.dumps({"type": "record", "name": "U", "fields": [{"name": "a", "type": "int"}]})
    )
    bad = tmp_path / "bad.avsc"
    bad.write_text(
        json.dumps({"type": "record", "name": "U", "fields": [{"name": "b", "type": "int"}]})
    )
    assert run(registry_url, "register", "u-value", str(v1)) == (0, "registered u-value: id 1\n")
    assert run(registry_url, "list") == (0, "u-value\n")
    code, out = run(registry_url, "get", "u-value")
    assert code == 0 and json.loads(out)["schema"]["name"] == "U"
    code, out = run(registry_url, "get", "--id", "1", "--raw")
    assert code == 0 and json.loads(out)["fields"][0]["name"] == "a"
    assert run(registry_url, "check", "u-value", str(v1)) == (0, "compatible\n")
    code, out = run(registry_url, "check", "u-value", str(bad))
    assert code == 1 and "READER_FIELD_MISSING_DEFAULT_VALUE" in out
    code, out = run(registry_url, "register", "u-value", str(bad))
    assert code == 1 and "incompatible" in out
    assert run(registry_url, "delete", "u-value")[0] == 0
    assert run(registry_url, "list") == (0, "")
    assert run(registry_url, "list", "--deleted") == (0, "u-value\n")
    code, out = run(registry_url, "delete", "u-value", "--permanent")
    assert code == 0 and "permanently deleted" in out


def test_json_schema_with_reference(registry_url: str, tmp_path: Path) -> None:
    addr = tmp_path / "address.json"
    addr.write_text(json.dumps({"type": "object", "properties": {"city": {"type": "string"}}}))
    person = tmp_path / "person.json"
    person.write_text(json.dumps({"type": "object", "properties": {"a": {"$ref": "address.json"}}}))
    assert run(registry_url, "register", "address", str(addr))[0] == 0
    code, out = run(
        registry_url, "register", "person", str(person), "--ref", "address.json=address:1"
    )
    assert (code, out) == (0, "registered person: id 2\n")
    code, out = run(registry_url, "register", "p", str(person), "--ref", "oops")
    assert code == 2 and "NAME=SUBJECT:VERSION" in out


def test_errors_are_readable(registry_url: str, tmp_path: Path) -> None:
    code, out = run(registry_url, "get", "nope")
    assert code == 1 and "Subject 'nope' not found" in out
    code, out = run(registry_url, "get")
    assert code == 2 and "--id" in out
    notjson = tmp_path / "x.avsc"
    notjson.write_text("{")
    code, out = run(registry_url, "register", "s", str(notjson))
    assert code == 2 and "not JSON" in out
