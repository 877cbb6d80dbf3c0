"""Rasa's check of the action server's answer, without checking Rasa's own schema every turn.

Rasa 3.6 checks every answer of the action server with ``jsonschema.validate(result,
RemoteAction.action_response_format_spec())``. That call first validates the *schema* (every
event type Rasa knows) against JSON Schema's meta-schema, then builds a validator, then checks
the answer; the first step is almost all of it: about a quarter of the Rasa server's time in a
turn that runs a custom action (issue 8). Installed from this package's ``__init__``, this
replaces ``RemoteAction._validate_action_result`` with the same check on a validator built, and
its schema checked, once: an answer is accepted or rejected exactly as before, and a malformed
one raises the same ``jsonschema.ValidationError`` with Rasa's message.

The replacement is installed only on the Rasa release it was written and tested for, and only
when the method still has the expected signature; otherwise a warning says so and Rasa stays as
it is (correct, only slower).
"""

from __future__ import annotations

import inspect
import logging
from typing import Any

import rasa
from jsonschema.exceptions import best_match
from jsonschema.protocols import Validator
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL

logger = logging.getLogger(__name__)

PATCHED_VERSION = "3.6.21"  # the replaced method is that of this Rasa release
PATCHED_SIGNATURE = ["self", "result"]
_validator: Validator | None = None


def validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
    """Rasa's ``_validate_action_result`` on the validator built at install time."""
    error = best_match(_validator.iter_errors(result))
    if error is not None:
        error.message += (
            f". Failed to validate Action server response from API, "
            f"make sure your response from the Action endpoint is valid. "
            f"For more information about the format visit "
            f"{DOCS_BASE_URL}/custom-actions"
        )
        raise error
    return True


def _is_rasas(method: Any) -> bool:
    """Rasa's own method (not one another plugin put there), with the expected signature."""
    return (getattr(method, "__module__", None) == "rasa.core.actions.action"
            and getattr(method, "__qualname__", None) == "RemoteAction._validate_action_result"
            and list(inspect.signature(method).parameters) == PATCHED_SIGNATURE)


def install() -> bool:
    """Replace the check once, if Rasa is the release and method this was written for."""
    global _validator
    current = getattr(RemoteAction, "_validate_action_result", None)
    if current is validate_action_result:
        return True
    if rasa.__version__ != PATCHED_VERSION:
        logger.warning("rasa %s is not %s: custom actions' answers are checked the slow way (fast_actions "
                       "not installed)", rasa.__version__, PATCHED_VERSION)
        return False
    if not _is_rasas(current):
        logger.warning("RemoteAction._validate_action_result is not the method fast_actions replaces: "
                       "custom actions' answers are checked the slow way")
        return False
    schema = RemoteAction.action_response_format_spec()
    validator_class = validator_for(schema)
    validator_class.check_schema(schema)  # what jsonschema.validate does on every call
    _validator = validator_class(schema)
    RemoteAction._validate_action_result = validate_action_result
    logger.info("Custom actions' answers are checked with a validator built once (rasa_plugins/fast_actions.py).")
    return True
