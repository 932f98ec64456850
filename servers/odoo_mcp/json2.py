"""Odoo 19's external JSON-2 API as a :class:`~servers.odoo_mcp.rpc.Transport`.

``POST /json/2/<model>/<method>`` with ``Authorization: bearer <api key>`` and
``X-Odoo-Database``; the body names every argument (``ids``, ``context`` and the method's
own); the answer is the bare JSON result, or an HTTP error whose JSON body carries
``name``, ``message``, ``arguments``, ``context`` and ``debug``. Each call is one
transaction in Odoo. Taken from Odoo 19.0's published reference (the external JSON-2 API
page and ``odoo.http.Json2Dispatcher``); no Odoo 19 server was available to check it on.

The service calls methods positionally, as XML-RPC does; ``named_arguments`` gives each
positional argument its parameter name for the methods odoo-mcp uses.
"""

from __future__ import annotations

from typing import Any

import httpx

from shared.settings import OdooSettings

__all__ = [
    "Json2Fault",
    "Json2LoginRefused",
    "Json2Transport",
    "http_client",
    "named_arguments",
    "plain_errors",
    "server_version",
]

# methods called on the model (no ids), and the names of their positional parameters
MODEL_METHODS: dict[str, tuple[str, ...]] = {
    "create": ("vals_list",),
    "search": ("domain", "offset", "limit", "order"),
    "search_read": ("domain", "fields", "offset", "limit", "order"),
    "search_count": ("domain", "limit"),
    "name_search": ("name", "domain", "operator", "limit"),
    "fields_get": ("allfields", "attributes"),
    "default_get": ("fields_list",),
    "context_get": (),
}
# methods called on records: the first positional argument is the ids
RECORD_METHODS: dict[str, tuple[str, ...]] = {
    "read": ("fields",),
    "web_read": ("specification",),
    "web_save": ("vals", "specification"),
    "write": ("vals",),
    "unlink": (),
    "action_post": (),
    "action_create_payments": (),
    "button_draft": (),
    "button_cancel": (),
}


class Json2Fault(Exception):
    """Odoo answered with an error object (``name``, ``message``)."""

    def __init__(self, status: int, name: str, message: str) -> None:
        super().__init__(f"{status} {name}: {message}")
        self.status, self.name, self.message = status, name, message


class Json2LoginRefused(Json2Fault):
    """The API key was refused when logging in."""


def named_arguments(method: str, args: list[Any], kwargs: dict[str, Any]) -> dict[str, Any]:
    """The JSON-2 body for ``model.method(*args, **kwargs)``."""
    body = dict(kwargs)
    if method in MODEL_METHODS:
        names = MODEL_METHODS[method]
        if method == "create" and args and isinstance(args[0], dict):
            args = [[args[0]], *args[1:]]
    else:
        names = RECORD_METHODS.get(method, ())
        if args:
            body["ids"] = args[0]
            args = args[1:]
    if len(args) > len(names):
        raise ValueError(
            f"JSON-2 needs named arguments: {method} got {len(args)} positional, "
            f"knows the names of {len(names)}"
        )
    body.update(zip(names, args, strict=False))
    return body


def server_version(client: httpx.Client) -> tuple[int, str]:
    """``GET /web/version``, which Odoo 19 added: (major, version), or (0, "") before 19."""
    answer = client.get("/web/version")
    if answer.status_code != 200:
        return 0, ""
    try:
        data = answer.json()
    except ValueError:  # a page, not Odoo's answer: an older Odoo behind a proxy
        return 0, ""
    info = data.get("version_info") if isinstance(data, dict) else None
    if not isinstance(info, list) or not info or not isinstance(info[0], int):
        return 0, ""
    return info[0], str(data.get("version") or "")


def http_client(settings: OdooSettings, authorised: bool) -> httpx.Client:
    """A client for this Odoo; with the API key and database headers when ``authorised``."""
    verify: Any = str(settings.ca_file) if settings.ca_file else True
    if not settings.verify_tls:
        verify = False
    headers = {}
    if authorised:
        headers = {
            "Authorization": f"bearer {settings.password.get_secret_value()}",
            "X-Odoo-Database": settings.db,
        }
    return httpx.Client(
        base_url=settings.url.rstrip("/"),
        timeout=settings.timeout_s,
        verify=verify,
        headers=headers,
    )


def plain_errors(request: Any) -> Any:
    """httpx's errors as the builtin ones the client already turns into ours."""
    try:
        return request()
    except httpx.TimeoutException as error:
        raise TimeoutError(str(error)) from None
    except httpx.TransportError as error:
        raise ConnectionError(str(error) or type(error).__name__) from None


class Json2Transport:
    """Blocking, like the odoorpc transport: the client runs it in a worker thread."""

    def __init__(self, settings: OdooSettings) -> None:
        self.settings = settings
        self.server_version = ""
        self.http = http_client(settings, authorised=True)

    def login(self) -> int:
        """JSON-2 has no session: the key is checked on every call. Logging in reads the
        server's version and the key's user."""
        _, self.server_version = plain_errors(lambda: server_version(self.http))
        try:
            context = self.execute_kw("res.users", "context_get", [], {})
        except Json2Fault as fault:
            if fault.status == 401:
                raise Json2LoginRefused(fault.status, fault.name, fault.message) from None
            raise
        return int(context["uid"])

    def execute_kw(self, model: str, method: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
        body = named_arguments(method, args, kwargs)
        answer = plain_errors(lambda: self.http.post(f"/json/2/{model}/{method}", json=body))
        if answer.status_code != 200:
            raise _fault(answer)
        result = answer.json()
        if method == "create" and args and isinstance(args[0], dict) and isinstance(result, list):
            return result[0]  # one record created from one dict: its id, as over JSON-RPC
        return result


def _fault(answer: httpx.Response) -> Json2Fault:
    try:
        data = answer.json()
    except ValueError:
        data = {}
    if not isinstance(data, dict):
        data = {}
    name = str(data.get("name") or f"HTTP {answer.status_code}")
    message = str(data.get("message") or answer.reason_phrase)
    return Json2Fault(answer.status_code, name, message)
