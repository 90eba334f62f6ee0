"""Plugin kinds and the declaration a package uses to offer plugins.

A package lists what it offers as :class:`PluginSpec` data (nothing is imported until a
plugin is used); ``connectors.plugins`` indexes these declarations from the bundled packages
and from the ``cdchub.connectors`` entry point group.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class PluginType(StrEnum):
    """Plugin kinds; values are the ``type`` strings of ``GET /connector-plugins``."""

    SOURCE = "source"
    SINK = "sink"
    CONVERTER = "converter"
    HEADER_CONVERTER = "header_converter"
    TRANSFORMATION = "transformation"
    PREDICATE = "predicate"


@dataclass(frozen=True)
class PluginSpec:
    """One plugin: its kind, where it lives, and every other name it answers to.

    Attributes:
        kind: what the plugin is.
        target: ``"package.module:ClassName"``; imported on first use only.
        aliases: extra names, typically the Kafka/Debezium class names this plugin replaces
            (``org.apache.kafka.connect.transforms.InsertField$Value``). The short forms
            (class name, name without the ``Connector``/``Converter`` suffix) are derived.
    """

    kind: PluginType
    target: str
    aliases: tuple[str, ...] = ()

    @property
    def class_name(self) -> str:
        """The dotted class path shown as ``class`` in ``GET /connector-plugins``."""
        return self.target.replace(":", ".")
