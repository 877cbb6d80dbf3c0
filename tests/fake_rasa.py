"""Rasa's HTTP API played by an httpx mock transport, for the web app's calls to Rasa."""

from __future__ import annotations

import json

import httpx


class FakeRasa:
    """Rasa's HTTP API: records (method, path, query, body); ``status`` is what it answers."""

    def __init__(self):
        self.calls: list[tuple[str, str, dict, object]] = []
        self.status = 200

    def __call__(self, request: httpx.Request) -> httpx.Response:
        query = dict(request.url.params)
        path = request.url.raw_path.decode().split("?")[0]  # as sent: still percent-encoded
        self.calls.append((request.method, path, query, json.loads(request.content or b"null")))
        return httpx.Response(self.status, json={"tracker": {}})
