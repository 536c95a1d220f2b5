"""The KPI answer cache: one computation per key, and the previous snapshot's answer served
while the next one is computed."""

from __future__ import annotations

import threading

from finance_pack.api.kpi_cache import KpiCache


def test_callers_of_a_key_being_computed_get_the_previous_snapshots_answer_at_once() -> None:
    cache = KpiCache()
    cache.get_or_compute("old", lambda: b"[old]", question="june")
    started, finish = threading.Event(), threading.Event()

    def slow() -> bytes:
        started.set()
        finish.wait(30)
        return b"[new]"

    first: list[tuple[str, bytes]] = []
    computing = threading.Thread(
        target=lambda: first.append(cache.get_or_compute("new", slow, question="june"))
    )
    computing.start()
    started.wait(30)
    meanwhile: list[tuple[str, bytes]] = []
    asking = threading.Thread(
        target=lambda: meanwhile.append(cache.get_or_compute("new", slow, question="june"))
    )
    asking.start()
    asking.join(timeout=10)
    finish.set()
    asking.join()
    assert meanwhile == [("old", b"[old]")]
    computing.join()
    assert first == [("new", b"[new]")]
    assert cache.get_or_compute("new", slow, question="june") == ("new", b"[new]")


def test_a_key_is_computed_once_however_many_callers_ask_at_once() -> None:
    cache = KpiCache()
    calls: list[int] = []
    gate = threading.Event()

    def compute() -> bytes:
        calls.append(1)
        gate.wait(30)
        return b"[answer]"

    answers: list[tuple[str, bytes]] = []
    threads = [
        threading.Thread(target=lambda: answers.append(cache.get_or_compute("k", compute)))
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    gate.set()
    for thread in threads:
        thread.join()
    assert calls == [1]
    assert answers == [("k", b"[answer]")] * 8


def test_the_oldest_answers_are_dropped_beyond_capacity() -> None:
    cache = KpiCache(capacity=2)
    for key in ("a", "b", "c"):
        cache.get_or_compute(key, lambda: b"x")
    recomputed: list[str] = []

    def again() -> bytes:
        recomputed.append("a")
        return b"x"

    cache.get_or_compute("a", again)
    assert recomputed == ["a"]


def test_in_background_even_the_caller_that_starts_the_computation_gets_the_older_answer() -> None:
    cache = KpiCache()
    cache.get_or_compute("monday", lambda: b"[monday]", question="backtest")
    finish = threading.Event()

    def slow() -> bytes:
        finish.wait(30)
        return b"[tuesday]"

    # Were it computed while the caller waits, this would block until `finish` (never set
    # before the call returns) times out, and then answer Tuesday's.
    got = cache.get_or_compute("tuesday", slow, question="backtest", in_background=True)
    assert got == ("monday", b"[monday]")
    finish.set()
    cache.settle(30)
    assert cache.get_or_compute("tuesday", slow, question="backtest") == ("tuesday", b"[tuesday]")


def test_in_background_a_question_never_answered_is_computed_while_its_caller_waits() -> None:
    cache = KpiCache()
    got = cache.get_or_compute("k", lambda: b"[first]", question="q", in_background=True)
    assert got == ("k", b"[first]")


def test_a_failed_background_computation_is_not_kept_and_the_next_caller_computes_again() -> None:
    cache = KpiCache()
    cache.get_or_compute("monday", lambda: b"[monday]", question="backtest")

    def broken() -> bytes:
        raise RuntimeError("the cost store went away")

    got = cache.get_or_compute("tuesday", broken, question="backtest", in_background=True)
    assert got == ("monday", b"[monday]")
    cache.settle(30)
    again = cache.get_or_compute("tuesday", lambda: b"[tuesday]", question="backtest")
    assert again == ("tuesday", b"[tuesday]")
