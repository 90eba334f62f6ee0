"""The ``hub`` command: run the hub and talk to a running one.

Every command except ``hub up`` is an HTTP client of a running hub (``--url``,
env ``HUB_URL``, default http://127.0.0.1:8083), so the CLI works the same
against a hub on this machine or elsewhere. Commands come from the modules in
:data:`COMMAND_MODULES`; each exposes ``command`` (a click command or group),
so a workstream adds its commands by adding its module name here. A module
that provides several top-level commands (``hub produce``, ``hub consume``)
exposes them as ``commands`` instead.
"""

from __future__ import annotations

import importlib

import click

import hub

COMMAND_MODULES: tuple[str, ...] = (
    "hub.cli.up",
    "hub.cli.topics",
    "hub.cli.records",
    "hub.cli.groups",
    "hub.cli.bench",
    "hub.cli.schemas",
    "hub.cli.connectors",
)


@click.group(
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog="""\b
Quick start:
  hub up                                   # terminal 1: start the hub on ./hub-data
  hub topics create clicks --partitions 3  # terminal 2
  echo '{"page": "/home"}' | hub produce clicks
  hub consume clicks --from earliest

Run `hub COMMAND --help` for each command's options and examples.""",
)
@click.version_option(hub.__version__, prog_name="cdchub")
def main() -> None:
    """cdchub: a connector and change-data-capture hub on an embedded Kafka-compatible log."""


def _add_commands(group: click.Group, module_names: tuple[str, ...]) -> None:
    for name in module_names:
        module = importlib.import_module(name)
        single = getattr(module, "command", None)
        commands = [single] if single is not None else getattr(module, "commands", [])
        if not commands or not all(isinstance(c, click.Command) for c in commands):
            msg = f"{name} is listed in hub.cli.COMMAND_MODULES but has no click `command`"
            raise TypeError(msg)
        for command in commands:
            group.add_command(command)


_add_commands(main, COMMAND_MODULES)
