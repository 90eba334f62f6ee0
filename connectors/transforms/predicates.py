"""Predicates for conditional transforms: TopicNameMatches, HasHeaderKey, RecordIsTombstone."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from connectors.api import (
    ConfigDef,
    ConfigType,
    ConnectRecord,
    Importance,
    NonEmptyString,
    Predicate,
)
from connectors.transforms.routers import java_regex

PATTERN, NAME = "pattern", "name"


def _valid_regex(name: str, value: Any) -> None:
    NonEmptyString()(name, value)
    try:
        java_regex(value)
    except re.error as exc:
        msg = f"Invalid regex: {exc}"
        raise ValueError(msg) from None


TOPIC_NAME_MATCHES_CONFIG = ConfigDef().define(
    PATTERN, ConfigType.STRING, validator=_valid_regex,
    importance=Importance.MEDIUM,
    documentation="Java regular expression; true when it matches the whole topic name.",
)  # fmt: skip

HAS_HEADER_KEY_CONFIG = ConfigDef().define(
    NAME, ConfigType.STRING, validator=NonEmptyString(), importance=Importance.MEDIUM,
    documentation="Header that must be present for the predicate to be true.",
)  # fmt: skip


class TopicNameMatches(Predicate[ConnectRecord]):
    """True when the whole topic name matches ``pattern`` (Java ``Matcher.matches``)."""

    def version(self) -> str:
        return "1.0"

    def config_def(self) -> ConfigDef:
        return TOPIC_NAME_MATCHES_CONFIG

    def configure(self, configs: Mapping[str, Any]) -> None:
        self.pattern = java_regex(TOPIC_NAME_MATCHES_CONFIG.parse(configs)[PATTERN])

    def test(self, record: ConnectRecord) -> bool:
        return record.topic is not None and self.pattern.fullmatch(record.topic) is not None


class HasHeaderKey(Predicate[ConnectRecord]):
    """True when the record has at least one header called ``name``."""

    def version(self) -> str:
        return "1.0"

    def config_def(self) -> ConfigDef:
        return HAS_HEADER_KEY_CONFIG

    def configure(self, configs: Mapping[str, Any]) -> None:
        self.name: str = HAS_HEADER_KEY_CONFIG.parse(configs)[NAME]

    def test(self, record: ConnectRecord) -> bool:
        return record.headers.last_with_name(self.name) is not None


class RecordIsTombstone(Predicate[ConnectRecord]):
    """True for tombstones: records whose value is null."""

    def version(self) -> str:
        return "1.0"

    def test(self, record: ConnectRecord) -> bool:
        return record.value is None
