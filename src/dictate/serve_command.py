"""`dictate serve`: one flag per setting a user or operator sets, made from its declaration in
``config.ServerSettings`` (type, help and default; the tuning dials are variables only, on docs/tuning.md)."""

from __future__ import annotations

import inspect
import typing
from typing import Annotated, Any

import typer
from pydantic import SecretStr
from pydantic.fields import FieldInfo

from dictate.options import given
from dictate.settings_help import flag_name, help_text, operator_settings

EPILOG = (
    "Every flag can be given as its variable instead (DICTATE_PORT=8000). The latency and accuracy dials are "
    "variables only: see docs/tuning.md."
)


def _flag_type(field: FieldInfo) -> Any:
    """The field's type as a flag takes it: None means "not given", a secret is typed as text."""
    kinds = [kind for kind in typing.get_args(field.annotation) or (field.annotation,) if kind is not type(None)]
    (kind,) = kinds
    return str if kind is SecretStr else kind


def _parameter(name: str, field: FieldInfo) -> inspect.Parameter:
    kind = _flag_type(field)
    names = [flag_name(name)] if kind is bool else []  # a switch: given (on) or not; off is the default
    option = typer.Option(*names, help=help_text(name, field), show_default=False)
    annotation = Annotated[kind | None, option]  # type: ignore[valid-type]
    return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=annotation)


def serve(**flags: object) -> None:
    """Run the speech-to-text WebSocket service (needs the server extra)."""
    from dictate.config import ServerSettings

    settings = ServerSettings(**given(**flags))  # type: ignore[arg-type]
    try:
        from dictate.server.edge.run import run_server
    except ImportError as exc:
        from dictate.errors import ServerDependencyError

        raise ServerDependencyError(
            f"`dictate serve` needs the server extra ({exc.name} is missing): "
            "pip install 'dictate-stt[server]' && pip install --no-deps RealtimeSTT==1.1.2"
        ) from exc
    run_server(settings)


_PARAMETERS = [_parameter(name, field) for name, field in operator_settings().items()]
serve.__signature__ = inspect.Signature(_PARAMETERS, return_annotation=None)  # type: ignore[attr-defined]
serve.__annotations__ = {parameter.name: parameter.annotation for parameter in _PARAMETERS} | {"return": None}

__all__ = ["EPILOG", "serve"]
