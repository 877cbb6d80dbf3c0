"""Human handoff in real browsers, both sides at once (Debian's Chromium, Playwright).

A user asks the widget for a person; the bot says so and goes quiet. An agent signs in to
the console, finds the conversation waiting with the user's profile and transcript, replies
(the reply appears in the user's widget, over Rasa's socket.io channel), reads the user's
answer, and returns the user to the bot, which tells the user and answers again.
Screenshots of both pages go to test-artifacts/browser/<test>/.
"""

from __future__ import annotations

from chat_page import REPLY_TIMEOUT_MS, onboard, say

HANDED_OVER = "I'm passing you to a person from our team."
BACK = "You're back with me, the bot."
WAITING_MESSAGE = "are you there? my <b>download</b> of Alien won't play <img src=x onerror=alert(1)>"


def test_a_user_asks_for_a_person_an_agent_answers_and_returns_them_to_the_bot(
        web_services, browser, page, screenshots):
    from playwright.sync_api import expect

    expect.set_options(timeout=REPLY_TIMEOUT_MS)
    chat = page.locator("#chat-messages")

    def shoot(on_page, name):
        screenshots.page = on_page
        screenshots(name)

    # --- the user ---------------------------------------------------------------------------
    page.goto(web_services.web_url)
    expect(chat).to_contain_text("Hi! I'm your movie guide.")
    onboard(page, chat)
    session = page.evaluate("localStorage.getItem('moviebot.senderId')")
    say(page, "I want to talk to a human")
    expect(chat).to_contain_text(HANDED_OVER)
    say(page, WAITING_MESSAGE)
    shoot(page, "user-handed-over")

    # --- the agent --------------------------------------------------------------------------
    console = browser.new_context(viewport={"width": 1100, "height": 1000}, locale="en-US")
    try:
        agent = console.new_page()
        agent.goto(web_services.web_url + "/agent")
        agent.locator("#token").fill("not-a-token-at-all")
        agent.locator("#sign-in").click()
        expect(agent.locator("#error")).to_contain_text("unknown agent token")
        agent.locator("#token").fill(web_services.agent_token)
        agent.locator("#sign-in").click()
        expect(agent.locator("#agent-name")).to_have_text("anna")

        waiting = agent.locator('li.handoff[data-status="waiting"]', has_text=session[:8])
        expect(waiting).to_have_count(1)
        expect(waiting).to_contain_text("asked for a person")
        waiting.click()
        expect(agent.locator("#profile")).to_contain_text("Sci-Fi")
        expect(agent.locator("#recent-recommendations li.event")).to_have_count(5)
        transcript = agent.locator("#transcript")
        expect(transcript.locator(".turn.user").last).to_have_text(WAITING_MESSAGE)  # said while the bot was quiet
        assert transcript.locator("b, img").count() == 0  # the user's markup is shown as text
        expect(transcript).to_contain_text(HANDED_OVER)
        shoot(agent, "agent-sees-the-brief")

        agent.locator("#reply-text").fill("Hi, I'm Anna. Sorry about that! Which device are you using?")
        agent.locator("#reply-send").click()
        expect(agent.locator("#detail-status")).to_contain_text("active")
        expect(chat.locator(".msg.bot").last).to_have_text(
            "anna (support): Hi, I'm Anna. Sorry about that! Which device are you using?")
        shoot(page, "user-gets-the-agents-reply")

        say(page, "my laptop, the browser player")
        expect(transcript.locator(".turn.user").last).to_have_text("my laptop, the browser player")
        expect(transcript.locator(".turn.agent")).to_have_count(1)
        assert chat.locator(".msg.bot").last.inner_text().startswith("anna (support):")  # the bot stayed quiet
        shoot(agent, "agent-reads-the-answer")

        agent.locator("#return-to-bot").click()
        expect(agent.locator("#detail-status")).to_contain_text("closed")
        expect(agent.locator("#reply-send")).to_be_disabled()
        expect(chat).to_contain_text(BACK)
        expect(agent.locator("li.handoff", has_text=session[:8])).to_have_count(0)
        shoot(agent, "agent-returned-the-user")
    finally:
        console.close()

    # --- the bot answers again ----------------------------------------------------------------
    before = chat.locator("article.card").count()
    say(page, "recommend me something")
    expect(chat.locator("article.card")).to_have_count(before + 5)
    shoot(page, "bot-answers-again")
    assert not page.page_errors, page.page_errors
