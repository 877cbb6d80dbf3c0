"""The one error of `bot nlu-eval`, apart so that the sets, the Rasa parser and the engines can all
raise it and the command turn it into a message rather than a traceback."""


class NluEvalError(ValueError):
    """The measurement cannot run: no sets, a malformed set, Rasa or a catalog missing."""
