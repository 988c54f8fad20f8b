"""dictate: streaming speech-to-text dictation."""

__version__ = "0.1.0"
