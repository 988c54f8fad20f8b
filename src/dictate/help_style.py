"""One help style for every `dictate` command: values named in words, never by a Python type.

typer shows each option's Python type in --help (``<str>``, ``<bool>`` on a switch, ``<list[Path]>``).
``PlainHelpGroup`` (the class of each ``typer.Typer`` of the CLI) gives every parameter of its commands a word
instead: TEXT, INTEGER, NUMBER, PATH, the choices (``auto|cuda|cpu``), nothing on a switch; ``...`` when several
are taken. The help texts themselves end in ``[DICTATE_X; default]`` (``settings_help.help_text``).
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Any

from typer.core import TyperArgument, TyperGroup, TyperOption

WORDS = {int: "INTEGER", float: "NUMBER", str: "TEXT", Path: "PATH", bool: "", type(None): ""}


def value_word(param: TyperOption | TyperArgument) -> str:
    """The word for what ``param`` takes."""
    if isinstance(param, TyperOption) and (param.is_flag or param.count):
        return ""
    descriptor = param.type_descriptor
    if descriptor.is_choice:
        word = "|".join(str(c.value if isinstance(c, Enum) else c) for c in descriptor.choices or ())
    elif descriptor.is_path:
        word = "PATH"
    else:
        annotation = descriptor.annotation
        inner = getattr(annotation, "__args__", None) if descriptor.is_list else None
        word = WORDS.get(inner[0] if inner else annotation, "VALUE")
        if descriptor.is_ranged:
            word = "INTEGER" if "int" in str(descriptor.ranged_type_name) else "NUMBER"
    return word


class _PlainOption(TyperOption):
    def display_type(self, ctx: Any) -> str:
        return value_word(self)


class _PlainArgument(TyperArgument):
    def display_type(self, ctx: Any) -> str:
        word = value_word(self)
        return f"{word}..." if word and self.nargs != 1 else word


def plain_words(command: Any, ctx: Any) -> None:
    """Name the values of ``command``'s parameters (its --help option too) in words."""
    for param in command.get_params(ctx):
        if type(param) is TyperOption:
            param.__class__ = _PlainOption
        elif type(param) is TyperArgument:
            param.__class__ = _PlainArgument


class PlainHelpGroup(TyperGroup):
    """A command group whose commands' help names values in words (see the module's doc)."""

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        command = super().get_command(ctx, cmd_name)
        if command is not None:
            plain_words(command, ctx)
        return command

    def format_help(self, ctx: Any, formatter: Any) -> None:
        plain_words(self, ctx)
        super().format_help(ctx, formatter)


__all__ = ["PlainHelpGroup", "plain_words", "value_word"]
