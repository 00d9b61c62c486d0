"""The JSON API (FastAPI, `/api/v1`): it parses requests, calls a service, renders the result.

No business rule lives here; refusals come from the services and are mapped to HTTP in `errors.py`.
"""

from cartrial.api.app import API_PREFIX, create_app

__all__ = ["API_PREFIX", "create_app"]
