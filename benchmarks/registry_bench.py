"""Schema registry: HTTP latency of register/lookup, and converter serialization vs plain encoders.

Usage: ``python benchmarks/registry_bench.py [--versions 1000] [--records 1000000] [--json PATH]``

Part 1 starts a real hub (the FastAPI app with the registry router, over a log
in a temp dir) in a *child process*, so client and server do not share a GIL,
registers ``--versions`` schema versions (10 subjects; every version adds a
field with a default, so each registration runs a BACKWARD check against the
subject's latest version) and then looks every id up over HTTP (keep-alive
httpx client).  Targets: p99 < 20 ms register, p99 < 5 ms lookup by id.

Part 2 serializes ``--records`` Connect Structs through JsonSchemaConverter and
AvroConverter (schemas cached after the first record) and the same records as
dicts through plain ``json.dumps(...).encode()`` and fastavro's
``schemaless_writer``, alternating chunks of both in one run.  Target: plain
time / converter time >= 0.7.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

MODULES_EXTRA = "hub.api.registry"
SUBJECTS = 10


def serve(data_dir: str, port_file: str) -> None:
    """Child process: run the hub app with the registry until killed."""
    import uvicorn

    from hub.api.app import ROUTER_MODULES, create_app
    from hub.config import HubConfig
    from hub.services import HubServices

    services = HubServices.open(HubConfig(data_dir=Path(data_dir)))
    modules = tuple(dict.fromkeys((*ROUTER_MODULES, MODULES_EXTRA)))
    app = create_app(services, router_modules=modules)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    Path(port_file).write_text(str(sock.getsockname()[1]))
    config = uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False)
    try:
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        services.close()


def start_hub(work: Path) -> tuple[subprocess.Popen[bytes], str]:
    port_file = work / "port"
    child = subprocess.Popen(
        [sys.executable, __file__, "--serve", str(work / "data"), str(port_file)],
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])},
    )
    deadline = time.monotonic() + 30
    while not port_file.exists() or not port_file.read_text():
        if child.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("the benchmark hub did not start; see its output above")
        time.sleep(0.05)
    url = f"http://127.0.0.1:{port_file.read_text()}"
    import httpx

    while True:
        try:
            httpx.get(f"{url}/config", timeout=1)
            return child, url
        except httpx.HTTPError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def pct(samples: Sequence[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def http_part(url: str, versions: int) -> dict[str, Any]:
    import httpx

    per_subject = max(1, versions // SUBJECTS)
    register_ms: list[float] = []
    lookup_ms: list[float] = []
    ids: list[int] = []
    with httpx.Client(base_url=url, timeout=30) as http:
        for k in range(per_subject):
            fields = [{"name": "id", "type": "long"}] + [
                {"name": f"f{i}", "type": "string", "default": ""} for i in range(k)
            ]
            for s in range(SUBJECTS):
                schema = {"type": "record", "name": f"Rec{s}", "fields": fields}
                start = time.perf_counter()
                resp = http.post(
                    f"/subjects/bench-{s}/versions", json={"schema": json.dumps(schema)}
                )
                register_ms.append((time.perf_counter() - start) * 1000)
                resp.raise_for_status()
                ids.append(resp.json()["id"])
        for _ in range(3):
            for schema_id in ids:
                start = time.perf_counter()
                http.get(f"/schemas/ids/{schema_id}").raise_for_status()
                lookup_ms.append((time.perf_counter() - start) * 1000)
    return {
        "versions": len(ids),
        "distinct_ids": len(set(ids)),
        "register_p50_ms": statistics.median(register_ms),
        "register_p99_ms": pct(register_ms, 0.99),
        "lookup_p50_ms": statistics.median(lookup_ms),
        "lookup_p99_ms": pct(lookup_ms, 0.99),
        "lookups": len(lookup_ms),
    }


def make_records(count: int) -> tuple[Any, list[Any], list[dict[str, Any]]]:
    from connectors.api import Schema, SchemaBuilder, Struct

    schema = (
        SchemaBuilder.struct()
        .name("bench.User")
        .field("id", Schema.INT64_SCHEMA)
        .field("name", Schema.STRING_SCHEMA)
        .field("email", Schema.OPTIONAL_STRING_SCHEMA)
        .field("score", Schema.FLOAT64_SCHEMA)
        .field("active", Schema.BOOLEAN_SCHEMA)
        .field("created_ms", Schema.INT64_SCHEMA)
        .build()
    )
    structs = [
        Struct(
            schema,
            {
                "id": i,
                "name": f"user-{i}",
                "email": None if i % 5 == 0 else f"user{i}@example.com",
                "score": i * 0.25,
                "active": i % 2 == 0,
                "created_ms": 1_700_000_000_000 + i,
            },
        )
        for i in range(count)
    ]
    return schema, structs, [s.to_dict() for s in structs]


def timed_pair(
    plain: Callable[[Any], Any],
    plain_items: list[Any],
    conv: Callable[[Any], Any],
    conv_items: list[Any],
    records: int,
) -> tuple[float, float]:
    """Alternate chunks of both so machine noise hits both alike; return total seconds."""
    t_plain = t_conv = 0.0
    done = 0
    while done < records:
        chunk = min(len(plain_items), records - done)
        start = time.perf_counter()
        for item in plain_items[:chunk]:
            plain(item)
        t_plain += time.perf_counter() - start
        start = time.perf_counter()
        for item in conv_items[:chunk]:
            conv(item)
        t_conv += time.perf_counter() - start
        done += chunk
    return t_plain, t_conv


def serde_part(url: str, records: int) -> dict[str, Any]:
    from fastavro import parse_schema, schemaless_writer

    from schemas.connect_avro import to_avro_schema
    from schemas.converters import AvroConverter, JsonSchemaConverter

    schema, structs, dicts = make_records(min(records, 50_000))
    json_conv, avro_conv = JsonSchemaConverter(), AvroConverter()
    for conv in (json_conv, avro_conv):
        conv.configure({"schema.registry.url": url}, False)
    parsed = parse_schema(to_avro_schema(schema))

    def plain_avro(record: dict[str, Any]) -> bytes:
        buf = io.BytesIO()
        schemaless_writer(buf, parsed, record)
        return buf.getvalue()

    try:
        out: dict[str, Any] = {"records": records}
        for name, plain, conv in (
            ("json", lambda d: json.dumps(d).encode(), json_conv),
            ("avro", plain_avro, avro_conv),
        ):
            topic = f"serde-{name}"
            conv.from_connect_data(
                topic, schema, structs[0]
            )  # registers; later records hit the cache

            def via(value: Any, conv: Any = conv, topic: str = topic) -> Any:
                return conv.from_connect_data(topic, schema, value)

            t_plain, t_conv = timed_pair(plain, dicts, via, structs, records)
            out[f"{name}_plain_us"] = t_plain / records * 1e6
            out[f"{name}_converter_us"] = t_conv / records * 1e6
            out[f"{name}_ratio"] = t_plain / t_conv
        return out
    finally:
        json_conv.close()
        avro_conv.close()


def report(http: dict[str, Any], serde: dict[str, Any]) -> str:
    def mark(ok: bool) -> str:
        return "ok" if ok else "MISS"

    rows = [
        f"register ({http['versions']} versions, BACKWARD check): "
        f"p50 {http['register_p50_ms']:.2f} ms  p99 {http['register_p99_ms']:.2f} ms  "
        f"(target p99 < 20 ms: {mark(http['register_p99_ms'] < 20)})",
        f"lookup by id ({http['lookups']} GETs): p50 {http['lookup_p50_ms']:.2f} ms  "
        f"p99 {http['lookup_p99_ms']:.2f} ms  "
        f"(target p99 < 5 ms: {mark(http['lookup_p99_ms'] < 5)})",
    ]
    for name, peer in (("json", "json.dumps().encode()"), ("avro", "fastavro schemaless_writer")):
        ratio = serde[f"{name}_ratio"]
        rows.append(
            f"{name} converter: {serde[f'{name}_converter_us']:.2f} us/record vs {peer} "
            f"{serde[f'{name}_plain_us']:.2f} us/record over {serde['records']:,} records: "
            f"ratio {ratio:.2f} (target >= 0.7: {mark(ratio >= 0.7)})"
        )
    return "\n".join(rows)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--versions", type=int, default=1000, help="schema versions to register")
    parser.add_argument("--records", type=int, default=1_000_000, help="records per serializer")
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    parser.add_argument(
        "--serve", nargs=2, metavar=("DATA_DIR", "PORT_FILE"), help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    if args.serve:
        serve(*args.serve)
        return 0
    with tempfile.TemporaryDirectory(prefix="registry-bench-") as tmp:
        child, url = start_hub(Path(tmp))
        try:
            print(
                f"hub with registry at {url}; registering {args.versions} versions", file=sys.stderr
            )
            http = http_part(url, args.versions)
            print(f"serializing {args.records:,} records per converter", file=sys.stderr)
            serde = serde_part(url, args.records)
        finally:
            child.terminate()
            child.wait(timeout=30)
    print(report(http, serde))
    if args.json:
        args.json.write_text(json.dumps({"http": http, "serde": serde}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
