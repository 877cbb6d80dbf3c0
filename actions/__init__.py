"""Rasa custom actions: a thin translation between Rasa trackers and :mod:`bot.engine`."""
