"""The web face of the bot: the browser chat page (it talks to Rasa directly) and the user-data API."""
