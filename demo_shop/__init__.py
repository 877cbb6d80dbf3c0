"""A small shop on its own origin that embeds the bot as any shop would: the widget's one
``<script>`` tag, a "Recommended for you" element, site events from its backend and a token for
its signed-in user (``make run`` serves it; docs/widget.md). It knows the bot only over HTTP.
"""
