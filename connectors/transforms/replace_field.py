"""ReplaceField: keep, drop or rename fields (Kafka's ``ReplaceField$Key`` / ``$Value``).

``exclude`` wins over ``include``; an empty ``include`` keeps every field. The legacy names
``blacklist`` / ``whitelist`` still work (the new names win when both are given).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.api import (
    ConfigDef,
    ConfigError,
    ConfigType,
    ConnectRecord,
    Importance,
    Schema,
    Struct,
)
from connectors.transforms.base import (
    REPLACE_NULL_WITH_DEFAULT,
    KeyValueTransform,
    copied_values,
    copied_values_of_many,
    copy_struct_basics,
    define_replace_null,
    field_value,
    require_map,
    require_struct,
    structs_of,
)

EXCLUDE, INCLUDE, RENAMES = "exclude", "include", "renames"
BLACKLIST, WHITELIST = "blacklist", "whitelist"
PURPOSE = "field replacement"


def _valid_renames(name: str, value: Any) -> None:
    bad = [item for item in value or () if len(item.split(":")) != 2 or "" in item.split(":")]
    if bad:
        msg = f"Invalid rename mapping: {', '.join(bad)}; use old:new,other:renamed"
        raise ValueError(msg)


CONFIG_DEF = define_replace_null(
    ConfigDef()
    .define(EXCLUDE, ConfigType.LIST, "", importance=Importance.MEDIUM,
            documentation="Fields to drop; a field listed here and in 'include' is dropped.")
    .define(INCLUDE, ConfigType.LIST, "", importance=Importance.MEDIUM,
            documentation="Fields to keep; when empty, every field not excluded is kept.")
    .define(RENAMES, ConfigType.LIST, "", _valid_renames, Importance.MEDIUM,
            "Field rename mappings, as comma-separated old:new pairs.")
    .define(BLACKLIST, ConfigType.LIST, None, importance=Importance.LOW,
            documentation="Deprecated name of 'exclude'.")
    .define(WHITELIST, ConfigType.LIST, None, importance=Importance.LOW,
            documentation="Deprecated name of 'include'.")
)  # fmt: skip


class ReplaceField(KeyValueTransform):
    """Filter and rename the fields of a struct or map."""

    VALUE_ONLY = True

    CONFIG_DEF = CONFIG_DEF
    PURPOSE = PURPOSE

    def configure(self, configs: Mapping[str, Any]) -> None:
        settings = dict(configs)
        for old, new in ((BLACKLIST, EXCLUDE), (WHITELIST, INCLUDE)):
            if old in settings and new not in settings:
                settings[new] = settings[old]
        super().configure(settings)

    def setup(self, config: dict[str, Any]) -> None:
        self.exclude = set(config[EXCLUDE])
        self.include = set(config[INCLUDE])
        self.renames: dict[str, str] = dict(item.split(":") for item in config[RENAMES])
        self.replace_null = config[REPLACE_NULL_WITH_DEFAULT]
        targets = list(self.renames.values())
        if len(set(targets)) != len(targets):
            raise ConfigError.from_errors({RENAMES: ["Two fields cannot be renamed to one name."]})

    def keep(self, name: str) -> bool:
        return name not in self.exclude and (not self.include or name in self.include)

    def renamed(self, name: str) -> str:
        return self.renames.get(name, name)

    def apply_schemaless(self, record: ConnectRecord, value: Any) -> tuple[Schema | None, Any]:
        fields = require_map(value, PURPOSE)
        return None, {self.renamed(k): v for k, v in fields.items() if self.keep(k)}

    def apply_with_schema(
        self, record: ConnectRecord, schema: Schema, value: Any
    ) -> tuple[Schema | None, Any]:
        struct = require_struct(value, PURPOSE)
        new_schema, plan = self.schema_cache.get_or_build(schema, lambda: self._build_plan(schema))
        if struct.schema is schema:
            return new_schema, Struct.from_validated(
                new_schema, copied_values(struct, plan, self.replace_null)
            )
        updated = Struct(new_schema)
        for f in schema.fields:
            if self.keep(f.name):
                updated.put(self.renamed(f.name), field_value(struct, f.name, self.replace_null))
        return new_schema, updated

    def apply_to_values(
        self, schema: Schema | None, values: list[Any]
    ) -> tuple[Schema | None, list[Any]] | None:
        """Structs of one schema renamed in one loop; anything else as the base class does."""
        if self.target == "value" and schema is not None and values:
            new_schema, plan = self.schema_cache.get_or_build(
                schema, lambda: self._build_plan(schema)
            )
            rows = copied_values_of_many(values, schema, plan)
            if rows is not None:
                return new_schema, structs_of(new_schema, rows)
        return super().apply_to_values(schema, values)

    def _build_plan(self, schema: Schema) -> tuple[Schema, list[tuple[str, str, Schema]]]:
        """The new schema, and which fields to copy (renamed) for :func:`copied_values`."""
        plan = [
            (f.name, self.renamed(f.name), f.schema) for f in schema.fields if self.keep(f.name)
        ]
        return self._build_schema(schema), plan

    def _build_schema(self, schema: Schema) -> Schema:
        builder = copy_struct_basics(schema)
        for f in schema.fields:
            if self.keep(f.name):
                builder.field(self.renamed(f.name), f.schema)
        return builder.build()


class ReplaceFieldKey(ReplaceField):
    """``ReplaceField$Key``."""

    target = "key"


class ReplaceFieldValue(ReplaceField):
    """``ReplaceField$Value``."""

    target = "value"
