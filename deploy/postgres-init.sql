-- Run once by the postgres image when its volume is new (docker-compose.yml): Rasa's tracker
-- store gets a database of its own, beside the engine's (POSTGRES_DB): both have a table "events".
CREATE DATABASE recbot_tracker;
