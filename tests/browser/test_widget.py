"""The chat widget in a real browser (Debian's Chromium, driven by Playwright).

With the real servers: a new user onboards by clicking and typing, gets recommendation cards,
likes one, reloads the page and finds the same conversation and the same profile. Screenshots
of every step go to the pytest tmp dir and to test-artifacts/browser/<test>/.

With Rasa's socket.io server faked inside the browser (Playwright's WebSocket routing): the
rendering details the demo catalog cannot show (a card's image) and that no bot text can
inject markup.
"""

from __future__ import annotations

import json
import re

from chat_page import REPLY_TIMEOUT_MS, say


def last_bot_text(page) -> str:
    return page.locator("#chat-messages .msg.bot").last.inner_text()


def test_onboarding_cards_like_and_the_session_survives_a_reload(web_services, page, screenshots):
    from playwright.sync_api import expect

    expect.set_options(timeout=REPLY_TIMEOUT_MS)
    sockets: list[str] = []
    page.on("websocket", lambda ws: sockets.append(ws.url))
    log = page.locator("#chat-messages")
    cards = log.locator("article.card")

    page.goto(web_services.web_url)
    expect(log).to_contain_text("Hi! I'm your movie guide.")
    consent = page.get_by_role("button", name="Yes, remember me")
    expect(consent).to_be_enabled()
    # Over Rasa's socket.io channel (not the REST fallback), with the id the page keeps.
    assert page.evaluate("document.documentElement.dataset.chatTransport") == "socket.io"
    assert any(re.search(r"/socket\.io/\?EIO=4&transport=websocket", url) for url in sockets), sockets
    session = page.evaluate("localStorage.getItem('moviebot.senderId')")
    assert session and session.startswith("web-")
    # Where WebSockets are blocked, socket.io falls back to HTTP long-polling: a cross-origin
    # request that Rasa's --cors for the page's origin must allow.
    handshake = page.evaluate(
        "url => fetch(url + '/socket.io/?EIO=4&transport=polling').then(r => r.text())", web_services.rasa_url)
    assert handshake.startswith("0{") and '"sid"' in handshake, handshake
    screenshots("greeting-and-consent")

    consent.click()
    expect(log).to_contain_text("Which kinds of movies do you enjoy?")
    expect(consent).to_be_disabled()
    expect(page.get_by_role("button", name="No, thanks")).to_be_disabled()
    screenshots("consent-given")

    say(page, "sci-fi")
    expect(log).to_contain_text("Noted: Sci-Fi.")
    expect(log).to_contain_text("Name one or two movies you love")
    screenshots("categories-typed")

    say(page, "skip")
    nothing = page.get_by_role("button", name="Nothing to avoid")
    expect(nothing).to_be_enabled()
    screenshots("avoid-question")
    nothing.click()

    expect(log).to_contain_text("Thanks! I'll remember that you like Sci-Fi.")
    expect(log).to_contain_text("Here are some picks for you:")
    expect(cards).to_have_count(5)
    for i in range(5):
        card = cards.nth(i)
        expect(card.locator(".card-title")).to_have_text(re.compile(r"^\S.* \(\d{4}\)$"))  # no ** left
        expect(card.locator(".card-description")).not_to_be_empty()
        expect(card.locator(".card-why")).to_contain_text("Why:")
        for name in ("👍 Like", "👎 Not for me", "🔁 More like this"):
            expect(card.get_by_role("button", name=name)).to_be_enabled()
    categories = cards.locator(".card-categories").all_inner_texts()
    assert sum("Sci-Fi" in c for c in categories) >= 4, categories
    assert not log.locator("strong, b, script").filter(has_text="**").count()
    screenshots("recommendation-cards")

    first = cards.first
    title = first.locator(".card-title").inner_text()
    like = first.get_by_role("button", name="👍 Like")
    like.click()
    expect(log).to_contain_text(f"Noted: you liked {title}. I'll find more like it.")
    expect(like).to_have_attribute("aria-pressed", "true")
    expect(first.get_by_role("button", name="👎 Not for me")).to_be_disabled()
    expect(first.get_by_role("button", name="🔁 More like this")).to_be_enabled()
    expect(log.locator(".msg.user").last).to_have_text(f"👍 Like: {title}")
    expect(page.locator(".typing")).to_have_count(0)
    shown_before = log.inner_text()
    screenshots("liked-first-card")

    page.reload()
    # The same user: same id, the conversation drawn again (cards, the like), and no new greeting.
    expect(cards).to_have_count(5)
    assert page.evaluate("localStorage.getItem('moviebot.senderId')") == session
    expect(cards.first.get_by_role("button", name="👍 Like")).to_have_attribute("aria-pressed", "true")
    expect(cards.first.get_by_role("button", name="👍 Like")).to_be_disabled()
    page.wait_for_function("document.documentElement.dataset.chatConnected === 'true'")
    assert log.inner_text() == shown_before
    screenshots("reloaded-same-conversation")

    # ...and the same profile on the server: the bot remembers the taste and the like.
    say(page, "hi")
    expect(log.locator(".msg.bot").last).to_contain_text("Welcome back! I remember you like Sci-Fi")
    assert title in last_bot_text(page)
    expect(page.get_by_role("button", name="Recommend me something").last).to_be_enabled()
    screenshots("welcome-back")

    assert page.page_errors == []


