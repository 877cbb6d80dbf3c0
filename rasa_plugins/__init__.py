"""Extensions loaded by the Rasa server (Python 3.10, the Rasa environment), by module path
from endpoints.yml. They import Rasa; nothing in ``bot/`` or ``actions/`` imports them."""
