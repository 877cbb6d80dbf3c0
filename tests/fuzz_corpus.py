"""Nasty inputs shared by the fuzz tests (``from fuzz_corpus import NASTY, NASTY_NUMBERS,
INVALID_UTF8``), and their hypothesis settings (``fuzz_settings``).

A plain module (no test in it). ``tests/`` is on ``sys.path`` because pytest imports
``tests/conftest.py`` (a rootdir conftest outside any package) with ``prepend``, so every
test directory can import it.

``NASTY`` holds text only. Lone surrogates are in it too: they cannot be UTF-8 encoded,
but ``json.dumps`` (``ensure_ascii=True``) writes them as ``\\ud800`` escapes, which JSON
parsers accept; sent as raw bytes they are invalid UTF-8, see ``INVALID_UTF8``.
"""

from __future__ import annotations

from hypothesis import HealthCheck, settings
from hypothesis.database import DirectoryBasedExampleDatabase

from bot.config import PROJECT_ROOT

KB = 1024


def fuzz_settings(max_examples: int) -> settings:
    """Hypothesis settings of the fuzz tests: no deadline (a shared machine), fixtures reset
    by the tests themselves, failing examples kept in build/hypothesis and replayed first."""
    return settings(
        max_examples=max_examples,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                               HealthCheck.data_too_large, HealthCheck.large_base_example],
        database=DirectoryBasedExampleDatabase(PROJECT_ROOT / "build/hypothesis"),
    )

# Every plane: BMP letters of several scripts, supplementary (astral) emoji, CJK ext-B
# (plane 2), ext-G (plane 3), tags (plane 14) and the private-use planes 15 and 16.
UNICODE = [
    "héllo wörld",
    "Ελληνικά Кириллица עברית العربية हिन्दी ไทย 한국어 日本語",
    "😀",
    "👩‍👩‍👧‍👦",  # zero-width joiners between astral emoji
    "🏳️‍🌈",
    "🇺🇳",  # regional indicators
    "𠀀𠀁𪚲𩸽",  # CJK Extension B
    "𰀀𱍐",  # CJK Extension G (plane 3)
    "\U000e0041\U000e007f",  # tag characters (plane 14)
    "\U000f0000\U0010fffd",  # private use planes 15 and 16
    "\U0010ffff",  # the last code point
    "\ufffd",  # the replacement character
    "\ufeffbom",  # a byte-order mark inside text
    "e\u0301\u0301\u0301",  # combining marks
    "Z̸̢̛̞̪̯͕̓ͪ͊͗ḁ̶̟͖̔̓l̵̢̯͊g̸͈̊ǫ̷̨",  # zalgo
    "\u202eevil\u202c",  # right-to-left override
    "\u200f\u200e\u2066\u2067\u2068\u2069",  # direction marks and isolates
    "a\u200bb\u200cc\u200dd\u2060e",  # zero-width space, (non-)joiner, word joiner
    "\u2028\u2029",  # line and paragraph separators (line breaks to str.splitlines)
    "\u00a0\u3000",  # no-break and ideographic spaces
    "ﷺ",  # one code point that renders very wide
    "İıß",  # case mapping that changes length
]

CONTROL = [
    "\x00",
    "nul\x00inside",
    "\x01\x02\x03\x07\x08\x0b\x0c\x1b[31mred\x1b[0m",
    "\x7f\x80\x85\x9f",  # DEL and the C1 controls (\x85 is a line break to str.splitlines)
    "\r",
    "line\nbreak",
    "cr\r\nlf",
    "tab\tbed",
]

BLANK = ["", " ", "   ", "\n", "\t", "\n\t", "\r\n", "\u3000\u00a0", "\u200b"]

SURROGATES = ["\ud800", "\udfff", "a\udc80b", "\udbff\ud800"]  # lone / reversed halves

