"""Extensions loaded by the Rasa server (Python 3.10, the Rasa environment), by module path
from endpoints.yml (the tracker store) and credentials.yml (the Slack and Telegram channels).
They import Rasa; nothing in ``bot/`` or ``actions/`` imports them."""

from rasa_plugins import action_server_down, engine_intents, fast_actions, ratelimit

action_server_down.install()
engine_intents.install()
fast_actions.install()
ratelimit.install()
