"""Browser chat page for the movie bot; it talks to Rasa's REST channel directly."""
