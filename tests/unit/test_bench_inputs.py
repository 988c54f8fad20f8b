"""Bench inputs: manifests, lone files and their references."""

from __future__ import annotations

from pathlib import Path

import pytest

from dictate.bench.inputs import collect_clips, padded, read_manifest, reference_for
from dictate.config import ClientSettings
from dictate.errors import ConfigError

HEADER = "file\tduration_s\ttranscript\tnotes\n"


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_manifest_skips_derived_rows_unless_asked(tmp_path: Path) -> None:
    manifest = write(
        tmp_path / "manifest.tsv",
        HEADER + "a.wav\t1.0\tten of clubs\t\nlong.wav\t50\ta b c\tDERIVED long passage\n",
    )
    clips = read_manifest(manifest)
    assert [(c.name, c.reference, c.path) for c in clips] == [("a.wav", "ten of clubs", tmp_path / "a.wav")]
    assert [c.derived for c in read_manifest(manifest, include_derived=True)] == [False, True]


def test_manifest_needs_its_columns(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="transcript"):
        read_manifest(write(tmp_path / "bad.tsv", "path\ttext\nx.wav\thi\n"))
    with pytest.raises(ConfigError, match="cannot read"):
        read_manifest(tmp_path / "missing.tsv")


def test_lone_file_reference(tmp_path: Path) -> None:
    audio = write(tmp_path / "a.wav", "")
    assert reference_for(audio) == ""
    write(tmp_path / "a.txt", "hello there\n")
    assert reference_for(audio) == "hello there"
    write(tmp_path / "manifest.tsv", HEADER + "a.wav\t1\tfrom the manifest\t\n")
    assert reference_for(audio) == "from the manifest"


def test_collect_clips(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    manifest = write(tmp_path / "m.tsv", HEADER + "a.wav\t1\tx\t\nb.wav\t1\ty\t\n")
    lone = write(tmp_path / "c.wav", "")
    assert [c.name for c in collect_clips([manifest, lone])] == ["a.wav", "b.wav", "c.wav"]
    with pytest.raises(ConfigError, match="no such file"):
        collect_clips([tmp_path / "nope.wav"])
    assert [c.name for c in collect_clips([], manifest=manifest)] == ["a.wav", "b.wav"]
    monkeypatch.setenv("DICTATE_BENCH_MANIFEST", str(manifest))
    assert ClientSettings().bench_manifest == manifest  # the bench command passes it as ``manifest``


def test_default_manifest_is_the_shared_one(clips: dict[str, object], monkeypatch: pytest.MonkeyPatch) -> None:
    repo = Path(__file__).resolve().parents[2]
    monkeypatch.chdir(repo)
    names = [c.name for c in collect_clips([])]
    assert "ps_cards_001.wav" in names
    assert not any("concat" in name for name in names)  # the derived 52 s passage is left out


def test_padding() -> None:
    assert padded(b"\x01\x00", 0.001, 0.002) == bytes(32) + b"\x01\x00" + bytes(64)


def test_clock_sharing_is_judged_from_the_server_url() -> None:
    from dictate.bench.run import shares_our_clock

    assert shares_our_clock({"url": "ws://10.0.0.5:8000/stream", "embedded": True})
    assert shares_our_clock({"url": "ws://127.0.0.1:8000/stream"})
    assert shares_our_clock({"url": "ws://localhost:8000/stream"})
    assert not shares_our_clock({"url": "wss://gpu.example.com/stream"})
