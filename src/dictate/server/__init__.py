"""`dictate serve`: the FastAPI WebSocket service. Never imports the TUI's libraries."""
