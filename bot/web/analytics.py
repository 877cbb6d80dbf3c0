"""For the business's own people (BOT_API_KEY, :func:`bot.web.auth.operator`): the analytics
page and its numbers, from :meth:`bot.engine.Engine.analytics`."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import FileResponse

from bot.web.auth import operator
from bot.web.dependencies import Engines
from bot.web.responses import page
from bot.web.schemas import AnalyticsOut, ErrorOut

router = APIRouter()


@router.get("/analytics", include_in_schema=False)
def analytics_page() -> FileResponse:
    """Conversations and how recommendations are received; the page asks for the API key."""
    return page("analytics.html")


@router.get("/api/analytics", tags=["analytics"], response_model=AnalyticsOut,
            dependencies=[Depends(operator)],
            responses={401: {"model": ErrorOut, "description": "Missing or wrong API key."},
                       503: {"model": ErrorOut, "description": "BOT_API_KEY is not set."}})
def get_analytics(engines: Engines, days: Annotated[int, Query(ge=1, le=366)] = 30) -> Any:
    """Per day, per segment and per variant of the running experiment: users, items shown,
    and the click, like and any-outcome rates with 95% intervals; conversations a day."""
    return asdict(engines.get().analytics(days))
