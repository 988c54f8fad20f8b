"""The user's config file (`config.toml`) as a pydantic-settings source, and one-line errors for bad settings.

Precedence, highest first: command-line flags (init values), ``DICTATE_*`` environment variables, the config
file, the defaults. The file's keys are the settings model's field names, so every client option can be set
there without a hand-kept list. Pure apart from reading the file. ``DictateSettings`` is the base of the settings
models (config.py: the server's; client_config.py: the clients').
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict, TomlConfigSettingsSource

from dictate.errors import ConfigError

CONFIG_ENV = "DICTATE_CONFIG"  # overrides where the config file is (tests, several profiles)
CONFIG_FILE = "config.toml"
MASK = "**********"


def config_path() -> Path:
    """$DICTATE_CONFIG, else <user config dir>/dictate/config.toml (platformdirs)."""
    explicit = os.environ.get(CONFIG_ENV)
    if explicit:
        return Path(explicit).expanduser()
    from platformdirs import user_config_dir

    return Path(user_config_dir("dictate", appauthor=False)) / CONFIG_FILE


def read_config(path: Path, allowed: Mapping[str, Any]) -> dict[str, Any]:
    """The file's table ({} when there is no file). A syntax error or a key not in ``allowed`` is a ConfigError."""
    if not path.is_file():
        return {}
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    except OSError as exc:
        raise ConfigError(f"cannot read the config file {path}: {exc.strerror or exc}") from exc
    for key in data:
        if key not in allowed:
            raise ConfigError(f"{path}: unknown key '{key}'; allowed keys: {', '.join(sorted(allowed))}")
    return data


class ConfigFileSource(TomlConfigSettingsSource):
    """pydantic-settings' TOML source over ``config_path()``, with one-line errors and no unknown keys."""

    def __init__(self, settings_cls: type[BaseSettings]) -> None:
        self.path = config_path()
        self._fields = settings_cls.model_fields
        super().__init__(settings_cls, toml_file=self.path)

    def _read_file(self, file_path: Any) -> dict[str, Any]:
        return read_config(Path(file_path), self._fields)


def env_name(settings_cls: type[BaseModel], field: str) -> str | None:
    """The environment variable that is set for ``field`` (case-insensitive, as pydantic-settings reads it)."""
    prefix = str(settings_cls.model_config.get("env_prefix", ""))
    wanted = (prefix + field).upper()
    return next((name for name in os.environ if name.upper() == wanted), None)


def setting_source(settings_cls: type[BaseModel], field: str, flags: Mapping[str, Any], file_keys: Any) -> str:
    """Where a field's value comes from: 'flag', 'env NAME', 'file' or 'default' (highest precedence first)."""
    if field in flags:
        return "flag"
    name = env_name(settings_cls, field)
    if name is not None:
        return f"env {name}"
    return "file" if field in file_keys else "default"


def settings_error(settings_cls: type[BaseModel], exc: ValidationError, flags: Mapping[str, Any]) -> ConfigError:
    """One line naming where the bad value is (flag, environment variable or file), the key and what is allowed."""
    errors = exc.errors()
    first = errors[0]
    loc = [str(part) for part in first["loc"]]
    field = loc[0] if loc else "?"
    key = ".".join(loc) or "?"
    path = config_path()
    file_keys = _file_keys(path)
    source = setting_source(settings_cls, field, flags, file_keys)
    if source == "flag":
        where = f"command-line option for {key}"
    elif source.startswith("env "):
        where = f"environment variable {source[4:]}"
    elif source == "file":
        where = f"{path}: key {key}"
    else:
        where = f"setting {key}"
    value = first.get("input")
    shown = MASK if _is_secret(settings_cls, field) else repr(value)
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return ConfigError(f"{where} = {shown}: {first['msg']}{more}")


class DictateSettings(BaseSettings):
    """Base of the settings models: the DICTATE_ prefix, an empty token meaning none, and a validation error
    becoming a one-line ConfigError (flag, variable or file)."""

    model_config = SettingsConfigDict(env_prefix="DICTATE_", extra="ignore")

    def __init__(self, **values: Any) -> None:
        try:
            super().__init__(**values)
        except ValidationError as exc:
            raise settings_error(type(self), exc, values) from exc

    @field_validator("token", mode="before", check_fields=False)
    @classmethod
    def _empty_token_is_none(cls, value: object) -> object:
        return None if value in ("", None) else value


def _file_keys(path: Path) -> set[str]:
    try:
        with path.open("rb") as handle:
            return set(tomllib.load(handle))
    except (OSError, tomllib.TOMLDecodeError):
        return set()


def _is_secret(settings_cls: type[BaseModel], field: str) -> bool:
    info = settings_cls.model_fields.get(field)
    return info is not None and "SecretStr" in str(info.annotation)


def mask_url_token(url: str) -> str:
    """A URL with the value of any ``token=`` query parameter masked."""
    from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

    parts = urlsplit(url)
    if not parts.query:
        return url
    query = [(k, MASK if k.lower() == "token" else v) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    return urlunsplit(parts._replace(query=urlencode(query, safe="*")))


def effective_values(settings: BaseModel) -> list[tuple[str, Any, str]]:
    """(field, value for display, source) of every setting: secrets and URL tokens masked."""
    cls = type(settings)
    file_keys = _file_keys(config_path())
    rows: list[tuple[str, Any, str]] = []
    for field in cls.model_fields:
        value = getattr(settings, field)
        if isinstance(value, SecretStr):
            value = MASK
        elif isinstance(value, str) and "token=" in value.lower():
            value = mask_url_token(value)
        rows.append((field, value, setting_source(cls, field, {}, file_keys)))
    return rows


def to_toml(rows: list[tuple[str, Any, str]]) -> str:
    """The rows as a config.toml that could be copied as it is: unset values commented, tables last."""
    lines: list[str] = []
    tables: list[str] = []
    for field, value, source in rows:
        comment = "" if source == "default" else f"  # {source}"
        if isinstance(value, Mapping):
            tables += _toml_table(field, value, comment)
        elif value is None:
            lines.append(f"# {field} = (unset){comment}")
        else:
            lines.append(f"{field} = {_toml_value(value)}{comment}")
    return "\n".join(lines + tables) + "\n"


def _toml_table(name: str, table: Mapping[str, Any], comment: str = "") -> list[str]:
    """``[name]`` and its keys, then its sub-tables (``[profiles.NAME]``, ``[profiles.NAME.replace]``)."""
    lines = ["", f"[{name}]{comment}"]
    subtables: list[str] = []
    for key, value in table.items():
        if isinstance(value, BaseModel):
            value = value.model_dump(mode="json", exclude_none=True)
        if isinstance(value, Mapping):
            if value:  # an empty sub-table (a profile without replacements) says nothing
                subtables += _toml_table(f"{name}.{_toml_key(key)}", value)
        elif value is not None:
            lines.append(f"{_toml_key(key)} = {_toml_value(value)}")
    return lines + subtables


def _toml_key(key: str) -> str:
    return key if key.replace("_", "").replace("-", "").isalnum() and key.isascii() else _toml_value(key)


def _toml_value(value: Any) -> str:
    import json
    from enum import Enum

    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)


__all__ = [
    "CONFIG_ENV",
    "ConfigFileSource",
    "DictateSettings",
    "config_path",
    "effective_values",
    "mask_url_token",
    "read_config",
    "settings_error",
    "to_toml",
]
