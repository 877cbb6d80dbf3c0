"""The embeddable widget's script, for any shop's pages (docs/widget.md).

Built by ``make setup`` (bot/web/build.mjs) into ``static/vendor/recbot-widget.js`` and served
under its version, from bot/web/package.json: ``/widget/<version>/recbot.js`` never changes, so
browsers and CDNs keep it for a year, and a shop that pins a version gets exactly that code.
``/widget/recbot.js`` points to the current version for a few minutes at a time. Any origin
may load it (it is public code); what it calls is guarded by BOT_ALLOWED_ORIGINS and tokens.
"""

from __future__ import annotations

import json

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse, RedirectResponse

from bot.web.responses import STATIC_DIR

ASSET = STATIC_DIR / "vendor" / "recbot-widget.js"
VERSION = json.loads((STATIC_DIR.parent / "package.json").read_text(encoding="utf-8"))["version"]
NOT_BUILT = "the widget is not built: run `make setup` (npm ci and npm run build in bot/web/)"
LATEST_SECONDS = 300  # how long a browser follows /widget/recbot.js to one version
_PUBLIC = {"Access-Control-Allow-Origin": "*", "Cross-Origin-Resource-Policy": "cross-origin",
           "X-Content-Type-Options": "nosniff"}

router = APIRouter(tags=["widget"])


@router.get("/widget/{version}/recbot.js", response_class=FileResponse,
            responses={404: {"description": "No such version of the widget here."}})
def widget_script(version: str) -> FileResponse:
    """The widget's script of this version (only the version this server was built with)."""
    if version != VERSION:
        raise HTTPException(404, f"this server has widget version {VERSION}")
    if not ASSET.is_file():
        raise HTTPException(503, NOT_BUILT)
    return FileResponse(ASSET, media_type="text/javascript",
                        headers={"Cache-Control": "public, max-age=31536000, immutable", **_PUBLIC})


@router.get("/widget/recbot.js", response_class=RedirectResponse, status_code=307)
def latest_widget_script() -> RedirectResponse:
    """The current version, for pages that don't pin one."""
    return RedirectResponse(f"/widget/{VERSION}/recbot.js", status_code=307,
                            headers={"Cache-Control": f"public, max-age={LATEST_SECONDS}", **_PUBLIC})
