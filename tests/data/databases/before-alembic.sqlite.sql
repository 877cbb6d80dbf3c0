-- The bot's database as created by the version before alembic (01053e6, Base.metadata.create_all), sqlite.
-- Kept to test that migrations carry such a database to today's schema with its rows.
CREATE TABLE users (
	sender_id VARCHAR(255) NOT NULL, 
	created_at DATETIME NOT NULL, 
	onboarded_at DATETIME, 
	PRIMARY KEY (sender_id)
);
CREATE TABLE consents (
	id INTEGER NOT NULL, 
	sender_id VARCHAR(255) NOT NULL, 
	granted BOOLEAN NOT NULL, 
	channel VARCHAR(64) NOT NULL, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(sender_id) REFERENCES users (sender_id) ON DELETE CASCADE
);
CREATE INDEX ix_consents_sender_time ON consents (sender_id, created_at);
CREATE TABLE events (
	id INTEGER NOT NULL, 
	sender_id VARCHAR(255) NOT NULL, 
	type VARCHAR(32) NOT NULL, 
	item_id VARCHAR(255), 
	category VARCHAR(255), 
	channel VARCHAR(64) NOT NULL, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(sender_id) REFERENCES users (sender_id) ON DELETE CASCADE
);
CREATE INDEX ix_events_item_id ON events (item_id);
CREATE INDEX ix_events_sender_time ON events (sender_id, created_at);
CREATE TABLE export_tokens (
	token_hash VARCHAR(64) NOT NULL, 
	sender_id VARCHAR(255) NOT NULL, 
	expires_at DATETIME NOT NULL, 
	used_at DATETIME, 
	PRIMARY KEY (token_hash), 
	FOREIGN KEY(sender_id) REFERENCES users (sender_id) ON DELETE CASCADE
);
CREATE INDEX ix_export_tokens_sender_id ON export_tokens (sender_id);
CREATE TABLE handoffs (
	id INTEGER NOT NULL, 
	sender_id VARCHAR(255) NOT NULL, 
	channel VARCHAR(64) NOT NULL, 
	reason VARCHAR(64) NOT NULL, 
	status VARCHAR(16) NOT NULL, 
	agent VARCHAR(64), 
	requested_at DATETIME NOT NULL, 
	claimed_at DATETIME, 
	closed_at DATETIME, 
	PRIMARY KEY (id), 
	FOREIGN KEY(sender_id) REFERENCES users (sender_id) ON DELETE CASCADE
);
CREATE INDEX ix_handoffs_sender_id ON handoffs (sender_id);
CREATE INDEX ix_handoffs_status_time ON handoffs (status, requested_at);
CREATE TABLE preferences (
	id INTEGER NOT NULL, 
	sender_id VARCHAR(255) NOT NULL, 
	kind VARCHAR(32) NOT NULL, 
	value VARCHAR(255) NOT NULL, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (sender_id, kind, value), 
	FOREIGN KEY(sender_id) REFERENCES users (sender_id) ON DELETE CASCADE
);
CREATE INDEX ix_preferences_sender_id ON preferences (sender_id);
