"""Settings read from the environment in one place (config.py), not by the modules that use them."""

from __future__ import annotations

import pytest

from dictate.config import ClientSettings, ServerSettings
from dictate.errors import ConfigError


@pytest.mark.parametrize(("value", "offline"), [("1", True), ("true", True), ("0", False), ("", False)])
def test_hf_hub_offline_is_read_without_the_dictate_prefix(
    value: str, offline: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", value)
    assert ServerSettings().hf_hub_offline is offline


def test_hf_hub_offline_defaults_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    assert ServerSettings().hf_hub_offline is False


@pytest.mark.parametrize("settings", [ServerSettings, ClientSettings])
def test_an_empty_token_means_none_for_clients_and_is_an_error_for_the_server(
    settings: type[ServerSettings | ClientSettings], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DICTATE_TOKEN", "")
    if settings is ServerSettings:  # an unset variable expanded into --token must not turn auth off (issue 11)
        with pytest.raises(ConfigError, match="the token is empty"):
            settings()
        with pytest.raises(ConfigError, match="the token is empty"):
            settings(token="")  # type: ignore[arg-type]
    else:
        assert settings().token is None
        assert settings(token="").token is None  # type: ignore[arg-type]
    monkeypatch.setenv("DICTATE_TOKEN", "s3cret")
    token = settings().token
    assert token is not None and token.get_secret_value() == "s3cret"
