-- Sign-in throttling per (account, client) and per client instead of a per-account lockout, so that a stranger
-- can slow their own guessing but never lock a person out. Failures are transient, so the old table is dropped.
DROP TABLE login_failures;
CREATE TABLE login_failures (
    name TEXT NOT NULL,
    client TEXT NOT NULL,
    at INTEGER NOT NULL
);
CREATE INDEX login_failures_name_client_at ON login_failures (name, client, at);
CREATE INDEX login_failures_client_at ON login_failures (client, at);
CREATE INDEX login_failures_at ON login_failures (at);

-- API tokens are revoked, not deleted, so `rightsgate user token list` still shows them.
ALTER TABLE api_tokens ADD COLUMN revoked_at INTEGER;
CREATE INDEX api_tokens_user ON api_tokens (user_name);
