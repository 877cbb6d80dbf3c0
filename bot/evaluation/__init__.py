"""Offline evaluation of ranking models under the MovieTweetings leave-last-out protocol, and
the replay that checks the experiment pipeline. An offline client of the engine: nothing in the
running bot imports this package; only the CLI does.

``data`` loads interaction logs, ``split`` makes the protocol's validation, test and
cold-start phases, ``metrics`` holds the pure ranking and beyond-accuracy metrics
(long tail, category exposure, intra-list diversity, user groups), ``baselines`` the
reference models, ``runner`` tunes and evaluates any :class:`bot.ranking.Ranker`, and
``report`` writes ``docs/evaluation.{json,md}`` with plots. ``pipeline`` is what ``bot eval``
and ``bot experiments simulate`` run.

``replay`` plays MovieTweetings through an engine to check the experiment pipeline, whose
statistics are bot/statistics.py (the engine reports with them); ``charts`` draws a report.

``nlu`` is ``bot nlu-eval``: how the bot reads held-out messages (intents, off-topic, support)
and requests (titles, categories, periods, the picks), written to ``docs/nlu.{json,md}``.
"""
