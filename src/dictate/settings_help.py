"""What the server's settings say about themselves, from their one declaration (``config.ServerSettings``).

A setting is declared once, as a field with its description, default and limits. From that field come its line
in `dictate serve --help` (``help_text``), its row in the settings table of docs/service.md or, for a tuning dial
(``config.dial``), in docs/tuning.md (``markdown_table``; ``scripts/settings-tables.py`` writes both tables and
tests/unit/test_settings_surface.py checks them). One help style everywhere: ``Description [DICTATE_X; default]``.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path

from pydantic import AliasChoices
from pydantic.fields import FieldInfo

from dictate.config import TUNING, ServerSettings

MARKERS = {"operator": ("<!-- generated:serve-settings -->", "<!-- /generated:serve-settings -->")}
MARKERS["tuning"] = ("<!-- generated:tuning-dials -->", "<!-- /generated:tuning-dials -->")


def is_tuning(field: FieldInfo) -> bool:
    """A tuning dial (declared with ``config.dial``): a DICTATE_* variable only, documented on docs/tuning.md."""
    extra = field.json_schema_extra
    return isinstance(extra, dict) and extra.get("group") == TUNING


def operator_settings() -> dict[str, FieldInfo]:
    """The settings a user or an operator sets: each is a `dictate serve` flag and a row of docs/service.md."""
    return {name: field for name, field in ServerSettings.model_fields.items() if not is_tuning(field)}


def tuning_dials() -> dict[str, FieldInfo]:
    """The latency and accuracy dials: each a row of docs/tuning.md, none in `dictate serve --help`."""
    return {name: field for name, field in ServerSettings.model_fields.items() if is_tuning(field)}


def env_name(name: str, field: FieldInfo) -> str:
    """The environment variable: DICTATE_NAME, or the field's own first alias (HF_HUB_OFFLINE)."""
    alias = field.validation_alias
    if isinstance(alias, AliasChoices) and isinstance(alias.choices[0], str):
        return alias.choices[0]
    return f"DICTATE_{name.upper()}"


def flag_name(name: str) -> str:
    return "--" + name.replace("_", "-")


def default_text(field: FieldInfo) -> str | None:
    """The default as a user writes it (on/off, 0.45, text), or None when unset (the description says what then)."""
    value = field.default
    if value is None:
        return None
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, Path):
        return str(value)
    return str(value)


def help_text(name: str, field: FieldInfo) -> str:
    """The setting's help: ``Description [DICTATE_X; default]`` (``[DICTATE_X]`` when it has none)."""
    default = default_text(field)
    where = env_name(name, field) if default is None else f"{env_name(name, field)}; {default}"
    return f"{field.description} [{where}]"


def markdown_table(fields: dict[str, FieldInfo], *, flags: bool) -> str:
    """A table of ``fields`` for docs/: variable (and flag), default, meaning."""
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    for name, field in fields.items():
        setting = f"`{env_name(name, field)}`" + (f" / `{flag_name(name)}`" if flags else "")
        default = default_text(field)
        rows.append(f"| {setting} | {'unset' if default is None else default} | {field.description} |")
    return "\n".join(rows)


def generated_tables() -> dict[str, str]:
    """The two generated tables by marker group: the operator settings (docs/service.md), the dials (tuning.md)."""
    return {
        "operator": markdown_table(operator_settings(), flags=True),
        "tuning": markdown_table(tuning_dials(), flags=False),
    }


def replace_generated(text: str, group: str, table: str) -> str:
    """``text`` with the part between ``group``'s markers replaced by ``table``."""
    start, end = MARKERS[group]
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    return f"{head}{start}\n{table}\n{end}{tail}"


__all__ = [
    "MARKERS",
    "default_text",
    "env_name",
    "flag_name",
    "generated_tables",
    "help_text",
    "is_tuning",
    "markdown_table",
    "operator_settings",
    "replace_generated",
    "tuning_dials",
]
