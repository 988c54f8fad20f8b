"""The `dictate tui` dashboard (Textual). Never imported by the server."""
