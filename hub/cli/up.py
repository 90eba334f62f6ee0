"""``hub up``: run the whole hub (log + REST API) in this process until interrupted.

Shutdown order matters for durability: uvicorn stops accepting and finishes
in-flight requests first, then :meth:`HubServices.close` runs every registered
closer and closes the log (flush + fsync + lock release). uvicorn's default
habit of re-raising the captured signal after shutdown would kill the process
on SIGTERM before the log is closed, so :class:`HubServer` swallows it and the
command exits 0 after a clean stop.
"""

from __future__ import annotations

import contextlib
import signal
import socket
import threading
from collections.abc import Generator
from pathlib import Path
from types import FrameType

import click
import uvicorn

from hub.api.app import create_app
from hub.config import (
    DEFAULT_DATA_DIR,
    DEFAULT_HOST,
    DEFAULT_PORT,
    ConfigError,
    HubConfig,
    tune_process,
)
from hub.core_log.errors import LogError
from hub.services import HubServices

EXAMPLES = """\b
Examples:
  hub up                                   # ./hub-data, http://127.0.0.1:8083
  hub up --data-dir /var/lib/cdchub --host 0.0.0.0 --port 9000
  HUB_AUTO_CREATE_TOPICS=true hub up       # create topics on first produce

Stop with Ctrl-C or SIGTERM: in-flight requests finish, then the log is
flushed, fsynced and unlocked."""


class HubServer(uvicorn.Server):
    """uvicorn server that announces where things are and exits quietly on a signal."""

    def __init__(self, config: uvicorn.Config, services: HubServices) -> None:
        super().__init__(config)
        self.services = services
        self.hub_config = services.config

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        """Wake waiting long-polls too, so in-flight requests end promptly."""
        self.services.begin_shutdown()
        super().handle_exit(sig, frame)

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started:
            announce(self.hub_config)

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        """Stop gracefully on SIGINT/SIGTERM and do not re-raise them afterwards."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        handled = (signal.SIGINT, signal.SIGTERM)
        previous = {sig: signal.signal(sig, self.handle_exit) for sig in handled}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def announce(config: HubConfig) -> None:
    """Print where everything is, once the port is actually listening."""
    lines = [
        "cdchub is up",
        f"  data dir:   {config.data_dir.resolve()}",
        f"  REST API:   {config.url}",
        f"  API docs:   {config.url}/docs  (OpenAPI: {config.url}/openapi.json)",
        f"  auto-create topics on produce: {'on' if config.auto_create_topics else 'off'}",
        f"  authentication: {f'required ({config.auth_file})' if config.auth_file else 'off'}",
        "Press Ctrl-C to stop.",
    ]
    click.echo("\n".join(lines))


def serve(config: HubConfig, log_level: str) -> None:
    """Open the log, serve the API until a signal arrives, then close the log."""
    try:
        services = HubServices.open(config)
    except LogError as exc:
        raise click.ClickException(exc.message) from None
    except OSError as exc:
        msg = f"cannot use {config.data_dir} as the data directory ({exc}); see --data-dir"
        raise click.ClickException(msg) from None
    tune_process()  # after opening: the plugins the stored connectors need are imported now
    try:
        uv_config = uvicorn.Config(
            create_app(services),
            host=config.host,
            port=config.port,
            log_level=log_level,
            access_log=False,
            lifespan="on",
        )
        server = HubServer(uv_config, services)
        with contextlib.suppress(SystemExit):  # uvicorn exits when it cannot bind; reported below
            server.run()
    finally:
        services.close()
    if not server.started:
        msg = f"the REST API could not listen on {config.host}:{config.port} (see above)"
        raise click.ClickException(msg)
    click.echo(f"cdchub stopped; the log in {config.data_dir.resolve()} is flushed and closed")


@click.command("up", epilog=EXAMPLES)
@click.option(
    "--data-dir",
    envvar="HUB_DATA_DIR",
    default=DEFAULT_DATA_DIR,
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Where the log keeps its topics (env HUB_DATA_DIR).",
)
@click.option(
    "--host",
    envvar="HUB_HOST",
    default=DEFAULT_HOST,
    show_default=True,
    help="Interface to listen on (env HUB_HOST).",
)
@click.option(
    "--port",
    envvar="HUB_PORT",
    default=DEFAULT_PORT,
    show_default=True,
    type=click.IntRange(1, 65535),
    help="REST API port (env HUB_PORT).",
)
@click.option(
    "--auto-create-topics/--no-auto-create-topics",
    envvar="HUB_AUTO_CREATE_TOPICS",
    default=False,
    show_default=True,
    help="Create an unknown topic on its first produce instead of answering 404.",
)
@click.option(
    "--auth-file",
    envvar="HUB_AUTH_FILE",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help='Require authentication: JSON {"users": {...}, "tokens": [...]} (env HUB_AUTH_FILE).',
)
@click.option(
    "--log-level",
    type=click.Choice(["critical", "error", "warning", "info", "debug"]),
    default="info",
    show_default=True,
    help="Server log verbosity.",
)
def command(
    data_dir: Path,
    host: str,
    port: int,
    auto_create_topics: bool,
    auth_file: Path | None,
    log_level: str,
) -> None:
    """Run the hub: the embedded log and the REST API, in this process."""
    try:
        config = HubConfig.from_env(
            data_dir=data_dir,
            host=host,
            port=port,
            auto_create_topics=auto_create_topics,
            auth_file=auth_file,
        )
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    serve(config, log_level)
