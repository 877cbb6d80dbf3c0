"""Tiny FastAPI app that serves the browser chat page for the movie bot.

The page talks to Rasa's REST channel straight from the browser, so this server
only ships static files and tells the page where Rasa runs. Keeping the Rasa URL
in ``/config.json`` (not baked into the JS) lets it stay a deploy-time setting.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).resolve().parent / "static"


def create_app(rasa_url: str) -> FastAPI:
    """Build the web app; a factory so the caller decides which Rasa to point at."""
    app = FastAPI(title="Movie bot web chat")
    config = {"rasa_url": rasa_url}

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        """Serve the chat page itself at the root so the URL to share is short."""
        return FileResponse(STATIC_DIR / "index.html", media_type="text/html")

    @app.get("/config.json")
    def get_config() -> dict[str, str]:
        """Tell the page where Rasa runs, so the JS needs no hard-coded URL."""
        return config

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        """Cheap liveness probe for scripts and `make` targets."""
        return {"status": "ok"}

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app
