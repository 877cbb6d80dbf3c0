"""Offline evaluation of ranking models under the MovieTweetings leave-last-out protocol, and
the statistics of A/B experiments.

``data`` loads interaction logs, ``split`` makes the protocol's validation, test and
cold-start phases, ``metrics`` holds the pure ranking and beyond-accuracy metrics
(long tail, category exposure, intra-list diversity, user groups), ``baselines`` the
reference models, ``runner`` tunes and evaluates any :class:`bot.ranking.Ranker`, and
``report`` writes ``docs/evaluation.{json,md}`` with plots. ``bot eval`` runs it all.

``abtest`` compares an experiment's variants (rates, intervals, test, sample size); the engine
reports with it, so it imports nothing above the store. ``replay`` sits above the engine: it
plays MovieTweetings through one to check the experiment pipeline (``bot experiments simulate``).
"""
