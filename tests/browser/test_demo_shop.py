"""The widget on a shop's own site, in a real browser: the demo shop (demo_shop/, on
``localhost``) embeds the bot (on ``127.0.0.1``) with one script tag, as docs/widget.md tells a
shop to. A visitor chats anonymously, signs in and keeps what they said; a customer's views on
the shop reach the chat's and the page's recommendations; signing out leaves nothing of them on
screen; forged, expired and other users' tokens get nothing; and after "delete my data" no file
under the servers' folders (both databases and their write-ahead logs, the outbox, the logs)
holds a trace of the customer. Screenshots go to test-artifacts/browser/.
"""

from __future__ import annotations

import re
import time
import uuid
from pathlib import Path

import jwt
import requests
from chat_page import REPLY_TIMEOUT_MS

LAUNCHER = "Chat with us"
INPUT = "Message to the assistant"
ANIMATION = ["toy-story-1995", "spirited-away-2001", "finding-nemo-2003"]


def widget(page):
    return page.locator("recbot-widget")


def log(page):
    return widget(page).locator(".chat-messages")


def widget_data(page, name: str) -> str | None:
    return page.evaluate(f"document.querySelector('recbot-widget')?.dataset.{name} ?? null")


def say(page, text: str) -> None:
    box = page.get_by_label(INPUT)
    box.fill(text)
    box.press("Enter")


def sign_in(page, name: str) -> None:
    page.get_by_role("textbox", name="Name", exact=True).fill(name)
    page.get_by_role("button", name="Sign in").click()
    page.locator("#shop-user").wait_for()


def open_chat(page) -> None:
    from playwright.sync_api import expect

    page.get_by_role("button", name=LAUNCHER).click()
    expect(page.get_by_role("dialog")).to_be_visible()


def profile_of(services, user: str) -> dict:
    response = requests.get(f"{services.web_url}/api/users/{user}/profile",
                            headers={"Authorization": f"Bearer {services.api_key}"}, timeout=60)
    response.raise_for_status()
    return response.json()


def test_a_visitor_chats_signs_in_and_keeps_the_conversation_and_the_profile(web_services, page, screenshots):
    from playwright.sync_api import expect

    expect.set_options(timeout=REPLY_TIMEOUT_MS)
    user = f"ann-{uuid.uuid4().hex[:8]}"
    page.goto(web_services.shop_url)
    launcher = page.get_by_role("button", name=LAUNCHER)
    expect(launcher).to_have_attribute("aria-expanded", "false")
    expect(page.locator("[data-recbot-recommendations]")).to_be_hidden()  # nothing personal for a visitor
    screenshots("shop-with-launcher")

    open_chat(page)
    expect(page.get_by_label(INPUT)).to_be_focused()
    expect(log(page)).to_contain_text("Hi! I'm your movie guide.")
    visitor = page.evaluate("localStorage.getItem('recbot.visitorId')")
    assert re.fullmatch(r"web-[0-9a-f-]{36}", visitor), visitor
    assert widget_data(page, "sender") == visitor and widget_data(page, "signedIn") == "false"
    page.get_by_role("button", name="Yes, remember me").click()
    expect(log(page)).to_contain_text("Which kinds of movies do you enjoy?")
    say(page, "animation")
    expect(log(page)).to_contain_text("Name one or two movies you love")
    say(page, "skip")
    page.get_by_role("button", name="Nothing to avoid").click()
    cards = log(page).locator("article.card")
    expect(cards).to_have_count(5)
    liked = cards.first.locator(".card-title").inner_text()
    cards.first.get_by_role("button", name="👍 Like").click()
    expect(log(page).locator(".msg.bot").last).not_to_contain_text("Here are some picks")
    screenshots("visitor-chatting")

    sign_in(page, user)  # the page reloads signed in; the panel stays open
    expect(page.get_by_role("dialog")).to_be_visible()
    expect(log(page)).to_contain_text("Which kinds of movies do you enjoy?")  # the conversation so far
    expect(log(page)).to_contain_text("Welcome back")  # the bot, under the account, knows them
    assert widget_data(page, "sender") == user and widget_data(page, "signedIn") == "true"
    assert page.evaluate("localStorage.getItem('recbot.visitorId')") is None
    profile = profile_of(web_services, user)
    assert profile["consent"] is True and profile["onboarded"] is True
    assert "Animation" in profile["categories"], profile
    assert [title for title in profile["liked"] if title in liked], (profile["liked"], liked)
    exported = requests.get(f"{web_services.web_url}/api/users/{user}/export",
                            headers={"Authorization": f"Bearer {web_services.api_key}"}, timeout=60).json()
    assert exported["linked_ids"] == [visitor]
    screenshots("signed-in-same-conversation")

    say(page, "recommend me something")
    expect(cards).to_have_count(10)
    categories = cards.locator(".card-categories").all_inner_texts()[5:]
    assert sum("Animation" in c for c in categories) >= 3, categories


