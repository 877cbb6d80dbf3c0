"""Answers several routers give: the static pages, and a user's export as a file to save."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from fastapi.encoders import jsonable_encoder
from fastapi.responses import FileResponse, Response

STATIC_DIR = Path(__file__).resolve().parent / "static"
NO_STORE = {"Cache-Control": "no-store"}  # tokens and users' data stay out of caches


def page(name: str) -> FileResponse:
    """One of the HTML pages in ``static/``."""
    return FileResponse(STATIC_DIR / name, media_type="text/html")


def download_filename(sender_id: str) -> str:
    """``<sender>-data.json``, reduced to characters that are safe in a header."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", sender_id).strip("._")[:64]
    return f"{stem or 'user'}-data.json"


def download(data: dict[str, Any], sender_id: str) -> Response:
    """The export as a JSON file the browser saves rather than shows."""
    body = json.dumps(jsonable_encoder(data), indent=2, ensure_ascii=False)
    return Response(
        body,
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="{download_filename(sender_id)}"', **NO_STORE},
    )
