"""The focused-application probes, fed recorded outputs of xprop/xdotool, swaymsg, hyprctl and lsappinfo."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from dictate.profiles import FocusedApp
from dictate.tui.focus import (
    HyprlandProbe,
    MacProbe,
    SwayProbe,
    X11Probe,
    choose_probe,
    parse_active_window,
    parse_sway_tree,
    parse_wm_class,
)

# Recorded under Xvfb (no window manager) and on an EWMH desktop; the Tk window was made with className='ChatApp'.
XPROP_NO_ACTIVE = "_NET_ACTIVE_WINDOW:  no such atom on any window.\n"
XPROP_ACTIVE = "_NET_ACTIVE_WINDOW: window id # 0x3c00007\n"
XPROP_NOTHING_ACTIVE = "_NET_ACTIVE_WINDOW: window id # 0x0\n"
XPROP_CLASS = 'WM_CLASS = "chatApp", "Chatapp"\n'
XPROP_NO_CLASS = "WM_CLASS:  not found.\n"

SWAY_TREE = {
    "id": 1,
    "type": "root",
    "focused": False,
    "nodes": [
        {"id": 2147483647, "type": "output", "name": "__i3", "focused": False, "nodes": [], "floating_nodes": []},
        {
            "id": 3,
            "type": "output",
            "name": "HEADLESS-1",
            "focused": False,
            "nodes": [
                {
                    "id": 4,
                    "type": "workspace",
                    "name": "1",
                    "focused": False,
                    "nodes": [
                        {"id": 5, "type": "con", "focused": False, "app_id": "foot", "nodes": [], "floating_nodes": []},
                        {
                            "id": 6,
                            "type": "con",
                            "focused": True,
                            "app_id": None,
                            "window_properties": {"class": "Firefox", "instance": "Navigator", "title": "x"},
                            "nodes": [],
                            "floating_nodes": [],
                        },
                    ],
                    "floating_nodes": [
                        {"id": 7, "type": "floating_con", "focused": False, "app_id": "pavucontrol", "nodes": []}
                    ],
                }
            ],
            "floating_nodes": [],
        },
    ],
    "floating_nodes": [],
}


class Recorded:
    """A runner that answers each command with its recorded output (a missing one fails as the tool would)."""

    def __init__(self, outputs: dict[str, str]) -> None:
        self.outputs = outputs
        self.commands: list[str] = []

    def __call__(self, command: list[str]) -> str:
        line = " ".join(command)
        self.commands.append(line)
        if line not in self.outputs:
            raise subprocess.CalledProcessError(1, command)
        return self.outputs[line]


def test_xprop_outputs_are_read() -> None:
    assert parse_active_window(XPROP_ACTIVE) == 0x3C00007
    assert parse_active_window(XPROP_NO_ACTIVE) is None
    assert parse_active_window(XPROP_NOTHING_ACTIVE) is None
    assert parse_wm_class(XPROP_CLASS) == ("chatApp", "Chatapp")
    assert parse_wm_class('WM_CLASS(STRING) = "xterm", "XTerm"') == ("xterm", "XTerm")
    assert parse_wm_class(XPROP_NO_CLASS) == ()


def test_x11_probe_uses_the_active_window_of_an_ewmh_window_manager() -> None:
    run = Recorded(
        {
            "xprop -root -notype _NET_ACTIVE_WINDOW": XPROP_ACTIVE,
            f"xprop -id {0x3C00007} -notype WM_CLASS": 'WM_CLASS = "kitty", "kitty"\n',
        }
    )
    assert X11Probe(run).focused() == FocusedApp(("kitty", "kitty"))


def test_x11_probe_falls_back_to_the_input_focus_without_a_window_manager() -> None:
    run = Recorded(
        {
            "xprop -root -notype _NET_ACTIVE_WINDOW": XPROP_NO_ACTIVE,
            "xdotool getwindowfocus": "2097168\n",
            "xprop -id 2097168 -notype WM_CLASS": XPROP_CLASS,
        }
    )
    assert X11Probe(run).focused() == FocusedApp(("chatApp", "Chatapp"))


@pytest.mark.parametrize(
    "outputs",
    [
        {},  # xprop missing or failing
        {"xprop -root -notype _NET_ACTIVE_WINDOW": XPROP_NO_ACTIVE, "xdotool getwindowfocus": "1\n"},  # PointerRoot
        {
            "xprop -root -notype _NET_ACTIVE_WINDOW": XPROP_ACTIVE,
            f"xprop -id {0x3C00007} -notype WM_CLASS": XPROP_NO_CLASS,
        },
    ],
)
def test_x11_probe_says_none_when_it_cannot_tell(outputs: dict[str, str]) -> None:
    assert X11Probe(Recorded(outputs)).focused() is None


RECORDED = Path(__file__).with_name("recorded")


def test_sway_probe_reads_a_recorded_tree() -> None:
    # swaymsg -t get_tree --raw of sway 1.7 (headless, WLR_BACKENDS=headless) with one foot window focused,
    # started as `foot --app-id ctl-foot-test`
    output = (RECORDED / "sway-get-tree-foot.json").read_text(encoding="utf-8")
    assert SwayProbe(Recorded({"swaymsg -t get_tree --raw": output})).focused() == FocusedApp(("ctl-foot-test",))


def test_sway_probe_finds_the_focused_window_and_reads_xwayland_classes() -> None:
    assert parse_sway_tree(json.dumps(SWAY_TREE)) == ("Navigator", "Firefox")
    tree = json.loads(json.dumps(SWAY_TREE))
    workspace = tree["nodes"][1]["nodes"][0]
    workspace["nodes"][1]["focused"] = False
    workspace["floating_nodes"][0]["focused"] = True
    run = Recorded({"swaymsg -t get_tree --raw": json.dumps(tree)})
    assert SwayProbe(run).focused() == FocusedApp(("pavucontrol",))
    workspace["floating_nodes"][0]["focused"] = False
    workspace["focused"] = True  # an empty workspace has the focus: no application
    assert SwayProbe(Recorded({"swaymsg -t get_tree --raw": json.dumps(tree)})).focused() is None
    assert SwayProbe(Recorded({"swaymsg -t get_tree --raw": "not json"})).focused() is None


def test_hyprland_probe_reads_the_active_window_class() -> None:
    output = json.dumps({"address": "0x55d1", "class": "org.telegram.desktop", "initialClass": "org.telegram.desktop"})
    assert HyprlandProbe(Recorded({"hyprctl activewindow -j": output})).focused() == FocusedApp(
        ("org.telegram.desktop",)
    )
    assert HyprlandProbe(Recorded({"hyprctl activewindow -j": "{}"})).focused() is None


def test_mac_probe_reads_the_frontmost_bundle_id() -> None:
    run = Recorded(
        {
            "lsappinfo front": "ASN:0x0-0x1d01d:\n",
            "lsappinfo info -only bundleid ASN:0x0-0x1d01d:": '"CFBundleIdentifier"="com.apple.Terminal"\n',
        }
    )
    assert MacProbe(run).focused() == FocusedApp(("com.apple.Terminal",))
    script = "osascript -e id of application (path to frontmost application as text)"
    assert MacProbe(Recorded({script: "com.tinyspeck.slackmacgap\n"})).focused() == FocusedApp(
        ("com.tinyspeck.slackmacgap",)
    )
    assert MacProbe(Recorded({})).focused() is None


def test_the_probe_is_chosen_from_the_session() -> None:
    def which(tool: str) -> str | None:
        return f"/usr/bin/{tool}"

    assert isinstance(choose_probe({}, "darwin", which), MacProbe)
    sway = {"SWAYSOCK": "/run/user/1000/sway-ipc.sock", "WAYLAND_DISPLAY": "wayland-1", "DISPLAY": ":0"}
    assert isinstance(choose_probe(sway, "linux", which), SwayProbe)
    assert isinstance(choose_probe({"HYPRLAND_INSTANCE_SIGNATURE": "abc"}, "linux", which), HyprlandProbe)
    assert isinstance(choose_probe({"DISPLAY": ":0"}, "linux", which), X11Probe)
    assert "x11-utils" in str(choose_probe({"DISPLAY": ":0"}, "linux", lambda tool: None))
    assert "Wayland" in str(choose_probe({"WAYLAND_DISPLAY": "wayland-0"}, "linux", which))