def test_a_customers_views_on_the_shop_reach_the_chat_and_the_recommended_slot(web_services, page, screenshots):
    from playwright.sync_api import expect

    expect.set_options(timeout=REPLY_TIMEOUT_MS)
    user = f"ben-{uuid.uuid4().hex[:8]}"
    page.goto(web_services.shop_url)
    sign_in(page, user)  # "Personalize with what I view" is ticked: the views are stored with consent
    for item_id in ANIMATION:
        page.goto(f"{web_services.shop_url}/items/{item_id}")
        expect(page.locator("h1")).not_to_be_empty()
    viewed = profile_of(web_services, user)
    assert viewed["consent"] is True and "Animation" in viewed["learned_categories"], viewed

    slot = page.locator("[data-recbot-recommendations]")
    expect(slot).to_be_visible()
    expect(slot.get_by_role("heading", name="Recommended for you")).to_be_visible()
    picks = slot.locator("li.recbot-recommendation")
    expect(picks).to_have_count(4)
    ids = [picks.nth(i).get_attribute("data-item-id") for i in range(4)]
    assert not set(ids) & set(ANIMATION)  # nothing they have just looked at
    assert sum("Animation" in text for text in picks.all_inner_texts()) >= 2, picks.all_inner_texts()
    assert picks.first.get_by_role("link").get_attribute("href") == f"/items/{ids[0]}"
    screenshots("recommended-for-you")

    open_chat(page)  # the bot knows them from the shop: no questionnaire first
    expect(log(page)).to_contain_text("Welcome back! I remember you've been looking at Animation")
    say(page, "recommend me something")
    cards = log(page).locator("article.card")
    expect(cards).to_have_count(5)
    categories = cards.locator(".card-categories").all_inner_texts()
    assert sum("Animation" in c for c in categories) >= 3, categories
    screenshots("chat-picks-from-site-views")


def test_signing_out_leaves_the_next_person_at_the_browser_nothing(web_services, page):
    from playwright.sync_api import expect

    expect.set_options(timeout=REPLY_TIMEOUT_MS)
    user = f"cat-{uuid.uuid4().hex[:8]}"
    page.goto(web_services.shop_url)
    sign_in(page, user)
    open_chat(page)
    expect(log(page)).to_contain_text("Hi! I'm your movie guide.")
    said = f"my order number is {uuid.uuid4().hex[:6]}"
    say(page, said)
    expect(log(page).locator(".msg.user")).to_have_text(said)
    expect(log(page).locator(".typing")).to_have_count(0)  # answered
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("button", name="Sign in").wait_for()
    expect(log(page)).to_contain_text("Hi! I'm your movie guide.")  # a new visitor's greeting
    assert widget_data(page, "signedIn") == "false"
    assert widget_data(page, "sender").startswith("web-")
    assert said not in log(page).inner_text()
    stored = page.evaluate("JSON.stringify(localStorage)")
    assert user not in stored and said not in stored


def test_forged_expired_and_other_users_tokens_get_nothing(web_services, page):
    from playwright.sync_api import expect

    expect.set_options(timeout=30_000)
    now = int(time.time())

    def token(subject: str, secret: str, issued: int) -> str:
        return jwt.encode({"sub": subject, "aud": "recbot-user", "iat": issued, "exp": issued + 3600},
                          secret, algorithm="HS256")

    forged = token("dan", "not-the-shops-secret-not-the-shops-secret", now)
    expired = token("dan", web_services.user_token_secret, now - 7200)
    def answer(token: str):
        return lambda route: route.fulfill(json={"token": token})

    for bad in (forged, expired):
        page.route("**/chat-token", answer(bad))
        page.goto(web_services.shop_url)
        open_chat(page)
        expect(log(page).locator(".msg.error")).to_contain_text("can't reach the assistant")
        assert "Hi! I'm your movie guide." not in log(page).inner_text()
        page.unroute("**/chat-token")
        page.context.clear_cookies()
        page.evaluate("localStorage.clear()")

    # A real token of one customer opens nothing of another, from the shop's pages.
    page.goto(web_services.shop_url)
    sign_in(page, "dan")
    status = page.evaluate("""async ([server]) => {
        const {token} = await (await fetch('/chat-token')).json();
        const res = await fetch(server + '/api/users/erin/recommendations',
                                {headers: {Authorization: 'Bearer ' + token}});
        return res.status;
    }""", [web_services.web_url])
    assert status == 403
    # Another origin than the shop's is not let in by the API (CORS), whatever it holds.
    headers = {"Origin": "http://evil.example", "Access-Control-Request-Method": "GET",
               "Access-Control-Request-Headers": "authorization"}
    preflight = requests.options(f"{web_services.web_url}/api/users/dan/recommendations", headers=headers, timeout=30)
    assert "access-control-allow-origin" not in {k.lower() for k in preflight.headers}


