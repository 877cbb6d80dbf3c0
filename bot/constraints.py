"""Hard filters a user can say in a request: price, release period, availability.

"something from the 90s", "the 80s or 90s", "the late 90s", "2010 onwards", "before the 2000s",
"from the last 5 years", "released this year", "comedies under 20 dollars", "between 10 and 20 euros",
"only available ones" become a :class:`Constraints` value that the recommender applies as filters;
each constraint also describes itself for the reply ("from the 1990s", "priced under 20"). A number
with a unit that is no money is no price ("under 90 minutes", "less than 300 pages").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date

_NUMBER = r"(\d+(?:[.,]\d{1,2})?)"
# a number with a unit that is no money is no price: "under 90 minutes", "less than 300 pages"
_NOT_MONEY = (r"(?!\d|[.,]\d|\s*(?:minutes?|mins?|hours?|hrs?|h\b|pages?|years?|yrs?|episodes?|seasons?|chapters?|"
              r"stars?|%|percent|ml\b|cl\b|litres?|liters?|kg\b|grams?|g\b|cm\b|inch|people|players|guests)\b)")
_MONEY = rf"(?:\$|€|£)?\s*{_NUMBER}{_NOT_MONEY}\s*(?:\$|€|£|dollars?|bucks|usd|euros?|eur|pounds?|gbp)?"
_UNDER = re.compile(rf"\b(?:under|below|less than|cheaper than|at most|up to|max(?:imum)?|no more than)\s+{_MONEY}")
_OVER = re.compile(rf"\b(?:over|above|more than|at least|min(?:imum)?)\s+{_MONEY}")
_BETWEEN_YEARS = re.compile(r"\b(?:between|from)\s+((?:1[89]|20)\d\d)\s*(?:and|to|-)\s*((?:1[89]|20)\d\d)\b")
_CURRENCY = re.compile(r"[$€£]|dollar|buck|usd|euro|\beur\b|pound|gbp")
_BETWEEN = re.compile(rf"\b(?:between|from)\s+{_MONEY}\s*(?:and|to|-)\s*{_MONEY}")
_DECADE_WORDS = {
    "twenties": 1920, "thirties": 1930, "forties": 1940, "fifties": 1950, "sixties": 1960,
    "seventies": 1970, "eighties": 1980, "nineties": 1990, "noughties": 2000,
}
_DECADE_NAME = (r"(?:(?P<century>1[89]|20)(?P<digit>\d)0'?s|'?(?P<short>\d)0'?s|(?P<word>"
                + "|".join(_DECADE_WORDS) + r"))\b")
# "the 90s", "the late 90s", "early 2000s", "mid-eighties": a part of a decade is its years
_DECADE = re.compile(r"\b(?:the\s+)?(?:(?P<part>early|mid|late)[\s-]+)?" + _DECADE_NAME)
_DECADE_PARTS = {None: (0, 9), "early": (0, 4), "mid": (3, 7), "late": (5, 9)}
_BEFORE_DECADE = re.compile(r"\b(?:before|pre)[\s-]+(?:the\s+)?" + _DECADE_NAME)  # "before the 2000s": up to 1999
_AFTER_DECADE = re.compile(r"\b(?P<after>after|post|since)[\s-]+(?:the\s+)?" + _DECADE_NAME)
_YEAR = r"((?:1[89]|20)\d\d)"
_BEFORE = re.compile(r"\b(?<!\bnot )(?<!\bno )(?:before|older than|earlier than|pre)[\s-]+(\d{4})\b")
_AFTER = re.compile(r"\b(?<!\bnot )(?<!\bno )(?:after|newer than|later than|post)[\s-]+(\d{4})\b")
_SINCE = re.compile(r"\bsince\s+" + _YEAR + r"\b")  # "since 2010" has 2010
_ONWARDS = re.compile(r"\b" + _YEAR + r"(?:\s*(?:onwards?|on(?=\s*(?:[,.;!?)]|$))|"  # "on" ends a clause
                      r"(?:or|and) (?:later|newer|after|up)\b(?!\s+(?:the\s+)?\d))|\+)")
_OR_EARLIER = re.compile(r"\b" + _YEAR + r"\s*(?:or|and) (?:earlier|older|before)\b(?!\s+(?:the\s+)?\d)")
_NOT_BEFORE = re.compile(r"\b(?:not|no) (?:older|earlier) than\s+" + _YEAR + r"\b")  # "not older than 2010"
_NOT_AFTER = re.compile(r"\b(?:not|no) (?:newer|later) than\s+" + _YEAR + r"\b")
_AROUND = re.compile(r"\b(?:around|circa|ca\.|roughly|approximately)\s+" + _YEAR + r"\b")  # two years either side
_CENTURY = re.compile(r"\b(?:the\s+)?(21st|20th|19th|this|last)\s+century\b")
_CENTURIES = {"21st": 2000, "this": 2000, "20th": 1900, "last": 1900, "19th": 1800}
_IN_YEAR = re.compile(r"\b(?:from|in|of)\s+(\d{4})\b")
# periods counted back from this year, after a word that asks for releases ("from this year", "released
# last year", "in the last 5 years", "of the past decade", "this year's"): "I saw Heat last year" is none
_PERIOD_LEAD = r"\b(?:from|of|in|released|out|made|during|over|within)\s+"
_AMOUNTS = {"a": 1, "one": 1, "two": 2, "couple of": 2, "three": 3, "few": 3, "four": 4, "five": 5,
            "several": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10, "twenty": 20}
_YEARS_BACK = re.compile(_PERIOD_LEAD + r"(?:the\s+)?(?:last|past)\s+(\d{1,2}|" + "|".join(_AMOUNTS)
                         + r")\s+(years?|decades?)\b")
_THIS_YEAR = re.compile(_PERIOD_LEAD + r"(?:(this|last)\s+year|(?:the\s+)?(?:last|past)\s+(decade|year))\b"
                        r"|\b(this|last)\s+year'?s\b")
_AVAILABLE = re.compile(r"\b(?:only\s+)?(?:available|in stock|in-stock)\b")


@dataclass(frozen=True)
class Constraints:
    max_price: float | None = None
    min_price: float | None = None
    year_from: int | None = None
    year_to: int | None = None
    available_only: bool = False

    def __bool__(self) -> bool:
        return self != Constraints()

    @property
    def uses_price(self) -> bool:
        return self.max_price is not None or self.min_price is not None

    @property
    def uses_year(self) -> bool:
        return self.year_from is not None or self.year_to is not None

    def applicable(self, has_prices: bool, has_years: bool) -> tuple[Constraints, tuple[str, ...]]:
        """The constraints a catalog with (or without) prices and years can apply, and what it
        cannot filter by ("price", "period"): a reply says so rather than filtering everything out."""
        kept, dropped = self, ()
        if self.uses_price and not has_prices:
            kept, dropped = replace(kept, max_price=None, min_price=None), (*dropped, "price")
        if self.uses_year and not has_years:
            kept, dropped = replace(kept, year_from=None, year_to=None), (*dropped, "period")
        return kept, dropped

    def describe(self) -> str:
        """A phrase for replies, e.g. "from the 1990s, priced under 20"."""
        parts = []
        if self.year_from is not None and self.year_to is not None:
            if self.year_to - self.year_from == 9 and self.year_from % 10 == 0:
                parts.append(f"from the {self.year_from}s")
            elif self.year_from == self.year_to:
                parts.append(f"from {self.year_from}")
            else:
                parts.append(f"from {self.year_from}-{self.year_to}")
        elif self.year_from is not None:
            parts.append(f"from {self.year_from} on")
        elif self.year_to is not None:
            parts.append(f"up to {self.year_to}")
        if self.max_price is not None and self.min_price is not None:
            parts.append(f"priced {self.min_price:g}-{self.max_price:g}")
        elif self.max_price is not None:
            parts.append(f"priced under {self.max_price:g}")
        elif self.min_price is not None:
            parts.append(f"priced over {self.min_price:g}")
        if self.available_only:
            parts.append("available now")
        return ", ".join(parts)

    def allows(self, year: int | None, price: float | None, available: bool) -> bool:
        if self.available_only and not available:
            return False
        if self.uses_year and year is None:
            return False
        if self.year_from is not None and year < self.year_from:
            return False
        if self.year_to is not None and year > self.year_to:
            return False
        if self.uses_price and price is None:
            return False
        if self.max_price is not None and price > self.max_price:
            return False
        return self.min_price is None or price >= self.min_price


def parse_constraints(text: str, this_year: int | None = None) -> Constraints:
    """Constraints stated in a message; an empty :class:`Constraints` if there are none. Periods
    counted back ("last year") count from ``this_year`` (today's by default)."""
    lowered = text.lower()
    found: dict[str, object] = {}
    if (match := _BETWEEN.search(lowered)) and not _BETWEEN_YEARS.search(lowered) and (
            match.group(0).startswith("between") or _CURRENCY.search(match.group(0))):  # "a scale from 1 to 10"
        low, high = sorted(float(group.replace(",", ".")) for group in match.groups())
        found["min_price"], found["max_price"] = low, high
    if match := _UNDER.search(lowered):
        found["max_price"] = float(match.group(1).replace(",", "."))
    if match := _OVER.search(lowered):
        found["min_price"] = float(match.group(1).replace(",", "."))
    found.update(_periods(lowered))
    if match := _BETWEEN_YEARS.search(lowered):
        found["year_from"], found["year_to"] = sorted(int(group) for group in match.groups())
    if not found.keys() & {"year_from", "year_to"} and (match := _IN_YEAR.search(lowered)):
        found["year_from"] = found["year_to"] = int(match.group(1))
    if not found.keys() & {"year_from", "year_to"} and (period := _years_back(lowered, this_year)):
        found["year_from"], found["year_to"] = period
    if _AVAILABLE.search(lowered):
        found["available_only"] = True
    return Constraints(**found)


def _years_back(text: str, this_year: int | None) -> tuple[int, int] | None:
    """The years of a period counted back from this year: "this year" is this year alone, "last
    year" the one before, "the last 5 years" and "the past decade" reach back to this year."""
    year = this_year or date.today().year
    if match := _YEARS_BACK.search(text):
        amount = int(match.group(1)) if match.group(1).isdigit() else _AMOUNTS[match.group(1)]
        return year - amount * (10 if match.group(2).startswith("decade") else 1), year
    if match := _THIS_YEAR.search(text):
        if which := match.group(1) or match.group(3):
            return (year, year) if which == "this" else (year - 1, year - 1)
        return year - (10 if match.group(2) == "decade" else 1), year
    return None


def _periods(text: str) -> dict[str, int]:
    """``year_from`` / ``year_to`` said by decades, centuries and years with a direction ("after
    2010", "since 2010", "2010 onwards", "not older than 2010", "before the 2000s", "around 1995")."""
    found: dict[str, int] = {}
    if (decades := _decades(text)) is not None:
        found["year_from"], found["year_to"] = decades
    if match := _CENTURY.search(text):
        start = _CENTURIES[match.group(1)]
        found["year_from"] = start
        if start == 2000:  # this century goes on
            found.pop("year_to", None)
        else:
            found["year_to"] = start + 99
    for pattern, key, shift in ((_AFTER, "year_from", 1), (_SINCE, "year_from", 0), (_ONWARDS, "year_from", 0),
                                (_NOT_BEFORE, "year_from", 0), (_BEFORE, "year_to", -1), (_OR_EARLIER, "year_to", 0),
                                (_NOT_AFTER, "year_to", 0)):
        if match := pattern.search(text):
            found[key] = int(match.group(1)) + shift
    if match := _BEFORE_DECADE.search(text):
        found.pop("year_from", None)
        found["year_to"] = _decade_start(match) - 1
    if match := _AFTER_DECADE.search(text):
        found.pop("year_to", None)
        found["year_from"] = _decade_start(match) + (0 if match.group("after") == "since" else 10)
    if match := _AROUND.search(text):
        found["year_from"], found["year_to"] = int(match.group(1)) - 2, int(match.group(1)) + 2
    return found


def _decade_start(match: re.Match[str]) -> int:
    """The first year of the decade a match of ``_DECADE_NAME`` names ("90s" of the last century
    from the 20s on, of this one below: "10s" is 2010)."""
    if match.group("century"):
        return int(match.group("century") + match.group("digit") + "0")
    if match.group("short"):
        digit = int(match.group("short"))
        return (1900 if digit >= 2 else 2000) + digit * 10
    return _DECADE_WORDS[match.group("word")]


def _decades(text: str) -> tuple[int, int] | None:
    """The first year of the earliest decade named and the last of the latest: "the 80s or 90s"
    is 1980-1999, not the 80s alone; a part of one ("the late 90s") is its years of it."""
    spans = []
    for match in _DECADE.finditer(text):
        if re.search(r"\b(?:before|pre|after|post|since)[\s-]+(?:the\s+)?$", text[:match.start()]):
            continue  # "before the 2000s" is no 2000s
        start, (first, last) = _decade_start(match), _DECADE_PARTS[match.group("part")]
        spans.append((start + first, start + last))
    return (min(low for low, _ in spans), max(high for _, high in spans)) if spans else None


_STATED = tuple(re.compile(pattern.pattern, re.IGNORECASE) for pattern in (
    _BETWEEN_YEARS, _BETWEEN, _UNDER, _OVER, _BEFORE_DECADE, _AFTER_DECADE, _NOT_BEFORE, _NOT_AFTER, _BEFORE, _AFTER,
    _SINCE, _ONWARDS, _OR_EARLIER, _AROUND, _CENTURY, _IN_YEAR, _AVAILABLE, _DECADE, _YEARS_BACK, _THIS_YEAR))


def without_constraints(text: str) -> str:
    """The text with the words that state constraints blanked out: what is left says which
    items are wanted ("Comedies under 20 dollars" -> "Comedies"). Line by line: a title per line
    ("Groundhog Day\nPalm Springs") stays a list, not one run of words; lines left empty go."""
    return "\n".join(filter(None, (_line_without_constraints(line) for line in text.split("\n"))))


def _line_without_constraints(line: str) -> str:
    for pattern in _STATED:
        line = pattern.sub(" ", line)
    return re.sub(r"\s+", " ", line).strip()
