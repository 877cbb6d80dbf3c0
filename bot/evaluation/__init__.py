"""Offline evaluation of ranking models under the MovieTweetings leave-last-out protocol.

``data`` loads interaction logs, ``split`` makes the protocol's validation, test and
cold-start phases, ``metrics`` holds the pure ranking and beyond-accuracy metrics
(long tail, category exposure, intra-list diversity, user groups), ``baselines`` the
reference models, ``runner`` tunes and evaluates any :class:`bot.ranking.Ranker`, and
``report`` writes ``docs/evaluation.{json,md}`` with plots. ``bot eval`` runs it all.
"""
