"""The HTTP client every ``hub`` subcommand (except ``up``) uses to reach a running hub.

A hub started with an auth file wants credentials: ``HUB_TOKEN`` (sent as a
bearer token) or ``user:password@`` in ``--url`` / ``HUB_URL`` (Basic auth).

It turns every failure into a :class:`click.ClickException` carrying the
server's own message (or, when the hub is not reachable, what to do about it),
so commands print ``Error: <message>`` and exit non-zero without a traceback.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, TypeVar

import click
import httpx
import orjson

from hub.config import DEFAULT_URL

F = TypeVar("F", bound=Callable[..., Any])


class HubRequestError(click.ClickException):
    """The hub answered with an error; ``status`` and ``error_code`` come from its reply."""

    def __init__(self, status: int, error_code: int | None, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.error_code = error_code


def url_option(fn: F) -> F:
    """Add ``--url`` (env ``HUB_URL``) to a command."""
    option = click.option(
        "--url",
        envvar="HUB_URL",
        default=DEFAULT_URL,
        show_default=True,
        metavar="URL",
        help="Base URL of the hub's REST API (env HUB_URL).",
    )
    return option(fn)


def _error_from(resp: httpx.Response) -> HubRequestError:
    try:
        body = orjson.loads(resp.content)
    except orjson.JSONDecodeError:
        body = None
    if isinstance(body, dict) and "message" in body:
        code = body.get("error_code")
        return HubRequestError(
            resp.status_code, code if isinstance(code, int) else None, str(body["message"])
        )
    text = resp.text.strip() or resp.reason_phrase
    return HubRequestError(resp.status_code, None, f"HTTP {resp.status_code}: {text}")


class HubClient:
    """A thin wrapper over :class:`httpx.Client` bound to one hub."""

    def __init__(self, url: str, *, timeout: float = 60.0, token: str | None = None) -> None:
        self.url = url.rstrip("/")
        token = os.environ.get("HUB_TOKEN") if token is None else token
        headers = {"authorization": f"Bearer {token}"} if token else {}
        # user:password@ in the URL is sent as Basic auth by httpx itself.
        self.http = httpx.Client(base_url=self.url, timeout=timeout, headers=headers)

    def __enter__(self) -> HubClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.http.close()

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """Send one request; raise :class:`click.ClickException` on any failure."""
        try:
            resp = self.http.request(method, path, **kwargs)
        except httpx.ConnectError:
            msg = (
                f"cannot reach the hub at {self.url}; start it with `hub up` "
                "or point --url (env HUB_URL) at a running hub"
            )
            raise click.ClickException(msg) from None
        except httpx.TimeoutException:
            msg = f"the hub at {self.url} did not answer {method} {path} in time"
            raise click.ClickException(msg) from None
        except httpx.HTTPError as exc:
            msg = f"{method} {self.url}{path} failed: {exc}"
            raise click.ClickException(msg) from None
        if resp.status_code >= 400:
            raise _error_from(resp)
        return resp

    def json(self, method: str, path: str, **kwargs: Any) -> Any:
        """Send a request and return its JSON body (``None`` for 204 No Content)."""
        resp = self.request(method, path, **kwargs)
        if resp.status_code == 204 or not resp.content:
            return None
        return orjson.loads(resp.content)

    def send_json(self, method: str, path: str, body: Any, **kwargs: Any) -> Any:
        """Send ``body`` serialized with orjson and return the JSON reply."""
        headers = {"content-type": "application/json"}
        return self.json(method, path, content=orjson.dumps(body), headers=headers, **kwargs)


def echo_json(data: Any, *, pretty: bool = True) -> None:
    """Print JSON to stdout (indented for people, one line for pipes)."""
    option = orjson.OPT_INDENT_2 if pretty else 0
    click.echo(orjson.dumps(data, option=option).decode())


def json_option(fn: F) -> F:
    """Add ``--json``: print the REST API's reply instead of the command's own rendering."""
    option = click.option(
        "--json", "as_json", is_flag=True, help="Print the REST API's JSON instead."
    )
    return option(fn)


def show(url: str, path: str, as_json: bool, render: Callable[[Any], None]) -> None:
    """GET ``path`` and print it: the reply as JSON with ``--json``, else ``render(reply)``.

    Every ``describe`` reads one resource and offers both views; this keeps them alike.
    """
    with HubClient(url) as hub:
        reply = hub.json("GET", path)
    if as_json:
        echo_json(reply)
    else:
        render(reply)


def partitions_option(help_text: str) -> Callable[[F], F]:
    """Add repeatable ``-p/--partition`` (a tuple ``partitions``; empty means every partition)."""
    return click.option(
        "-p",
        "--partition",
        "partitions",
        multiple=True,
        type=click.IntRange(min=0),
        help=help_text,
    )
