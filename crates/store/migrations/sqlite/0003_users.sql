-- Local accounts, their browser sessions and API tokens, and failed logins for rate limiting.
-- Passwords are stored as Argon2id PHC strings; session and API tokens only as SHA-256 digests.
CREATE TABLE users (
    name TEXT PRIMARY KEY NOT NULL,
    role TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE sessions (
    token_hash BLOB PRIMARY KEY NOT NULL,
    user_name TEXT NOT NULL REFERENCES users (name) ON DELETE CASCADE,
    csrf TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_expires ON sessions (expires_at);

CREATE TABLE api_tokens (
    token_hash BLOB PRIMARY KEY NOT NULL,
    user_name TEXT NOT NULL REFERENCES users (name) ON DELETE CASCADE,
    label TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE login_failures (
    name TEXT NOT NULL,
    at INTEGER NOT NULL
);
CREATE INDEX login_failures_name_at ON login_failures (name, at);
