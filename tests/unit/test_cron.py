"""Cron expressions mean what crontab means, whatever APScheduler 3 counts weekdays from."""

from datetime import UTC, datetime

import pytest

from gateway.config.cron import cron_trigger


def fires(expression: str, after: datetime, count: int, zone: str = "UTC") -> list[datetime]:
    trigger = cron_trigger(expression, zone)
    found: list[datetime] = []
    previous = None
    now = after
    while len(found) < count:
        fire = trigger.get_next_fire_time(previous, now)
        found.append(fire)
        previous, now = fire, fire
    return found


# 2026-11-21 is a Saturday
SATURDAY_NOON = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


def test_one_to_five_is_monday_to_friday() -> None:
    days = [f.strftime("%a") for f in fires("30 6 * * 1-5", SATURDAY_NOON, 6, "Europe/Berlin")]
    assert days == ["Mon", "Tue", "Wed", "Thu", "Fri", "Mon"]


@pytest.mark.parametrize(
    ("weekday", "names"),
    [
        ("0", ["Sun"]),
        ("7", ["Sun"]),
        ("5-7", ["Fri", "Sat", "Sun"]),
        ("0,6", ["Sat", "Sun"]),
        ("sun-tue", ["Sun", "Mon", "Tue"]),
        ("*/2", ["Sun", "Tue", "Thu", "Sat"]),
    ],
)
def test_weekday_fields_follow_crontab(weekday: str, names: list[str]) -> None:
    found = {f.strftime("%a") for f in fires(f"0 9 * * {weekday}", SATURDAY_NOON, 14)}
    assert found == set(names)


def test_a_local_time_stays_local_across_daylight_saving() -> None:
    # summer time ends on 25 October 2026
    before, after = fires("30 6 * * *", datetime(2026, 10, 23, 12, tzinfo=UTC), 2, "Europe/Berlin")
    assert (before.hour, after.hour) == (6, 6)
    assert before.utcoffset() != after.utcoffset()


def test_six_fields_put_seconds_first() -> None:
    found = fires("*/15 * * * * *", SATURDAY_NOON, 4)
    assert [f.second for f in found] == [0, 15, 30, 45]


@pytest.mark.parametrize(
    ("expression", "reason"),
    [
        ("* * * *", "expected 5 fields"),
        ("0 9 * * 8", "weekday '8'"),
        ("0 9 * * 5-2", "runs backwards"),
        ("0 25 * * *", "hour field '25'"),
    ],
)
def test_bad_expressions_say_why(expression: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        cron_trigger(expression, "UTC")