def test_new_user_button_starts_a_fresh_session(web_services, page, screenshots):
    from playwright.sync_api import expect

    expect.set_options(timeout=REPLY_TIMEOUT_MS)
    log = page.locator("#chat-messages")
    page.goto(web_services.web_url)
    expect(page.get_by_role("button", name="Yes, remember me")).to_be_enabled()
    old = page.evaluate("localStorage.getItem('moviebot.senderId')")

    say(page, "<b>not bold</b> <img src=x onerror=alert(1)>")
    expect(log.locator(".msg.user").last).to_have_text("<b>not bold</b> <img src=x onerror=alert(1)>")
    assert log.locator("b, img").count() == 0
    screenshots("markup-typed-is-text")

    page.get_by_role("button", name="New user").click()
    expect(log.locator(".msg.user")).to_have_count(0)
    expect(log).to_contain_text("Hi! I'm your movie guide.")
    expect(page.get_by_role("button", name="Yes, remember me")).to_be_enabled()
    new = page.evaluate("localStorage.getItem('moviebot.senderId')")
    assert new and new != old
    assert page.evaluate(f"localStorage.getItem('moviebot.history.{old}')") is None
    screenshots("new-user")
    assert page.page_errors == []


# ---- a fake Rasa socket.io server (Engine.IO v4 over WebSocket), inside the browser ----

def fake_rasa(page, replies: dict[str, list[dict]]):
    """Answer the page's socket.io connection like Rasa's socketio channel does.

    replies: user message -> the bot_uttered payloads to send back. Returns what the page emitted.
    """
    emitted: list[tuple[str, object]] = []

    def handler(ws) -> None:
        ws.send("0" + json.dumps({"sid": "fake", "upgrades": [], "pingInterval": 25000,
                                  "pingTimeout": 20000, "maxPayload": 1000000}))  # Engine.IO open

        def on_message(message) -> None:
            if message == "40":  # connect to the default namespace
                ws.send('40{"sid":"fake-socket"}')
            elif message.startswith("42"):
                event, data = json.loads(message[2:])
                emitted.append((event, data))
                if event == "session_request":
                    ws.send("42" + json.dumps(["session_confirm", data["session_id"]]))
                elif event == "user_uttered":
                    for reply in replies.get(data["message"], []):
                        ws.send("42" + json.dumps(["bot_uttered", reply]))

        ws.on_message(on_message)

    page.route_web_socket(re.compile(r".*/socket\.io/.*"), handler)
    return emitted


