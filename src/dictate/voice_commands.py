"""Voice commands: a final utterance that is only a command phrase does an action instead of being typed.

Pure: text in, command out. Matching ignores Whisper's case and punctuation ("New paragraph." and
"new-paragraph!" are the same command), but the whole utterance must be the phrase: a command's words inside
a longer sentence ("he wrote a new line of code") are text.
"""

from __future__ import annotations

from enum import Enum


class VoiceCommand(str, Enum):
    """What a spoken command does."""

    NEW_LINE = "new line"  # press Enter
    NEW_PARAGRAPH = "new paragraph"  # press Enter twice
    SCRATCH_THAT = "scratch that"  # delete the last utterance typed in this dictation
    STOP_LISTENING = "stop listening"  # OFF


# Spoken forms (after normalise_phrase) of each command. Whisper writes "new line" as "newline" at times.
PHRASES: dict[str, VoiceCommand] = {
    "new line": VoiceCommand.NEW_LINE,
    "newline": VoiceCommand.NEW_LINE,
    "new paragraph": VoiceCommand.NEW_PARAGRAPH,
    "scratch that": VoiceCommand.SCRATCH_THAT,
    "stop listening": VoiceCommand.STOP_LISTENING,
}

# What each typing command types.
COMMAND_TEXT: dict[VoiceCommand, str] = {
    VoiceCommand.NEW_LINE: "\n",
    VoiceCommand.NEW_PARAGRAPH: "\n\n",
}


def normalise_phrase(text: str) -> str:
    """Lower-case words of ``text``: punctuation and symbols become spaces, whitespace runs one space."""
    letters = "".join(char if char.isalnum() or char == "'" else " " for char in text.casefold())
    return " ".join(word.strip("'") for word in letters.split() if word.strip("'"))


def parse_command(text: str) -> VoiceCommand | None:
    """The command that the whole utterance ``text`` is, or None when it is text to type."""
    return PHRASES.get(normalise_phrase(text))


__all__ = ["COMMAND_TEXT", "PHRASES", "VoiceCommand", "normalise_phrase", "parse_command"]
