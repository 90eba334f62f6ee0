"""Converters: Connect data <-> the bytes stored in the log (keys, values and headers).

The runtime configures one converter for keys and one for values per connector, with the
``key.converter.*`` / ``value.converter.*`` sub-keys stripped of their prefix (so a
converter sees ``schemas.enable``, not ``value.converter.schemas.enable``).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import Any

from connectors.api.config import ConfigDef
from connectors.api.data import Schema, SchemaAndValue
from connectors.api.headers import Headers


class Converter(ABC):
    """Serialises record keys or values (Kafka's ``Converter``)."""

    def configure(self, configs: Mapping[str, Any], is_key: bool) -> None:
        """Apply the converter's sub-config; raise ConfigError listing every bad key."""
        return

    @abstractmethod
    def from_connect_data(
        self, topic: str, schema: Schema | None, value: Any, headers: Headers | None = None
    ) -> bytes | None:
        """Serialise; None stays None (a tombstone). DataError when the value cannot be."""

    @abstractmethod
    def to_connect_data(
        self, topic: str, data: bytes | None, headers: Headers | None = None
    ) -> SchemaAndValue:
        """Deserialise; None gives ``SchemaAndValue.NULL``. DataError on malformed bytes."""

    def from_connect_batch(
        self, topic: str, schema: Schema | None, values: Sequence[Any]
    ) -> list[bytes | None]:
        """Serialise values that share one schema: :meth:`from_connect_data` for each.

        The runtime calls this for a :class:`~connectors.api.SourceRecordBatch`; a converter
        overrides it to do its per-schema work once per batch. It must give the very bytes
        the one-value method gives. Raising is fine: the runtime then converts the records
        one by one, so the failing one meets retries, tolerance and the DLQ as usual.
        """
        convert = self.from_connect_data
        return [convert(topic, schema, value) for value in values]

    def to_connect_batch(
        self, topic: str, data: Sequence[bytes | None]
    ) -> tuple[list[Schema | None], list[Any]]:
        """Deserialise many messages: (schemas, values), :meth:`to_connect_data` for each.

        Same contract as :meth:`from_connect_batch`, for what a sink task reads.
        """
        converted = [self.to_connect_data(topic, item) for item in data]
        return [sv.schema for sv in converted], [sv.value for sv in converted]

    def config_def(self) -> ConfigDef:
        """The converter's keys (empty unless overridden)."""
        return ConfigDef()

    def close(self) -> None:
        """Release resources (e.g. a schema registry client)."""
        return


class HeaderConverter(ABC):
    """Serialises header values (Kafka's ``HeaderConverter``)."""

    def configure(self, configs: Mapping[str, Any]) -> None:
        """Apply the header converter's sub-config."""
        return

    @abstractmethod
    def to_connect_header(self, topic: str, header_key: str, value: bytes | None) -> SchemaAndValue:
        """Deserialise one header value."""

    @abstractmethod
    def from_connect_header(
        self, topic: str, header_key: str, schema: Schema | None, value: Any
    ) -> bytes | None:
        """Serialise one header value."""

    def config_def(self) -> ConfigDef:
        return ConfigDef()

    def close(self) -> None:
        """Release resources."""
        return


class DataHeaderConverter(Converter, HeaderConverter):
    """A converter that is also its own header converter: a header value is encoded as data.

    Kafka's String, ByteArray and Json converters serve both roles this way (a header value
    converts exactly as a record value of the same schema would), so the delegation lives
    here once instead of in each of them.
    """

    def configure(self, configs: Mapping[str, Any], is_key: bool = False) -> None:
        """Apply the sub-config; ``is_key`` is optional because a header converter omits it."""
        return

    def to_connect_header(self, topic: str, header_key: str, value: bytes | None) -> SchemaAndValue:
        """Deserialise the header value as :meth:`to_connect_data` does record data."""
        return self.to_connect_data(topic, value)

    def from_connect_header(
        self, topic: str, header_key: str, schema: Schema | None, value: Any
    ) -> bytes | None:
        """Serialise the header value as :meth:`from_connect_data` does record data."""
        return self.from_connect_data(topic, schema, value)
