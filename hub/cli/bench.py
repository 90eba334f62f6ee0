"""``hub bench log``: the log benchmark (the code lives in :mod:`hub.bench.log_bench`).

The benchmark module is imported only when the command runs, so the CLI starts
fast and does not load benchmark-only code (or fail) for other commands.
"""

from __future__ import annotations

from pathlib import Path

import click
import orjson


@click.group("bench")
def command() -> None:
    """Benchmarks that run cdchub and its peers side by side on this machine."""


@command.command(
    "log",
    epilog="""\b
Examples:
  hub bench log                                   # the full run (several minutes)
  hub bench log --records 100000 --runs 1 --no-redis --rss-records 0""",
)
@click.option(
    "--records",
    type=click.IntRange(min=1),
    default=1_000_000,
    show_default=True,
    help="Records per data set.",
)
@click.option(
    "--value-size",
    type=click.IntRange(min=0),
    default=100,
    show_default=True,
    help="Value size in bytes.",
)
@click.option(
    "--key-size",
    type=click.IntRange(min=1),
    default=10,
    show_default=True,
    help="Key size in bytes.",
)
@click.option(
    "--batch-size",
    type=click.IntRange(min=1),
    default=1000,
    show_default=True,
    help="Records per append (and per Redis pipeline).",
)
@click.option(
    "--runs",
    type=click.IntRange(min=1),
    default=3,
    show_default=True,
    help="Runs; figures are medians.",
)
@click.option(
    "--redis/--no-redis",
    "with_redis",
    default=True,
    show_default=True,
    help="Compare with Redis Streams (starts a private redis-server).",
)
@click.option(
    "--rss-records",
    type=click.IntRange(min=0),
    default=10_000_000,
    show_default=True,
    help="Records for the peak-RSS child (0 skips).",
)
@click.option(
    "--large-records",
    type=click.IntRange(min=0),
    default=20_000,
    show_default=True,
    help="Records with large values vs raw write (0 skips).",
)
@click.option(
    "--large-value-size",
    type=click.IntRange(min=1),
    default=10_240,
    show_default=True,
    help="Value size of the large-record run.",
)
@click.option(
    "--json",
    "json_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the report as JSON to this file.",
)
@click.option(
    "--markdown",
    "markdown_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the table as markdown to this file (for docs/performance.md).",
)
@click.option(
    "--dir",
    "--work-dir",
    "work_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where temporary data goes (default: the system temp dir).",
)
@click.option(
    "--redis-server",
    default="/usr/bin/redis-server",
    show_default=True,
    help="redis-server executable.",
)
def log(
    records: int,
    value_size: int,
    key_size: int,
    batch_size: int,
    runs: int,
    with_redis: bool,
    rss_records: int,
    large_records: int,
    large_value_size: int,
    json_path: Path | None,
    markdown_path: Path | None,
    work_dir: Path | None,
    redis_server: str,
) -> None:
    """Produce and consume records in-process vs Redis Streams vs raw file I/O."""
    from hub.bench.errors import BenchError
    from hub.bench.log_bench import run

    try:
        report = run(
            records=records,
            value_size=value_size,
            key_size=key_size,
            batch_size=batch_size,
            runs=runs,
            with_redis=with_redis,
            rss_records=rss_records,
            large_records=large_records,
            large_value_size=large_value_size,
            work_dir=work_dir,
            redis_server=redis_server,
        )
    except BenchError as exc:
        raise click.ClickException(str(exc)) from None
    if json_path is not None:
        json_path.write_bytes(orjson.dumps(report.to_dict(), option=orjson.OPT_INDENT_2))
        click.echo(f"report written to {json_path}", err=True)
    if markdown_path is not None:
        from hub.bench.report import markdown_table

        markdown_path.write_text(markdown_table(report))
        click.echo(f"markdown table written to {markdown_path}", err=True)
