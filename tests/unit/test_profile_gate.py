"""The dashboard's profile gate: each final waits for a look at the focused app (a fake probe here; the real
ones are in test_focus.py and tests/tui/test_ctl_profiles_x11.py), events keep their order, finals are shaped."""

from __future__ import annotations

import asyncio
import threading

from dictate.client.events import Level, StreamEvent
from dictate.config import ClientSettings, Profile, TypingMode
from dictate.profiles import AppTyping, FocusedApp
from dictate.protocol import FinalMessage, InterimMessage
from dictate.transcript import Transcript
from dictate.tui.profile_gate import ProfileGate


def final(utterance: int, text: str) -> FinalMessage:
    return FinalMessage(utterance, text, None, None, 0.0, 1.0, 0.1)


def interim(utterance: int, text: str) -> InterimMessage:
    return InterimMessage(utterance, text, None, 0.0)


class SlowProbe:
    """Answers with ``app`` once ``release`` is set (a look that takes a while), counting its looks; ``looking``
    is set once a look has begun."""

    name = "fake"

    def __init__(self, app: FocusedApp | None) -> None:
        self.app = app
        self.release = threading.Event()
        self.release.set()
        self.looking = threading.Event()
        self.looks = 0

    def focused(self) -> FocusedApp | None:
        self.looks += 1
        self.looking.set()
        assert self.release.wait(10)
        return self.app


SETTINGS = ClientSettings(
    profiles={"chat": Profile(match=["slack"], first_capital=False, final_full_stop=False, type_mode=TypingMode.PASTE)}
)


def gate_with(
    probe: SlowProbe | None, settings: ClientSettings = SETTINGS
) -> tuple[ProfileGate, list[StreamEvent], list[tuple[AppTyping, bool]]]:
    delivered: list[StreamEvent] = []
    heard: list[tuple[AppTyping, bool]] = []
    gate = ProfileGate(settings, probe, delivered.append, lambda typing, moved: heard.append((typing, moved)))
    return gate, delivered, heard


def test_events_after_a_final_wait_behind_its_look_and_keep_their_order() -> None:
    probe = SlowProbe(FocusedApp(("slack", "Slack")))
    probe.release.clear()
    gate, delivered, heard = gate_with(probe)

    async def scenario() -> None:
        gate.feed(interim(1, "Hello"))  # no final waiting: straight through
        assert len(delivered) == 1
        gate.feed(final(1, "Hello there."))
        gate.feed(Level(-20.0))
        gate.feed(interim(2, "Next one"))
        assert await asyncio.to_thread(probe.looking.wait, 10)  # the look runs (and waits for release)
        assert len(delivered) == 1, "nothing overtakes the final while its look runs"
        probe.release.set()
        await gate.idle()

    asyncio.run(scenario())
    kinds = [type(event).__name__ for event in delivered]
    assert kinds == ["InterimMessage", "FinalMessage", "Level", "InterimMessage"]
    assert isinstance(delivered[1], FinalMessage) and delivered[1].text == "hello there"
    assert isinstance(delivered[3], InterimMessage) and delivered[3].text == "next one"  # the profile in force
    assert heard[-1][0].profile == "chat" and heard[-1][0].mode is TypingMode.PASTE
    assert probe.looks == 1


def test_each_final_gets_its_own_look() -> None:
    probe = SlowProbe(FocusedApp(("slack",)))
    gate, delivered, heard = gate_with(probe)

    async def scenario() -> None:
        gate.feed(final(1, "One."))
        await gate.idle()
        probe.app = FocusedApp(("xterm", "XTerm"))
        gate.feed(final(2, "Two."))
        await gate.idle()

    asyncio.run(scenario())
    assert [event.text for event in delivered if isinstance(event, FinalMessage)] == ["one", "Two."]
    assert [(typing.profile, moved) for typing, moved in heard] == [("chat", False), (None, True)]


def test_without_profiles_nothing_waits_and_the_settings_shape_finals() -> None:
    probe = SlowProbe(FocusedApp(("slack",)))
    probe.release.clear()  # would hang if it were asked
    gate, delivered, _ = gate_with(probe, ClientSettings(final_full_stop=False))
    assert not gate.looks

    async def scenario() -> None:
        gate.feed(final(1, "Plain."))

    asyncio.run(scenario())
    assert isinstance(delivered[0], FinalMessage) and delivered[0].text == "Plain"
    assert probe.looks == 0


def test_close_drops_what_waits() -> None:
    probe = SlowProbe(None)
    probe.release.clear()
    gate, delivered, _ = gate_with(probe)

    async def scenario() -> None:
        gate.feed(final(1, "Late."))
        look = gate._task  # the gate's look task: waited for to its end below
        assert look is not None and await asyncio.to_thread(probe.looking.wait, 10)
        gate.close()
        probe.release.set()
        await asyncio.wait([look])  # done: whatever it would deliver is delivered by now

    asyncio.run(scenario())
    assert delivered == []


def test_a_new_target_starts_afresh_without_reaching_back() -> None:
    transcript = Transcript(commands=True)
    transcript.reset()
    assert transcript.on_final(final(1, "Hello there.")).text == "Hello there."
    transcript.new_target()  # the focus moved to another window
    plan = transcript.on_final(final(2, "Good morning."))
    assert (plan.backspaces, plan.text) == (0, "Good morning."), "no joining space in the new window"
    scratch = transcript.on_final(final(3, "Scratch that."))
    assert scratch.backspaces == len("Good morning.")
    nothing = transcript.on_final(final(4, "Scratch that."))
    assert nothing.backspaces == 0, "never into the other window"
