"""Find plugins (connectors, converters, transforms, predicates) by any name users write.

Accepted forms, as Kafka Connect users expect: the full class name of ours
(``connectors.transforms.insert_field.InsertFieldValue`` or with ``:``), a Kafka/Debezium
class name we replace (``org.apache.kafka.connect.transforms.InsertField$Value``), the
simple class name (``InsertField$Value``), the simple name without a ``Connector`` /
``Converter`` suffix, an entry point name, or the dotted path of any importable class.

Where plugins come from:

* the bundled packages in :data:`BUILTIN_PLUGIN_MODULES`, each exposing ``PLUGINS``
  (a missing package or attribute simply contributes nothing);
* the ``cdchub.connectors`` entry point group: an entry point may point at a plugin class
  (its name becomes an alias) or at a list of :class:`PluginSpec`.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from importlib.metadata import entry_points
from typing import Any

from connectors.api import (
    NO_DEFAULT,
    ConfigDef,
    ConfigError,
    ConfigKey,
    ConfigType,
    Converter,
    HeaderConverter,
    Importance,
    PluginNotFoundError,
    PluginSpec,
    PluginType,
    Predicate,
    SinkConnector,
    SourceConnector,
    Transformation,
    TransformationChain,
    build_transformation_chain,
    sub_config,
)
from connectors.api.transform import split_list

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "cdchub.connectors"
BUILTIN_PLUGIN_MODULES = (
    "connectors.converters",
    "connectors.transforms",
    "connectors.sources",
    "connectors.sources.postgres_cdc",
    "connectors.sinks",
    "connectors.sinks.elasticsearch",
    "connectors.sinks.redis",
    "schemas.plugins",
)
BASES: dict[PluginType, type] = {
    PluginType.SOURCE: SourceConnector,
    PluginType.SINK: SinkConnector,
    PluginType.CONVERTER: Converter,
    PluginType.HEADER_CONVERTER: HeaderConverter,
    PluginType.TRANSFORMATION: Transformation,
    PluginType.PREDICATE: Predicate,
}
CONNECTOR_KINDS = (PluginType.SOURCE, PluginType.SINK)
_SUFFIXES = {
    PluginType.SOURCE: "Connector",
    PluginType.SINK: "Connector",
    PluginType.CONVERTER: "Converter",
    PluginType.HEADER_CONVERTER: "Converter",
}


def kinds_of(cls: Any) -> list[PluginType]:
    """Every plugin kind a class is, from its SDK base classes (a converter may be both)."""
    if not isinstance(cls, type):
        return []
    return [kind for kind, base in BASES.items() if issubclass(cls, base)]


def kind_of(cls: Any) -> PluginType | None:
    """The first plugin kind of a class, or None if it is no plugin."""
    kinds = kinds_of(cls)
    return kinds[0] if kinds else None


def load_target(target: str) -> Any:
    """Import ``pkg.mod:Attr`` or ``pkg.mod.Attr``; PluginNotFoundError says what failed."""
    module_name, sep, attr = target.partition(":")
    if not sep:
        module_name, _, attr = target.rpartition(".")
    if not module_name or not attr:
        msg = f"{target!r} is not a dotted class path."
        raise PluginNotFoundError(msg)
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        msg = f"Cannot import module {module_name!r}: {exc}"
        raise PluginNotFoundError(msg) from exc
    try:
        return getattr(module, attr)
    except AttributeError:
        msg = f"Module {module_name!r} has no attribute {attr!r}."
        raise PluginNotFoundError(msg) from None


def _simple(name: str) -> str:
    return name.replace(":", ".").rsplit(".", 1)[-1]


def names_of(spec: PluginSpec) -> set[str]:
    """Every name a spec answers to: full names, simple names, suffix-less simple names."""
    full = {spec.target, spec.class_name, *spec.aliases}
    names = full | {_simple(n) for n in full}
    suffix = _SUFFIXES.get(spec.kind)
    if suffix:
        names |= {n[: -len(suffix)] for n in names if n.endswith(suffix) and n != suffix}
    return names


def _specs_for_class(cls: Any, aliases: tuple[str, ...]) -> list[PluginSpec]:
    if not isinstance(cls, type):
        return []
    target = f"{cls.__module__}:{cls.__qualname__}"
    return [PluginSpec(kind, target, aliases) for kind in kinds_of(cls)]


@dataclass(frozen=True)
class PluginInfo:
    """A listed plugin (``GET /connector-plugins`` entry) with the names it resolves from."""

    spec: PluginSpec
    version: str | None

    def to_json(self) -> dict[str, str]:
        out = {"class": self.spec.class_name, "type": self.spec.kind.value}
        if self.version:
            out["version"] = self.version
        return out


class PluginRegistry:
    """An index of plugin declarations; resolves names to classes (imported lazily)."""

    def __init__(
        self,
        modules: Iterable[str] = BUILTIN_PLUGIN_MODULES,
        entry_point_group: str | None = ENTRY_POINT_GROUP,
    ) -> None:
        self._modules = tuple(modules)
        self._group = entry_point_group
        self._specs: list[PluginSpec] | None = None
        self._extra: list[PluginSpec] = []
        self._broken: dict[str, str] = {}

    def register(self, spec: PluginSpec | type, *aliases: str) -> None:
        """Add a plugin at run time (tests, embedding): a spec, or a class plus aliases."""
        if isinstance(spec, PluginSpec):
            self._extra.append(spec)
            return
        specs = _specs_for_class(spec, tuple(aliases))
        if not specs:
            msg = f"{spec.__qualname__} is not a plugin class (no SDK base class)."
            raise PluginNotFoundError(msg)
        self._extra.extend(specs)

    def specs(self) -> list[PluginSpec]:
        """Every declaration: bundled, then entry points, then registered at run time."""
        if self._specs is None:
            self._specs = self._load_builtin() + self._load_entry_points()
        return [*self._specs, *self._extra]

    def _load_builtin(self) -> list[PluginSpec]:
        specs: list[PluginSpec] = []
        for name in self._modules:
            try:
                module = importlib.import_module(name)
            except ImportError as exc:
                log.warning("plugin package %s cannot be imported: %s", name, exc)
                continue
            specs.extend(getattr(module, "PLUGINS", ()))
        return specs

    def _load_entry_points(self) -> list[PluginSpec]:
        if not self._group:
            return []
        specs: list[PluginSpec] = []
        for ep in entry_points(group=self._group):
            try:
                specs.extend(self._specs_from_entry_point(ep.name, ep.load()))
            except Exception as exc:  # a broken third-party package must not hide the others
                self._broken[ep.name] = f"entry point {ep.name} = {ep.value} failed to load: {exc}"
                log.warning(self._broken[ep.name])
        return specs

    @staticmethod
    def _specs_from_entry_point(name: str, obj: Any) -> list[PluginSpec]:
        if isinstance(obj, PluginSpec):
            return [obj]
        if isinstance(obj, list | tuple) and all(isinstance(s, PluginSpec) for s in obj):
            return list(obj)
        specs = _specs_for_class(obj, (name,))
        if not specs:
            msg = f"{obj!r} is neither a plugin class nor PluginSpec(s)."
            raise PluginNotFoundError(msg)
        return specs

    def find(self, kinds: Iterable[PluginType], name: str) -> list[PluginSpec]:
        """Specs of the given kinds answering to ``name`` (several = ambiguous short name)."""
        wanted = set(kinds)
        return [s for s in self.specs() if s.kind in wanted and name in names_of(s)]

    def resolve(self, kind: PluginType | Iterable[PluginType], name: str) -> type:
        """The class for ``name`` among plugins of ``kind``; PluginNotFoundError otherwise.

        The error lists the available plugins of that kind, so users can fix a typo.
        """
        kinds = (kind,) if isinstance(kind, PluginType) else tuple(kind)
        name = name.strip()
        matches = self.find(kinds, name)
        targets = list(dict.fromkeys(s.target for s in matches))
        if len(targets) > 1:
            msg = f"{name!r} is ambiguous ({', '.join(targets)}); use the full class name."
            raise PluginNotFoundError(msg)
        if name in self._broken:
            raise PluginNotFoundError(self._broken[name])
        target = targets[0] if targets else name
        return self._load_checked(kinds, name, target, found=bool(targets))

    def _load_checked(
        self, kinds: tuple[PluginType, ...], name: str, target: str, *, found: bool
    ) -> type:
        what = " or ".join(k.value for k in kinds)
        if not found and "." not in target and ":" not in target:
            raise PluginNotFoundError(self._not_found(kinds, name))
        try:
            cls = load_target(target)
        except PluginNotFoundError as exc:
            if found:
                raise
            msg = f"{self._not_found(kinds, name)} ({exc})"
            raise PluginNotFoundError(msg) from None
        if not set(kinds_of(cls)) & set(kinds):
            kind = kind_of(cls)
            got = f"a {kind.value}" if kind else "not a plugin"
            msg = f"{name!r} is {got}, but a {what} is needed here."
            raise PluginNotFoundError(msg)
        assert isinstance(cls, type)
        return cls

    def _not_found(self, kinds: tuple[PluginType, ...], name: str) -> str:
        others = self.find(set(PluginType) - set(kinds), name)
        if others:
            what = " or ".join(k.value for k in kinds)
            return f"{name!r} is a {others[0].kind.value}, but a {what} is needed here."
        available = sorted({_simple(s.aliases[0] if s.aliases else s.target)
                            for s in self.specs() if s.kind in kinds})  # fmt: skip
        what = " or ".join(k.value for k in kinds)
        return (
            f"Failed to find any {what} plugin called {name!r}. Available: "
            f"{', '.join(available) or 'none'}. Use one of these names, a full class name, "
            "or install the package that provides it."
        )

    def connector_class(self, name: str) -> type:
        """Resolve ``connector.class`` (source or sink)."""
        return self.resolve(CONNECTOR_KINDS, name)

    def list_plugins(self, kinds: Iterable[PluginType] | None = None) -> list[PluginInfo]:
        """Plugins of the given kinds (default all), sorted by class name, with versions."""
        wanted = set(kinds) if kinds is not None else set(PluginType)
        infos = []
        for spec in self.specs():
            if spec.kind in wanted:
                infos.append(PluginInfo(spec, self._version(spec)))
        return sorted(infos, key=lambda i: (i.spec.class_name, i.spec.kind.value))

    @staticmethod
    def _version(spec: PluginSpec) -> str | None:
        try:
            cls = load_target(spec.target)
            version = getattr(cls(), "version", None)
            return str(version()) if callable(version) else None
        except Exception:  # a plugin that cannot even be built shows no version
            return None


_default: PluginRegistry | None = None


def default_registry() -> PluginRegistry:
    """The process-wide registry (bundled plugins + installed entry points)."""
    global _default
    if _default is None:
        _default = PluginRegistry()
    return _default


def resolve(kind: PluginType | Iterable[PluginType], name: str) -> type:
    """Resolve with the default registry."""
    return default_registry().resolve(kind, name)


def build_chain(
    config: Mapping[str, Any], registry: PluginRegistry | None = None
) -> TransformationChain[Any]:
    """The transformation chain a connector config declares, using the plugin registry."""
    reg = registry or default_registry()
    return build_transformation_chain(config, reg.resolve)


def converter_from_config(
    config: Mapping[str, Any],
    key: str,
    *,
    is_key: bool,
    default: str | None = None,
    registry: PluginRegistry | None = None,
) -> Converter:
    """Build and configure the converter named by ``config[key]`` (e.g. ``value.converter``).

    Sub-keys ``<key>.*`` are passed with the prefix removed, as Kafka Connect does.
    """
    name = config.get(key) or default
    if not name:
        raise ConfigError.from_errors({key: [f"Missing required configuration {key!r}."]})
    try:
        cls = (registry or default_registry()).resolve(PluginType.CONVERTER, str(name))
    except PluginNotFoundError as exc:
        raise ConfigError.from_errors({key: [f"Invalid value {name} for {key}: {exc}"]}) from exc
    converter: Converter = cls()
    converter.configure(sub_config(config, key + "."), is_key)
    return converter


def _prefixed(definition: ConfigDef, prefix: str, group: str) -> list[ConfigKey]:
    return [
        replace(key, name=prefix + key.name, group=group, dependents=())
        for key in definition
        if key.name not in ("type", "predicate", "negate")
    ]


def _class_validator(registry: PluginRegistry, kind: PluginType) -> Callable[[str, Any], None]:
    def check(name: str, value: Any) -> None:
        if value:
            try:
                registry.resolve(kind, str(value))
            except PluginNotFoundError as exc:
                raise ValueError(str(exc)) from None

    return check


def _section_keys(
    config: Mapping[str, Any], registry: PluginRegistry, section: str, kind: PluginType
) -> list[ConfigKey]:
    keys: list[ConfigKey] = []
    for order, alias in enumerate(dict.fromkeys(split_list(config.get(section))), start=1):
        prefix, group = f"{section}.{alias}.", f"{section.capitalize()}: {alias}"
        keys.append(ConfigKey(prefix + "type", ConfigType.CLASS, NO_DEFAULT,
                              _class_validator(registry, kind), Importance.HIGH,
                              f"Class of the {kind.value} {alias!r}.", group, order))  # fmt: skip
        if kind is PluginType.TRANSFORMATION:
            keys.append(ConfigKey(prefix + "predicate", ConfigType.STRING, None, None,
                                  Importance.MEDIUM, "Alias of the predicate that decides "
                                  "whether this transform applies.", group, order))  # fmt: skip
            keys.append(ConfigKey(prefix + "negate", ConfigType.BOOLEAN, False, None,
                                  Importance.MEDIUM, "Apply the transform where the predicate "
                                  "is false instead.", group, order))  # fmt: skip
        try:
            plugin = registry.resolve(kind, str(config.get(prefix + "type") or ""))()
            keys.extend(_prefixed(plugin.config_def(), prefix, group))
        except (PluginNotFoundError, TypeError):
            continue
    return keys


def chain_config_def(
    config: Mapping[str, Any], registry: PluginRegistry | None = None
) -> ConfigDef:
    """The ``transforms.*``/``predicates.*`` keys a config declares, as one ConfigDef.

    Kafka Connect "enriches" the connector ConfigDef this way so the validate endpoint shows
    every transform's options (group ``Transforms: <alias>``) with their errors; merge the
    result into the connector's ConfigDef and validate the whole config with it.
    """
    reg = registry or default_registry()
    keys = _section_keys(config, reg, "transforms", PluginType.TRANSFORMATION)
    keys += _section_keys(config, reg, "predicates", PluginType.PREDICATE)
    return ConfigDef(keys)
