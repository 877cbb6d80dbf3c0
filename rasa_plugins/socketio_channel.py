"""Rasa 3.6's socket.io channel (credentials.yml: ``rasa_plugins.socketio_channel.SocketIOInput``,
the same path and events as Rasa's ``socketio``) with the sender fixed when the connection opens.

Rasa's channel checks a ``jwt_key`` token only when a socket connects and then takes the sender
from each message's ``session_id``: a client could write as anyone. Here the sender is settled
once per connection, at ``session_request``: the subject of the user token the client connected
with (``auth: {"token": ...}``), else the anonymous ``web-<uuid>`` it asked for
(rasa_plugins/identity.py); a message's own ``session_id`` is ignored. A connection with a
token that is not valid is refused (the client sees a ``connect_error`` with the reason); a
message before a session gets an ``error`` event and is not processed.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels import socketio
from rasa.core.channels.channel import UserMessage
from sanic import Blueprint
from socketio.exceptions import ConnectionRefusedError

from rasa_plugins.identity import IdentityError, is_anonymous, sender_for, token_secret

logger = logging.getLogger(__name__)


class SocketIOInput(socketio.SocketIOInput):
    @classmethod
    def name(cls) -> str:
        return "socketio"  # the engine's records and the agent console know the channel by this

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = super().blueprint(on_new_message)  # Rasa's routes; its handlers are replaced below
        sio, namespace, secret = self.sio, self.namespace, token_secret()

        async def connect(sid: str, environ: dict, auth: dict | None) -> bool:
            token = auth.get("token") if isinstance(auth, dict) else None
            try:
                user = sender_for(secret, token, None) if token else None
            except IdentityError as error:
                raise ConnectionRefusedError(str(error)) from None
            await sio.save_session(sid, {"user": user}, namespace=namespace)
            return True

        async def session_request(sid: str, data: Any) -> None:
            session = await sio.get_session(sid, namespace=namespace)
            asked = data.get("session_id") if isinstance(data, dict) else None
            asked = asked if isinstance(asked, str) and asked else None
            if session.get("user") is not None:
                sender = session["user"]  # the token's subject, whatever was asked
            elif asked is not None and (secret is None or is_anonymous(asked)):
                sender = asked
            else:
                sender = f"web-{uuid.uuid4()}"  # a new anonymous visitor
            session["sender"] = sender
            await sio.save_session(sid, session, namespace=namespace)
            sio.enter_room(sid, sender, namespace=namespace)
            await sio.emit("session_confirm", sender, room=sid, namespace=namespace)

        async def handle_message(sid: str, data: Any) -> None:
            sender = (await sio.get_session(sid, namespace=namespace)).get("sender")
            if sender is None or not isinstance(data, dict):
                await sio.emit("error", {"message": "ask for a session (session_request) first"}, room=sid,
                               namespace=namespace)
                return
            metadata = data.get(self.metadata_key) or {}
            if isinstance(metadata, str):
                try:
                    metadata = json.loads(metadata)
                except ValueError:
                    metadata = {}
            text = data.get("message")
            await on_new_message(UserMessage(
                text if isinstance(text, str) else "", socketio.SocketIOOutput(sio, self.bot_message_evt), sender,
                input_channel=self.name(), metadata=metadata if isinstance(metadata, dict) else {},
            ))

        sio.on("connect", connect, namespace=namespace)
        sio.on("session_request", session_request, namespace=namespace)
        sio.on(self.user_message_evt, handle_message, namespace=namespace)
        return webhook
