"""Store tests: every test runs on SQLite and PostgreSQL."""
