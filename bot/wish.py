"""What one message asks of the picks on top of the user's profile.

"Anything like Memento and Heat, but no horror, from the 90s" is a :class:`Wish`: the items
named as examples, the categories and free-text topic wanted ("candles", "murder mysteries"),
what is not wanted ("no musicals", "without glass"), and the hard constraints. The engine reads
it from the text (``Engine.read_wish``); faces carry it back to ``Engine.recommend``.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.constraints import Constraints


@dataclass(frozen=True)
class Wish:
    items: tuple[str, ...] = ()  # catalog ids named as examples of what is wanted
    categories: tuple[str, ...] = ()  # wanted: a pick is in one of them
    topic: str = ""  # the other words about what is wanted, embedded to steer the picks
    avoid_categories: tuple[str, ...] = ()
    avoid_topics: tuple[str, ...] = ()  # "glass", "scary": picks about them are left out
    constraints: Constraints = Constraints()
    lasting: bool = False  # said as a standing preference ("never", "i hate"): keep the avoidances

    def __bool__(self) -> bool:
        return self != Wish()

    @property
    def steers(self) -> bool:
        """Whether it says anything about which items are wanted (not only constraints)."""
        return bool(self.items or self.categories or self.topic or self.avoid_categories or self.avoid_topics)

    def describe(self) -> str:
        """The wanted part for a heading: "Comedy picks about road trips"."""
        head = " and ".join(self.categories)
        about = f"about {self.topic}" if self.topic else ""
        return " ".join(filter(None, [head, "picks", about]))
