"""The kinds of plugin, as Kafka Connect's ``PluginInfo.type`` spells them."""

from __future__ import annotations

from enum import StrEnum


class PluginType(StrEnum):
    """Plugin kinds; values are the ``type`` strings of ``GET /connector-plugins``."""

    SOURCE = "source"
    SINK = "sink"
    CONVERTER = "converter"
    HEADER_CONVERTER = "header_converter"
    TRANSFORMATION = "transformation"
    PREDICATE = "predicate"
