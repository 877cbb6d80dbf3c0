"""The `@check(name)` decorator of the scripts that run checks inside the Rasa environment:
each check runs as it is defined and prints "ok <name>", which the pytest side expects."""

from __future__ import annotations

from collections.abc import Callable


def check(name: str) -> Callable[[Callable[[], None]], Callable[[], None]]:
    def run(function: Callable[[], None]) -> Callable[[], None]:
        function()
        print("ok", name, flush=True)
        return function
    return run
