"""The analytics page in a real browser (Debian's Chromium, Playwright): the operator signs in
with the API key and sees the day-by-day charts, drawn from the events the chat wrote."""

from __future__ import annotations

from chat_page import REPLY_TIMEOUT_MS, onboard


def test_the_operator_signs_in_and_sees_todays_conversation_and_picks_charted(web_services, page, screenshots):
    from playwright.sync_api import expect

    expect.set_options(timeout=REPLY_TIMEOUT_MS)
    page.goto(web_services.web_url + "/")
    onboard(page, page.locator("#chat-messages"))

    page.goto(web_services.web_url + "/analytics")
    page.fill("#key", "not the key")
    page.click("#sign-in")
    expect(page.locator("#error")).to_contain_text("missing or wrong API key")
    page.fill("#key", web_services.api_key)
    page.click("#sign-in")

    expect(page.locator("#analytics-view")).to_be_visible()
    expect(page.locator("#conversations-chart svg.chart")).to_have_count(1)
    expect(page.locator("#rates-chart polyline")).to_have_count(2)  # click-through and like
    expect(page.locator("#segments-empty")).to_be_visible()
    expect(page.locator("#variants-empty")).to_be_visible()
    screenshots("analytics")
    assert page.page_errors == []
    data = page.evaluate("key => fetch('/api/analytics?days=7', {headers: {Authorization: 'Bearer ' + key}})"
                         ".then(response => response.json())", web_services.api_key)
    today = data["days"][-1]
    assert today["shown"] >= 5 and data["conversations"].get(today["name"], 0) >= 1  # this test's own chat
