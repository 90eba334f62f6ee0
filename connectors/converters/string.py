"""StringConverter: values as text (Kafka's ``StringConverter``)."""

from __future__ import annotations

import codecs
from collections.abc import Mapping
from typing import Any

from connectors.api import (
    ConfigDef,
    ConfigType,
    DataError,
    DataHeaderConverter,
    Headers,
    Importance,
    Schema,
    SchemaAndValue,
)

ENCODING = "converter.encoding"


def _known_encoding(name: str, value: Any) -> None:
    try:
        codecs.lookup(value)
    except LookupError:
        msg = f"Unknown character encoding {value!r}; use e.g. UTF-8"
        raise ValueError(msg) from None


CONFIG_DEF = ConfigDef().define(
    ENCODING, ConfigType.STRING, "UTF-8", _known_encoding, Importance.HIGH,
    "The character encoding of the text.", display_name="Encoding",
)  # fmt: skip


class StringConverter(DataHeaderConverter):
    """Writes ``str(value)`` encoded; reads text back with an optional STRING schema."""

    def __init__(self) -> None:
        self.encoding = "utf-8"

    def version(self) -> str:
        return "1.0"

    def config_def(self) -> ConfigDef:
        return CONFIG_DEF

    def configure(self, configs: Mapping[str, Any], is_key: bool = False) -> None:
        sub = {k: v for k, v in configs.items() if k != "converter.type"}
        self.encoding = CONFIG_DEF.parse(sub)[ENCODING]

    def from_connect_data(
        self, topic: str, schema: Schema | None, value: Any, headers: Headers | None = None
    ) -> bytes | None:
        if value is None:
            return None
        text = value if isinstance(value, str) else _to_text(value)
        try:
            return text.encode(self.encoding)
        except UnicodeEncodeError as exc:
            msg = f"Cannot encode the value as {self.encoding}: {exc}."
            raise DataError(msg) from exc

    def to_connect_data(
        self, topic: str, data: bytes | None, headers: Headers | None = None
    ) -> SchemaAndValue:
        if data is None:
            return SchemaAndValue(Schema.OPTIONAL_STRING_SCHEMA, None)
        try:
            return SchemaAndValue(Schema.OPTIONAL_STRING_SCHEMA, bytes(data).decode(self.encoding))
        except UnicodeDecodeError as exc:
            msg = f"The data is not valid {self.encoding} text: {exc}."
            raise DataError(msg) from exc


def _to_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode("utf-8", errors="replace")
    return str(value)
