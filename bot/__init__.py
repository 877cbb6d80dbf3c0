"""Personalization engine of the recommendation bot; usable without Rasa."""
