"""`dictate config path|show`: where the config file is, and the effective client settings. Light: typer only."""

from __future__ import annotations

import typer

from dictate.help_style import PlainHelpGroup

config_app = typer.Typer(
    cls=PlainHelpGroup,
    help="The config file (config.toml): `dictate config path`, `dictate config show`.",
    no_args_is_help=True,
)


@config_app.command("path")
def path_command() -> None:
    """Print where the config file is read from ($DICTATE_CONFIG, else the user config directory)."""
    from dictate.configfile import config_path

    typer.echo(str(config_path()))


@config_app.command("show")
def show_command() -> None:
    """Print the effective client settings as TOML (file < DICTATE_* environment), secrets masked."""
    from dictate.config import ClientSettings
    from dictate.configfile import config_path, effective_values, to_toml

    path = config_path()
    settings = ClientSettings()
    state = "" if path.is_file() else " (not found: defaults and DICTATE_* environment only)"
    typer.echo(f"# {path}{state}\n# a comment names where a value comes from when it is not the default\n")
    typer.echo(to_toml(effective_values(settings)), nl=False)
