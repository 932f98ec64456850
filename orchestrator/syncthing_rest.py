"""One client for Syncthing's REST API, used by ``ai-employee sync config`` and the harness."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

__all__ = ["SyncthingRest", "SyncthingRestError"]

# No proxy for the local Syncthing GUI, whatever the environment says.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class SyncthingRestError(RuntimeError):
    """A call Syncthing refused (``status`` is the HTTP code) or could not be reached
    (``status`` is None)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class SyncthingRest:
    def __init__(self, url: str, api_key: str) -> None:
        self.url = url.rstrip("/")
        self.api_key = api_key

    def call(self, method: str, path: str, body: Any = None, timeout: float = 60.0) -> Any:
        """One REST call; returns the decoded JSON answer (None for an empty body)."""
        request = urllib.request.Request(
            self.url + path,
            data=None if body is None else json.dumps(body).encode(),
            method=method,
            headers={"X-API-Key": self.api_key, "Content-Type": "application/json"},
        )
        try:
            with _OPENER.open(request, timeout=timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as error:
            detail = error.read().decode("utf-8", "replace").strip()
            hint = " (wrong API key?)" if error.code in (401, 403) else ""
            raise SyncthingRestError(
                f"Syncthing at {self.url} refused {method} {path}: HTTP {error.code}{hint} "
                f"{detail}",
                error.code,
            ) from None
        except (urllib.error.URLError, OSError) as error:
            raise SyncthingRestError(
                f"cannot reach Syncthing at {self.url} ({error}); is it running?"
            ) from None
        return json.loads(raw) if raw.strip() else None
