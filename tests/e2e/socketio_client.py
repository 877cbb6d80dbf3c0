"""A socket.io client of the chat channel, run in the Rasa environment (python-socketio 5.8, as
Rasa's server) by tests/e2e/test_lockdown.py: ``.venv-rasa/bin/python tests/e2e/socketio_client.py
URL`` with a JSON request on stdin: ``{"token": ... or null, "session_id": ..., "message": ...}``.
Prints one JSON line: the connection refused (and why), or the session confirmed and the bot's
replies to the message."""

from __future__ import annotations

import asyncio
import json
import sys

import socketio

WAIT_S = 90


async def talk(url: str, request: dict) -> dict:
    client = socketio.AsyncClient(reconnection=False)
    confirmed: asyncio.Future = asyncio.get_running_loop().create_future()
    replies: list[dict] = []
    answered = asyncio.Event()

    @client.on("session_confirm")
    async def session_confirm(session_id: str) -> None:
        confirmed.set_result(session_id)

    refusals: list = []

    @client.on("connect_error")
    async def connect_error(data: object) -> None:
        refusals.append(data.get("message") if isinstance(data, dict) else data)

    @client.on("bot_uttered")
    async def bot_uttered(message: dict) -> None:
        replies.append(message)
        answered.set()

    auth = {"token": request["token"]} if request.get("token") else None
    try:
        await client.connect(url, auth=auth, transports=["websocket"], socketio_path="/socket.io")
    except socketio.exceptions.ConnectionError as error:
        return {"refused": str(refusals[0] if refusals else error)}
    await client.emit("session_request", {"session_id": request.get("session_id")})
    session = await asyncio.wait_for(confirmed, WAIT_S)
    await client.emit("user_uttered", {"message": request["message"], "session_id": request.get("claimed")})
    await asyncio.wait_for(answered.wait(), WAIT_S)
    await asyncio.sleep(1.0)  # the rest of the turn's messages
    await client.disconnect()
    return {"session": session, "replies": [m.get("text") for m in replies]}


if __name__ == "__main__":
    print(json.dumps(asyncio.run(talk(sys.argv[1], json.loads(sys.stdin.read())))))
