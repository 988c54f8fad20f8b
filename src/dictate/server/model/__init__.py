"""The speech model: where its files come from (``source``), the faster-whisper wrapper, the scheduler that
shares it between sessions and uploads, what a pass asks and gives back, loading and warm-up."""
