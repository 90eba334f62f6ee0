from typing import Any

import jsonschema
import pytest

from connectors.api import (
    ConfigDef,
    ConfigError,
    ConfigType,
    Importance,
    NonEmptyString,
    Password,
    Range,
    ValidList,
    ValidString,
    Width,
    config_infos,
    error_count,
)


def file_source_def() -> ConfigDef:
    return (
        ConfigDef()
        .define(
            "file",
            ConfigType.STRING,
            validator=NonEmptyString(),
            importance=Importance.HIGH,
            documentation="Path to read.",
            group="File",
            order=1,
            width=Width.LONG,
            display_name="File",
        )
        .define("batch.size", ConfigType.INT, 2000, Range.at_least(1), documentation="Lines.")
        .define("mode", ConfigType.STRING, "tail", ValidString.in_("tail", "once"))
        .define("enabled", ConfigType.BOOLEAN, True)
        .define("ratio", ConfigType.DOUBLE, 0.5, Range.between(0, 1))
        .define("tags", ConfigType.LIST, "a,b", ValidList.in_("a", "b", "c"))
        .define("big", ConfigType.LONG, 10)
        .define("secret", ConfigType.PASSWORD, dependents=["file"])
    )


def test_parse_converts_strings_and_natives() -> None:
    parsed = file_source_def().parse(
        {
            "file": " /tmp/x ",
            "batch.size": "10",
            "enabled": "FALSE",
            "ratio": 1,
            "tags": "c, a",
            "big": 2**40,
            "secret": "s3cret",
        }
    )
    assert parsed["file"] == "/tmp/x"
    assert parsed["batch.size"] == 10
    assert parsed["enabled"] is False
    assert parsed["ratio"] == 1.0
    assert parsed["tags"] == ["c", "a"]
    assert parsed["big"] == 2**40
    assert parsed["mode"] == "tail"
    assert isinstance(parsed["secret"], Password) and parsed["secret"].value == "s3cret"
    assert str(parsed["secret"]) == "[hidden]" and "s3cret" not in repr(parsed)


def test_validate_reports_every_error_at_once() -> None:
    values = file_source_def().validate(
        {
            "file": "",
            "batch.size": "0",
            "enabled": "yes",
            "ratio": "2",
            "tags": "a,z",
            "big": "x",
            "mode": "later",
        }
    )
    errors = {v.name: v.errors for v in values if v.errors}
    assert set(errors) == {
        "file",
        "batch.size",
        "enabled",
        "ratio",
        "tags",
        "big",
        "mode",
        "secret",
    }
    assert "at least 1" in errors["batch.size"][0]
    assert "true or false" in errors["enabled"][0]
    assert "Missing required configuration" in errors["secret"][0]
    assert "one of: tail, once" in errors["mode"][0]
    assert error_count(values) == 8
    with pytest.raises(ConfigError) as exc:
        file_source_def().parse({"batch.size": "-1"})
    assert "3 error(s)" in str(exc.value)
    assert set(exc.value.errors) == {"file", "batch.size", "secret"}


def test_int_range_enforced_for_types() -> None:
    d = ConfigDef().define("s", ConfigType.SHORT, 1).define("i", ConfigType.INT, 1)
    errs = {v.name: v.errors for v in d.validate({"s": 40000, "i": str(2**31)})}
    assert errs["s"] and errs["i"]
    assert d.validate({"i": True})[1].errors


def test_config_key_info_shape_matches_kafka() -> None:
    infos = {i["name"]: i for i in file_source_def().config_key_infos()}
    assert infos["file"] == {
        "name": "file",
        "type": "STRING",
        "required": True,
        "default_value": None,
        "importance": "HIGH",
        "documentation": "Path to read.",
        "group": "File",
        "order": 1,
        "width": "LONG",
        "display_name": "File",
        "dependents": [],
    }
    assert infos["tags"]["default_value"] == "a,b"
    assert infos["enabled"]["default_value"] == "true"
    assert infos["secret"]["dependents"] == ["file"]
    assert infos["secret"]["type"] == "PASSWORD"


def test_password_default_masked() -> None:
    info = ConfigDef().define("pw", ConfigType.PASSWORD, "hunter2").config_key_infos()[0]
    assert info["default_value"] == "[hidden]"


def test_config_infos_body_masks_passwords_and_counts_errors() -> None:
    d = file_source_def()
    body = config_infos("FileSource", d, d.validate({"secret": "pw", "batch.size": "0"}))
    assert body["name"] == "FileSource"
    assert body["error_count"] == 2
    assert body["groups"] == ["File"]
    by_name = {c["definition"]["name"]: c["value"] for c in body["configs"]}
    assert by_name["secret"]["value"] == "[hidden]"
    assert by_name["mode"]["recommended_values"] == ["tail", "once"]
    assert by_name["tags"]["value"] == "a,b"
    assert by_name["file"]["errors"] and by_name["file"]["visible"] is True


def test_define_twice_is_an_error_and_merge_combines() -> None:
    with pytest.raises(ConfigError):
        ConfigDef().define("a", ConfigType.STRING).define("a", ConfigType.STRING)
    merged = (
        ConfigDef().define("a", ConfigType.STRING).merge(ConfigDef().define("b", ConfigType.INT, 1))
    )
    assert merged.names() == ["a", "b"]


def test_invalid_default_fails_at_definition() -> None:
    with pytest.raises(ValueError, match="INT"):
        ConfigDef().define("n", ConfigType.INT, "many")


GOOD: list[dict[str, Any]] = [
    {"file": "/x", "secret": "p"},
    {
        "file": "/x",
        "secret": "p",
        "batch.size": "5",
        "enabled": "true",
        "ratio": "0.25",
        "tags": "a,b",
        "mode": "once",
    },
    {
        "file": "/x",
        "secret": "p",
        "batch.size": 5,
        "enabled": False,
        "tags": ["c"],
        "extra.key": "allowed",
    },
]
BAD: list[dict[str, Any]] = [
    {"secret": "p"},
    {"file": "/x", "secret": "p", "batch.size": 0},
    {"file": "/x", "secret": "p", "batch.size": "ten"},
    {"file": "/x", "secret": "p", "enabled": "yes"},
    {"file": "/x", "secret": "p", "mode": "sometimes"},
    {"file": "/x", "secret": "p", "ratio": 3},
    {"file": "", "secret": "p"},
    {"file": "/x", "secret": "p", "tags": ["z"]},
]


@pytest.mark.parametrize("config", GOOD)
def test_json_schema_accepts_what_configdef_accepts(config: dict[str, Any]) -> None:
    d = file_source_def()
    schema = d.json_schema("FileSource")
    jsonschema.Draft202012Validator.check_schema(schema)
    assert error_count(d.validate(config)) == 0
    jsonschema.validate(config, schema, cls=jsonschema.Draft202012Validator)


@pytest.mark.parametrize("config", BAD)
def test_json_schema_rejects_what_configdef_rejects(config: dict[str, Any]) -> None:
    d = file_source_def()
    assert error_count(d.validate(config)) > 0
    errors = list(jsonschema.Draft202012Validator(d.json_schema()).iter_errors(config))
    assert errors


def test_json_schema_metadata() -> None:
    props = file_source_def().json_schema()["properties"]
    assert props["secret"]["writeOnly"] is True
    assert props["file"]["title"] == "File" and props["file"]["x-group"] == "File"
    assert props["batch.size"]["default"] == 2000 and props["batch.size"]["minimum"] == 1
    assert "default" not in props["secret"]