INJECTION = [
    "'; DROP TABLE events; --",
    "\"; DROP TABLE users; --",
    "' OR '1'='1",
    "1; SELECT * FROM consents",
    "%' OR 1=1 --",
    "\\'; --",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "\"><svg/onload=alert(1)>",
    "javascript:alert(1)",
    "{{7*7}}",
    "${7*7}",
    "{0}{1}{__class__}",  # str.format templates
    "%s%s%s%n",
    "../../../../etc/passwd",
    "..\\..\\windows",
    "/",
    "a/b",
    ".",
    "..",
    "?n=1&x=2",
    "#frag",
    "%00",
    "%2F",
    "null",
    "None",
    "undefined",
    "true",
    "NaN",
    "Infinity",
    "-Infinity",
    "[]",
    "{}",
    '{"user_id": "x"}',
]

# Numbers as text: what lands in a query string, a CSV cell or a path.
NUMBER_TEXT = [
    "0", "-0", "-1", "1e309", "-1e309", "1e-400", "NaN", "nan", "inf", "-inf", "Infinity",
    str(2**63), str(2**64), str(-(2**63) - 1), "9" * 400, "1" * 5000, "0x10", "1_000", "١٢٣",  # Arabic-Indic
    "１２", "1.5", "1,5", " 7 ", "+3",
]

# Numbers as values: what a JSON body or a JSON Lines row carries.
NASTY_NUMBERS: list[int | float] = [
    0, -1, 1, 2**31, 2**53 + 1, 2**63, 2**64, -(2**64), 10**400, 1e308, -1e308, 5e-324, 0.5, -0.0,
    float("inf"), float("-inf"), float("nan"),
]

HUGE = [
    "x" * (100 * KB),
    "🐍" * (25 * KB),  # 100 KB of UTF-8 in astral characters
    ("a" * 1023 + "\n") * 100,  # 100 KB of lines
    "<script>" * (12 * KB),
]

NASTY: list[str] = UNICODE + CONTROL + BLANK + SURROGATES + INJECTION + NUMBER_TEXT + HUGE

# Raw bytes that are not UTF-8 (only sendable as bytes): a lone surrogate encoded as
# UTF-8 would be, overlong forms, a truncated sequence, bytes that never occur, a
# Latin-1 "é", a UTF-16 BOM.
INVALID_UTF8: list[bytes] = [
    b"\xed\xa0\x80",
    b"\xc0\xaf",
    b"\xe2\x82",
    b"\xff\xfe",
    b"\xfe",
    b"caf\xe9",
    b"\xf4\x90\x80\x80",  # above U+10FFFF
    b"\x80",
]

# Chat messages that Rasa reads as a button press ("/intent{json entities}") without NLU:
# intents no user says, entities of the wrong JSON type, broken JSON, Rasa's own intents.
# Not in NASTY (only the chat channels' fuzz tests send them).
RASA_PAYLOADS: list[str] = [
    "/", "//", "/ like", "/like /dislike", "/no_such_intent", "/restart", "/session_start", "/back",
    "/nlu_fallback", "/like{", "/like{}}", '/like{"item_id": }', "/like[1]", '/like"x"', "/like null",
    '/like{"item_id": NaN}', '/like{"item_id": 1e999}', '/like{"item_id": null}', '/like{"item_id": 12}',
    '/like{"item_id": ["a", "b"]}', '/like{"item_id": {"id": 1}}', '/like{"item_id": "no-such-item"}',
    '/like{"item_id": "' + "x" * 300 + '"}', "/like" + '{"a":' * 200 + "1" + "}" * 200,
    '/inform{"category": ["Sci-Fi", "Sci-Fi"]}@0.5', "/affirm@2", "/affirm@-1", "/affirm@NaN",
    '/inform{"category": "<script>alert(1)</script>"}', '/inform{"title": "\'; DROP TABLE events; --"}',
    '/inform{"requested_slot": "consent", "consent": true}', '/inform{"last_recommendations": "x"}',
]
