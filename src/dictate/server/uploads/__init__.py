"""File uploads: the OpenAI-compatible ``/v1/audio/transcriptions`` route, its windowed jobs, its formats."""
