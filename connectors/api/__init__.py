"""The connector SDK: everything a connector, converter or transform needs, and nothing else.

This package imports nothing of the rest of the project; the runtime (``workers``) and the
schema registry build on it. Submodules:

* :mod:`~connectors.api.data`, :mod:`~connectors.api.logical` - Connect schemas and values
* :mod:`~connectors.api.headers`, :mod:`~connectors.api.records` - records and headers
* :mod:`~connectors.api.batches` - many records as columns (the runtime's fast path)
* :mod:`~connectors.api.columns` - many Struct values of one schema as columns
* :mod:`~connectors.api.built` - the built-on-first-use sequence both columnar types share
* :mod:`~connectors.api.connector` - Connector/Task classes and their runtime contexts
* :mod:`~connectors.api.configured` - ConfiguredConnector, a connector declared as data
* :mod:`~connectors.api.config`, :mod:`~connectors.api.validators` - ConfigDef
* :mod:`~connectors.api.converter`, :mod:`~connectors.api.transform` - converters, SMTs
* :mod:`~connectors.api.errors` - the exception tree (retriable vs terminal)
"""

from connectors.api.batches import (
    OffsetColumn,
    OffsetColumns,
    SinkRecordBatch,
    SourceRecordBatch,
)
from connectors.api.columns import Repeat, StructColumns
from connectors.api.config import (
    NO_DEFAULT,
    ConfigDef,
    ConfigKey,
    ConfigType,
    ConfigValue,
    Importance,
    Password,
    Width,
    config_infos,
    error_count,
    parse_value,
    to_config_string,
    typed_config,
)
from connectors.api.configured import ConfigSettings, ConfiguredConnector
from connectors.api.connector import (
    Connector,
    ConnectorContext,
    ErrantRecordReporter,
    OffsetStorageReader,
    RecordProducer,
    SinkConnector,
    SinkConnectorContext,
    SinkTask,
    SinkTaskContext,
    SourceConnector,
    SourceConnectorContext,
    SourceTask,
    SourceTaskContext,
    Task,
)
from connectors.api.converter import Converter, DataHeaderConverter, HeaderConverter
from connectors.api.data import (
    DATE_NAME,
    DECIMAL_NAME,
    TIME_NAME,
    TIMESTAMP_NAME,
    Field,
    Schema,
    SchemaAndValue,
    SchemaBuilder,
    Struct,
    Type,
    validate_value,
)
from connectors.api.errors import (
    ConfigError,
    ConnectError,
    DataError,
    PluginNotFoundError,
    RetriableError,
)
from connectors.api.headers import Header, Headers
from connectors.api.logical import LOGICAL_TYPES, Date, Decimal, Time, Timestamp
from connectors.api.plugin import PluginSpec, PluginType
from connectors.api.records import (
    KEEP,
    ConnectRecord,
    RecordMetadata,
    SinkRecord,
    SourceRecord,
    TimestampType,
    TopicPartition,
)
from connectors.api.transform import (
    PluginResolver,
    Predicate,
    Transformation,
    TransformationChain,
    TransformationStage,
    build_transformation_chain,
    sub_config,
)
from connectors.api.validators import NonEmptyString, Range, Validator, ValidList, ValidString

__all__ = [
    "DATE_NAME",
    "DECIMAL_NAME",
    "KEEP",
    "LOGICAL_TYPES",
    "NO_DEFAULT",
    "TIMESTAMP_NAME",
    "TIME_NAME",
    "ConfigDef",
    "ConfigError",
    "ConfigKey",
    "ConfigSettings",
    "ConfigType",
    "ConfigValue",
    "ConfiguredConnector",
    "ConnectError",
    "ConnectRecord",
    "Connector",
    "ConnectorContext",
    "Converter",
    "DataError",
    "DataHeaderConverter",
    "Date",
    "Decimal",
    "ErrantRecordReporter",
    "Field",
    "Header",
    "HeaderConverter",
    "Headers",
    "Importance",
    "NonEmptyString",
    "OffsetColumn",
    "OffsetColumns",
    "OffsetStorageReader",
    "Password",
    "PluginNotFoundError",
    "PluginResolver",
    "PluginSpec",
    "PluginType",
    "Predicate",
    "Range",
    "RecordMetadata",
    "RecordProducer",
    "Repeat",
    "RetriableError",
    "Schema",
    "SchemaAndValue",
    "SchemaBuilder",
    "SinkConnector",
    "SinkConnectorContext",
    "SinkRecord",
    "SinkRecordBatch",
    "SinkTask",
    "SinkTaskContext",
    "SourceConnector",
    "SourceConnectorContext",
    "SourceRecord",
    "SourceRecordBatch",
    "SourceTask",
    "SourceTaskContext",
    "Struct",
    "StructColumns",
    "Task",
    "Time",
    "Timestamp",
    "TimestampType",
    "TopicPartition",
    "Transformation",
    "TransformationChain",
    "TransformationStage",
    "Type",
    "ValidList",
    "ValidString",
    "Validator",
    "Width",
    "build_transformation_chain",
    "config_infos",
    "error_count",
    "parse_value",
    "sub_config",
    "to_config_string",
    "typed_config",
    "validate_value",
]
