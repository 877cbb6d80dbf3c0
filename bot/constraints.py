"""Hard filters a user can say in a request: price, release period, availability.

"something from the 90s", "the 80s or 90s", "from the last 5 years", "released this year", "comedies
under 20 dollars", "between 10 and 20 euros", "only available ones" become a :class:`Constraints`
value that the recommender applies as filters; each constraint also describes itself for the reply
("from the 1990s", "priced under 20"). A number with a unit that is no money is no price ("under 90
minutes", "less than 300 pages").
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
_DECADE = re.compile(r"\b(?:the\s+)?(?:(1[89]|20)(\d)0|'?(\d)0)'?s\b")
_DECADE_WORDS = {
    "twenties": 1920, "thirties": 1930, "forties": 1940, "fifties": 1950, "sixties": 1960,
    "seventies": 1970, "eighties": 1980, "nineties": 1990, "noughties": 2000,
}
_BEFORE = re.compile(r"\b(?:before|older than|earlier than|pre)[\s-]+(\d{4})\b")
_AFTER = re.compile(r"\b(?:after|since|newer than|later than|post)[\s-]+(\d{4})\b")
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
    if (decades := _decades(lowered)) is not None:
        found["year_from"], found["year_to"] = decades
    if match := _AFTER.search(lowered):
        found["year_from"] = int(match.group(1)) + 1
    if match := _BEFORE.search(lowered):
        found["year_to"] = int(match.group(1)) - 1
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


def _decades(text: str) -> tuple[int, int] | None:
    """The first year of the earliest decade named and the last of the latest: "the 80s or 90s"
    is 1980-1999, not the 80s alone."""
    starts = [start for word, start in _DECADE_WORDS.items() if re.search(rf"\b{word}\b", text)]
    for match in _DECADE.finditer(text):
        if match.group(1):
            starts.append(int(match.group(1) + match.group(2) + "0"))
        else:
            digit = int(match.group(3))
            starts.append((1900 if digit >= 2 else 2000) + digit * 10)
    return (min(starts), max(starts) + 9) if starts else None


_STATED = tuple(re.compile(pattern.pattern, re.IGNORECASE) for pattern in (
    _BETWEEN_YEARS, _BETWEEN, _UNDER, _OVER, _BEFORE, _AFTER, _IN_YEAR, _AVAILABLE, _DECADE, _YEARS_BACK, _THIS_YEAR,
    re.compile(rf"\b(?:the\s+)?(?:{'|'.join(_DECADE_WORDS)})\b")))


def without_constraints(text: str) -> str:
    """The text with the words that state constraints blanked out: what is left says which
    items are wanted ("Comedies under 20 dollars" -> "Comedies"). Line by line: a title per line
    ("Groundhog Day\nPalm Springs") stays a list, not one run of words; lines left empty go."""
    return "\n".join(filter(None, (_line_without_constraints(line) for line in text.split("\n"))))


def _line_without_constraints(line: str) -> str:
    for pattern in _STATED:
        line = pattern.sub(" ", line)
    return re.sub(r"\s+", " ", line).strip()
