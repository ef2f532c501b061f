"""Away detection, stepped with explicit times (no waiting)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from kimai_tray.core.away import AwayDetector, AwayPeriod, AwayReason

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
TICK = timedelta(seconds=30)


def _run(
    detector: AwayDetector, idle_by_tick: list[float], running: bool = True
) -> list[AwayPeriod]:
    found = []
    for i, idle in enumerate(idle_by_tick):
        period = detector.sample(T0 + i * TICK, idle, running)
        if period:
            found.append(period)
    return found


def test_idle_over_threshold_then_input_gives_one_period_with_exact_bounds() -> None:
    detector = AwayDetector(threshold=timedelta(minutes=5), tick=TICK)
    # Active for 2 ticks, then idle growing for 12 minutes, then input 10 s before tick 27.
    idle = [0.0, 0.0] + [30.0 * k for k in range(1, 25)] + [10.0, 40.0]
    periods = _run(detector, idle)
    assert len(periods) == 1
    assert periods[0].reason is AwayReason.IDLE
    assert periods[0].began == T0 + TICK  # last input: tick 1
    assert periods[0].returned == T0 + 26 * TICK - timedelta(seconds=10)


def test_idle_below_threshold_does_not_count() -> None:
    detector = AwayDetector(threshold=timedelta(minutes=5), tick=TICK)
    assert _run(detector, [0, 60, 120, 180, 240, 0, 30]) == []


def test_idle_while_not_running_is_ignored() -> None:
    detector = AwayDetector(threshold=timedelta(minutes=5), tick=TICK)
    assert _run(detector, [0, 400, 500, 0], running=False) == []


def test_clock_jump_means_sleep() -> None:
    detector = AwayDetector(threshold=timedelta(minutes=5), tick=TICK)
    assert detector.sample(T0, 0.0, True) is None
    wake = T0 + timedelta(hours=2)
    period = detector.sample(wake, 0.0, True)
    assert period == AwayPeriod(T0, wake, AwayReason.SLEEP)
    # A late tick below the threshold is not an away period.
    assert detector.sample(wake + timedelta(minutes=3), 0.0, True) is None


def test_short_lock_does_not_count_long_lock_does() -> None:
    detector = AwayDetector(threshold=timedelta(minutes=5), tick=TICK)
    detector.locked(T0)
    assert detector.unlocked(T0 + timedelta(minutes=4), running=True) is None
    detector.locked(T0 + timedelta(minutes=10))
    period = detector.unlocked(T0 + timedelta(minutes=40), running=True)
    assert period == AwayPeriod(
        T0 + timedelta(minutes=10), T0 + timedelta(minutes=40), AwayReason.LOCK
    )
    assert period.duration == timedelta(minutes=30)