def test_cards_show_images_and_bot_text_never_becomes_markup(web_only, page, screenshots):
    from playwright.sync_api import expect

    card_text = ("**Blade <i>Runner</i> (1982)** · Sci-Fi, Thriller\nA blade runner must pursue replicants."
                 "\nDirector: Ridley Scott\nWhy: because you liked **Alien (1979)**")
    buttons = [{"content_type": "text", "title": "👍 Like", "payload": '/like{"item_id": "br"}'},
               {"content_type": "text", "title": "👎 Not for me", "payload": '/dislike{"item_id": "br"}'},
               {"content_type": "text", "title": "🔁 More like this", "payload": '/more_like_this{"item_id": "br"}'}]
    poster = web_only.web_url + "/static/poster.png"
    page.route("**/static/poster.png", lambda route: route.fulfill(
        content_type="image/svg+xml",
        body='<svg xmlns="http://www.w3.org/2000/svg" width="80" height="120"><rect width="80" height="120" fill="teal"/></svg>'))
    emitted = fake_rasa(page, {
        "/greet": [
            {"text": "Hello <script>window.injected = 1</script> **friend** <img src=x onerror=window.injected=2>"},
            {"text": "Here are some picks for you:"},
            {"text": card_text, "quick_replies": buttons},
            {"attachment": {"type": "image", "payload": {"src": poster}}},
            {"attachment": {"type": "image", "payload": {"src": "javascript:window.injected=3"}}},
        ],
        '/like{"item_id": "br"}': [{"text": "Noted: you liked Blade Runner (1982)."}],
    })

    page.goto(web_only.web_url)
    log = page.locator("#chat-messages")
    card = log.locator("article.card")
    expect(card).to_have_count(1)
    expect(card.locator(".card-title")).to_have_text("Blade <i>Runner</i> (1982)")
    expect(card.locator(".card-categories")).to_have_text("Sci-Fi, Thriller")
    expect(card.locator(".card-description")).to_have_text("A blade runner must pursue replicants.")
    expect(card.locator(".card-details")).to_have_text("Director: Ridley Scott")
    expect(card.locator(".card-why strong")).to_have_text("Alien (1979)")
    expect(card.locator("img.card-image")).to_have_attribute("src", poster)
    expect(card).to_have_attribute("aria-labelledby", re.compile(r"card-title-\d+"))
    greeting = log.locator(".msg.bot").first
    expect(greeting.locator("strong")).to_have_text("friend")
    expect(greeting).to_contain_text("<script>window.injected = 1</script>")
    assert log.locator("script, i, img:not(.card-image)").count() == 0
    assert page.evaluate("window.injected") is None
    screenshots("card-with-image")

    card.get_by_role("button", name="👍 Like").click()
    expect(log).to_contain_text("Noted: you liked Blade Runner (1982).")
    session = page.evaluate("localStorage.getItem('moviebot.senderId')")
    assert ("session_request", {"session_id": session}) in emitted
    assert ("user_uttered", {"message": '/like{"item_id": "br"}', "session_id": session}) in emitted

    page.reload()  # the image, too, is drawn again from the kept conversation
    expect(card.locator("img.card-image")).to_have_attribute("src", poster)
    expect(card.get_by_role("button", name="👍 Like")).to_have_attribute("aria-pressed", "true")
    page.wait_for_function("document.documentElement.dataset.chatConnected === 'true'")
    assert sum(1 for event, _ in emitted if event == "session_request") == 2
    assert [d["message"] for e, d in emitted if e == "user_uttered"].count("/greet") == 1
    screenshots("card-after-reload")
    assert page.page_errors == []


def test_without_socket_io_client_the_page_falls_back_to_rest(web_only, page):
    """`make setup` not run (no /static/vendor/): the same page over Rasa's REST channel."""
    from playwright.sync_api import expect

    page.route("**/static/vendor/socket.io.min.js", lambda route: route.fulfill(status=404, body=""))
    posted: list[dict] = []

    def rest(route) -> None:
        posted.append(json.loads(route.request.post_data))
        route.fulfill(json=[{"text": "Hi from **REST**", "buttons": [{"title": "Yes", "payload": "/affirm"}]}],
                      headers={"Access-Control-Allow-Origin": "*"})

    page.route(web_only.rasa_url + "/webhooks/rest/webhook", rest)
    page.goto(web_only.web_url)
    log = page.locator("#chat-messages")
    expect(log.locator(".msg.bot strong")).to_have_text("REST")
    assert page.evaluate("document.documentElement.dataset.chatTransport") == "rest"
    page.get_by_role("button", name="Yes").click()
    expect(log.locator(".msg.bot")).to_have_count(2)
    session = page.evaluate("localStorage.getItem('moviebot.senderId')")
    assert posted == [{"sender": session, "message": "/greet"}, {"sender": session, "message": "/affirm"}]
    assert page.page_errors == []