def test_the_servers_answer_no_one_else_from_the_shop_page(web_services, page):
    from playwright.sync_api import expect

    expect.set_options(timeout=REPLY_TIMEOUT_MS)
    actions = f"http://127.0.0.1:{web_services.actions_port}/webhook"
    forged = {"next_action": "action_erase_data", "sender_id": "dan", "tracker": {"sender_id": "dan"}}
    assert requests.post(actions, json=forged, timeout=30).status_code == 401
    assert requests.post(actions, json=forged, headers={"Authorization": "Bearer forged-forged-forged"},
                         timeout=30).status_code == 401
    page.goto(web_services.shop_url)
    open_chat(page)
    expect(log(page)).to_contain_text("Hi! I'm your movie guide.")
    expect(page.get_by_role("button", name="Yes, remember me")).to_be_enabled()  # the greeting's last message
    before = log(page).locator(".msg.bot").count()
    say(page, "/handed_back")
    # The consent form holds: its "please answer" and its question again, nothing else.
    page.wait_for_function("n => document.querySelector('recbot-widget').shadowRoot"
                           ".querySelectorAll('.msg.bot').length >= n + 2", arg=before, timeout=REPLY_TIMEOUT_MS)
    answers = log(page).locator(".msg.bot").all_inner_texts()[before:]
    assert answers[0] == "Please answer yes or no: may I remember your tastes?", answers
    assert answers[1].startswith("May I remember your tastes"), answers
    assert not any("back with me" in answer for answer in answers), answers


def test_after_erasure_no_file_of_the_servers_holds_a_trace_of_the_customer(web_services, page, state_dir):
    from playwright.sync_api import expect

    expect.set_options(timeout=REPLY_TIMEOUT_MS)
    user = f"eve-{uuid.uuid4().hex[:8]}"
    secret = f"Quibbleton-{uuid.uuid4().hex[:8]}"  # a phrase only this customer types
    page.goto(web_services.shop_url)
    open_chat(page)
    expect(log(page)).to_contain_text("Hi! I'm your movie guide.")
    page.get_by_role("button", name="Yes, remember me").click()
    expect(log(page)).to_contain_text("Which kinds of movies do you enjoy?")
    visitor = widget_data(page, "sender")
    sign_in(page, user)
    for item_id in ANIMATION[:2]:
        page.goto(f"{web_services.shop_url}/items/{item_id}")
    expect(page.get_by_role("dialog")).to_be_visible()  # still open, page after page
    say(page, f"my cat is called {secret}")
    expect(log(page).locator(".msg.user").last).to_have_text(f"my cat is called {secret}")
    expect(log(page).locator(".msg.bot")).not_to_have_count(0)
    say(page, "delete my data")
    expect(log(page)).to_contain_text("Delete it all?")
    say(page, "yes")
    expect(log(page)).to_contain_text("Done. I've deleted everything")

    folders = [web_services.workdir, Path(state_dir)]

    def traces() -> dict[str, str]:
        return {str(path): needle for folder in folders for path in folder.rglob("*") if path.is_file()
                for needle in (user, visitor, secret) if needle.encode() in path.read_bytes()}

    # the reply is sent before Rasa saves the turn, whose save erases the conversation: wait for the
    # turn to end (on a loaded machine that took longer than the reply), not for ever
    deadline = time.monotonic() + REPLY_TIMEOUT_MS / 1000
    while (left := traces()) and time.monotonic() < deadline:
        time.sleep(0.25)
    assert left == {}


def test_the_widget_works_by_keyboard_and_at_phone_width(web_services, browser):
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 375, "height": 740}, locale="en-US", has_touch=True)
    try:
        page = context.new_page()
        page.goto(web_services.shop_url)
        launcher = widget(page).locator("button.launcher")  # hidden while the panel is open
        launcher.focus()
        page.keyboard.press("Enter")
        dialog = page.get_by_role("dialog", name="Reel Shop assistant")
        expect(dialog).to_be_visible()
        expect(page.get_by_label(INPUT)).to_be_focused()
        expect(launcher).to_have_attribute("aria-expanded", "true")
        box = dialog.bounding_box()
        assert box["width"] >= 370 and box["height"] >= 730, box  # the whole screen
        expect(widget(page).get_by_role("log")).to_have_attribute("aria-live", "polite")
        page.keyboard.press("Escape")
        expect(dialog).to_be_hidden()
        assert page.evaluate("document.querySelector('recbot-widget').shadowRoot.activeElement.classList"
                             ".contains('launcher')")
        page.reload()  # closed stays closed
        expect(page.get_by_role("button", name=LAUNCHER)).to_have_attribute("aria-expanded", "false")
    finally:
        context.close()
