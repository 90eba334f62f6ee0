"""The registry served by a real `hub up` process: Confluent's client, restart, `hub schemas`."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.json_schema import JSONDeserializer, JSONSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

from tests.fixtures.net import free_port
from tests.fixtures.process import HUB_SCRIPT, ChildProcess

pytestmark = pytest.mark.slow

AVRO = json.dumps(
    {
        "type": "record",
        "name": "Order",
        "fields": [{"name": "id", "type": "long"}, {"name": "item", "type": "string"}],
    }
)
JSON = json.dumps(
    {
        "type": "object",
        "properties": {"sku": {"type": "string"}, "qty": {"type": "integer"}},
        "additionalProperties": False,
    }
)


class Hub:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir, self.port = data_dir, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: ChildProcess | None = None

    def start(self) -> None:
        args = [HUB_SCRIPT, "up", "--data-dir", str(self.data_dir), "--port", str(self.port)]
        self.proc = ChildProcess(args)
        self.proc.wait_for_line("Press Ctrl-C to stop")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.stop()
            assert "Traceback" not in self.proc.text, self.proc.text
            self.proc = None


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[Hub]:
    running = Hub(tmp_path / "data")
    running.start()
    try:
        yield running
    finally:
        running.stop()


def ctx(topic: str) -> SerializationContext:
    return SerializationContext(topic, MessageField.VALUE)


def test_confluent_serdes_round_trip_and_survive_restart(hub: Hub) -> None:
    with SchemaRegistryClient({"url": hub.url}) as client:
        avro_bytes = AvroSerializer(client, AVRO)({"id": 1, "item": "pen"}, ctx("orders"))
        json_bytes = JSONSerializer(JSON, client)({"sku": "a1", "qty": 2}, ctx("stock"))
        assert AvroDeserializer(client)(avro_bytes, ctx("orders")) == {"id": 1, "item": "pen"}
        de = JSONDeserializer(JSON, schema_registry_client=client)
        assert de(json_bytes, ctx("stock")) == {"sku": "a1", "qty": 2}
        before = {s: client.get_latest_version(s).schema_id for s in client.get_subjects()}
    hub.stop()
    hub.start()  # the registry is rebuilt from the _schemas topic
    with SchemaRegistryClient({"url": hub.url}) as client:
        after = {s: client.get_latest_version(s).schema_id for s in client.get_subjects()}
        assert after == before == {"orders-value": 1, "stock-value": 2}
        assert AvroDeserializer(client)(avro_bytes, ctx("orders")) == {"id": 1, "item": "pen"}


def test_hub_schemas_cli(hub: Hub, tmp_path: Path) -> None:
    schema_file = tmp_path / "order.avsc"
    schema_file.write_text(AVRO)

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [HUB_SCRIPT, "schemas", *args, "--url", hub.url],
            capture_output=True,
            text=True,
            check=False,
        )

    assert (
        cli("register", "orders-value", str(schema_file)).stdout
        == "registered orders-value: id 1\n"
    )
    assert cli("list").stdout == "orders-value\n"
    assert cli("check", "orders-value", str(schema_file)).stdout == "compatible\n"
    missing = cli("get", "nope")
    assert missing.returncode == 1 and "Subject 'nope' not found" in missing.stderr
