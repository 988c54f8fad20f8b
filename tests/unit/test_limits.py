"""Per-session limits and the protocol's answers to hostile input: pure, no sockets."""

from __future__ import annotations

import json

import pytest

from dictate.audio import padding_to_whole_chunk
from dictate.client.session import error_for_close
from dictate.errors import SessionExpiredError
from dictate.protocol import CloseCode, ErrorCode, ProtocolError, decode_client_control
from dictate.server.edge.limits import ErrorBudget, should_expire


def test_deeply_nested_json_is_a_bad_control_not_a_recursion_error() -> None:
    text = "[" * 100_000 + "]" * 100_000
    with pytest.raises(ProtocolError) as caught:
        decode_client_control(text[:4000])  # under the size limit: 2000 levels
    assert caught.value.code == ErrorCode.BAD_CONTROL
    nested = '{"a":' * 999 + "1" + "}" * 999
    with pytest.raises(ProtocolError) as caught:
        decode_client_control(nested)
    assert caught.value.code == ErrorCode.BAD_CONTROL


@pytest.mark.parametrize(("fed", "pad"), [(0, 0), (1024, 0), (710, 314), (2, 1022), (1024 * 7 + 710, 314)])
def test_padding_completes_the_last_512_sample_chunk(fed: int, pad: int) -> None:
    padding = padding_to_whole_chunk(fed, 512)
    assert len(padding) == pad and padding == bytes(pad)
    assert (fed + len(padding)) % 1024 == 0


def test_error_budget_logs_a_few_then_summarises_then_closes() -> None:
    budget = ErrorBudget(max_errors=10, window=10.0, logged_per_window=3)
    verdicts = [budget.record(0.1 * i) for i in range(10)]
    assert [v.log for v in verdicts] == [True] * 3 + [False] * 6 + [True]
    assert verdicts[-1].suppressed == 6 and verdicts[-1].close
    assert not any(v.close for v in verdicts[:-1])


def test_error_budget_forgets_old_errors() -> None:
    budget = ErrorBudget(max_errors=3, window=1.0)
    assert not budget.record(0.0).close and not budget.record(0.5).close
    assert not budget.record(1.2).close  # the first has left the window
    assert budget.record(1.3).close


def test_a_session_expires_at_a_pause_or_after_the_grace() -> None:
    assert not should_expire(9.9, 10.0, in_utterance=False)
    assert should_expire(10.0, 10.0, in_utterance=False)
    assert not should_expire(12.0, 10.0, in_utterance=True, grace=5.0)  # someone is speaking: wait
    assert should_expire(15.0, 10.0, in_utterance=True, grace=5.0)


def test_clients_understand_the_expiry_close() -> None:
    error = error_for_close(int(CloseCode.SESSION_EXPIRED), "session expired")
    assert isinstance(error, SessionExpiredError)
    assert json.loads(json.dumps({"code": ErrorCode.SESSION_EXPIRED}))["code"] == "session_expired"
