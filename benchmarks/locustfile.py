"""Simulated chat users for `benchmarks/bench_load.py`: each runs whole conversations over
Rasa's REST channel, as a person at the chat page would, one new user per conversation: a shop's
signed-in customer, with the one-hour token their shop minted (BOT_USER_TOKEN_SECRET, as
docs/widget.md tells a shop), as every chat of a shop's customer carries it.

A conversation: greet, consent, a category, a loved movie or "skip" (and "yes" if the bot
asks "Did you mean ...?"), nothing to avoid (the first picks), like a pick (its 👍 button),
"more like this" on another (🔁), ask for a genre, and "recommend me something". Between messages the user reads for 2 to 5 s.
A reply is a failure if it is not HTTP 200, is empty, takes longer than REPLY_TIMEOUT_S, or
(where the bot must recommend) carries no recommendation cards.
"""

from __future__ import annotations

import json
import os
import random
import time
import uuid

import jwt
from locust import between, task
from locust.contrib.fasthttp import FastHttpUser

REPLY_TIMEOUT_S = 60  # what a person would at most wait for an answer
CATEGORIES = ["sci-fi", "comedy", "drama", "thriller", "horror", "animation", "crime"]
LOVED = ["skip", "The Matrix", "Alien and Jaws", "Toy Story"]
ASKED = ["any good sci-fi?", "any good thrillers?", "sci-fi from the 80s", "any good comedies?"]


def user_token(user: str) -> str:
    """What the shop's backend gives its signed-in customer's browser (bot/web/user_tokens.py)."""
    now = int(time.time())
    claims = {"sub": user, "aud": "recbot-user", "iat": now, "exp": now + 3600}
    return jwt.encode(claims, os.environ["BOT_USER_TOKEN_SECRET"], algorithm="HS256")


def picks(reply: list[dict]) -> list[str]:
    """Item ids of the recommendation cards (from their Like buttons)."""
    return [json.loads(m["buttons"][0]["payload"][len("/like"):])["item_id"]
            for m in reply if m.get("buttons") and m["buttons"][0]["payload"].startswith("/like")]


class ChatUser(FastHttpUser):
    wait_time = between(2, 5)
    connection_timeout = 10
    network_timeout = REPLY_TIMEOUT_S

    def say(self, name: str, text: str, sender: str, expect_picks: bool = False) -> list[dict]:
        """One message; the reply, or [] after recording a failure."""
        with self.client.post("/webhooks/rest/webhook", json={"sender": sender, "message": text},
                              headers={"Authorization": f"Bearer {self.token}"},
                              name=name, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")
                return []
            try:
                reply = response.json()
            except ValueError:
                response.failure("not JSON")
                return []
            if not reply:
                response.failure("empty reply")
            elif expect_picks and not picks(reply):
                response.failure("no recommendations")
            return reply or []

    @task
    def conversation(self) -> None:
        sender = f"load-{uuid.uuid4().hex[:16]}"
        self.token = user_token(sender)
        steps = [("greet", "hello"), ("consent", "yes"), ("category", random.choice(CATEGORIES)),
                 ("loved", random.choice(LOVED))]
        for name, text in steps:
            reply = self.say(name, text, sender)
            self.wait()
        if reply and reply[-1].get("text", "").startswith("Did you mean"):  # an unsure title match
            self.say("confirm title", "yes", sender)
            self.wait()
        shown = picks(self.say("first picks", "nothing", sender, expect_picks=True))
        if len(shown) < 2:
            return
        self.wait()
        self.say("like", f'/like{{"item_id": "{shown[0]}"}}', sender)
        self.wait()
        self.say("more like this", f'/more_like_this{{"item_id": "{shown[1]}"}}', sender, expect_picks=True)
        self.wait()
        self.say("ask", random.choice(ASKED), sender, expect_picks=True)
        self.wait()
        self.say("recommend", "recommend me something", sender, expect_picks=True)
        self.wait()
