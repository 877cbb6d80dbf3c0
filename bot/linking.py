"""One-time codes that link a Slack or Telegram chat to a signed-in shop user's profile.

The shop's "link my account" page shows the user a code (``POST /api/users/{id}/link-code``);
typed in Slack or Telegram, it proves that chat is the same person, and the chat's actions read and
write the shop's profile from then on (:meth:`AccountLinks.profile_id`). A code is 8 characters
of an alphabet without look-alikes (no 0/O, 1/I), shown as ``ABCD-2345``: about 40 bits, valid
LINK_CODE_TTL, used once, replaced by the user's next one. It always holds a digit, so that no
pair of words in a sentence ("send ABCD-2345") reads as one. The database keeps only a slow
hash (scrypt), so a copy of it does not give the codes back by trying all of them within their
ten minutes; guessing through the chat is stopped by the store's limit of LINK_CODE_MISSES wrong
codes an hour per chat (:meth:`bot.store.Store.redeem_link_code`).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from bot.store import Store
from bot.vocabulary import LINK_CODE_TTL, LINKABLE_CHANNELS, AccountLink, LinkOutcome, StoreUnavailable, utcnow

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # 32 characters: 5 bits each
LENGTH = 8
# Two groups of four letters or digits, apart or joined by a dash or a space, not inside a
# longer word; overlapping, so that "send ABCD-2345" still finds the second pair.
_GROUPS = re.compile(r"(?<![0-9a-z])(?=([0-9a-z]{4})[-\u2010-\u2015 ]?([0-9a-z]{4})(?![0-9a-z]))", re.IGNORECASE)
_SALT = b"recbot link code"  # the code itself is the secret; scrypt's cost is the protection
_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}  # about 16 MB and tens of milliseconds a hash


@dataclass(frozen=True)
class LinkCode:
    code: str  # as shown: ABCD-2345
    expires_at: datetime


def new_code() -> str:
    """A random code with at least one digit, as shown to the user."""
    while True:
        code = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
        if any(char.isdigit() for char in code):
            return f"{code[:4]}-{code[4:]}"


def find_code(text: str) -> str | None:
    """The code in a message ("link my account ABCD-2345", "my code is abcd2345"), upper case
    without its dash; None if nothing in it has a code's shape."""
    for match in _GROUPS.finditer(text):
        code = (match[1] + match[2]).upper()
        if any(char.isdigit() for char in code):
            return code
    return None


def code_hash(code: str) -> str:
    """What the database keeps of a code (upper case, without its dash)."""
    return hashlib.scrypt(code.replace("-", "").upper().encode("ascii"), salt=_SALT, **_SCRYPT).hex()


class AccountLinks:
    def __init__(self, store: Store):
        self._store = store

    def issue(self, sender_id: str, now: datetime | None = None) -> LinkCode:
        """A new code for the user, replacing any they had."""
        code = new_code()
        expires_at = (now or utcnow()) + LINK_CODE_TTL
        self._store.set_link_code(sender_id, code_hash(code), expires_at)
        return LinkCode(code, expires_at)

    def link(self, alias: str, message: str, channel: str, now: datetime | None = None) -> AccountLink:
        """Link the chat ``alias`` writes from to the profile whose code ``message`` holds."""
        if channel not in LINKABLE_CHANNELS:
            raise ValueError(f"codes link Slack and Telegram chats, not {channel!r}")
        code = find_code(message)
        if code is None:
            return AccountLink(LinkOutcome.NO_CODE)
        return self._store.redeem_link_code(alias, code_hash(code), kind=channel, now=now)

    def unlink(self, alias: str, channel: str) -> bool:
        """The chat ``alias`` writes from is its own profile again; False if it was not linked."""
        return channel in LINKABLE_CHANNELS and self._store.unlink(alias, kinds=[channel])

    def profile_id(self, sender_id: str, channel: str) -> str:
        """The profile a conversation reads and writes: the shop user's, for a Slack or Telegram
        chat linked with a code; else the sender's own. Website senders are never looked up: a
        signed-in user's id is the shop's already, and an anonymous visitor who signed in was
        merged (their rows moved), so the same browser without its token stays anonymous. While
        the database is unreachable, the sender's own id: what the action does next degrades
        as it would for anyone (popular picks, events queued)."""
        if channel not in LINKABLE_CHANNELS:
            return sender_id
        try:
            return self._store.linked_profile(sender_id, kinds=[channel]) or sender_id
        except StoreUnavailable:
            return sender_id
