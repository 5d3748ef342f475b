"""Cron expressions as the configuration writes them, turned into APScheduler triggers.

Five fields are the classic crontab (`minute hour day month weekday`); six fields put the
seconds first (`second minute hour day month weekday`), for jobs that run more often than once
a minute (relaying the outbox, say).

Weekdays follow crontab, not APScheduler 3: in crontab 0 and 7 are Sunday and 1 is Monday,
while APScheduler 3's CronTrigger counts 0 as Monday (its documented "historical mistake",
agronholm/apscheduler#286), so that `30 6 * * 1-5` would run Tuesday to Saturday. Weekday
numbers are therefore rewritten as names, which mean the same in both.
"""

from __future__ import annotations

from apscheduler.triggers.cron import CronTrigger

__all__ = ["cron_trigger"]

_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


def _weekday(token: str) -> int:
    token = token.strip().lower()
    if token in _NAMES:
        return _NAMES.index(token)
    if token.isdigit() and 0 <= int(token) <= 7:
        return int(token) % 7
    raise ValueError(f"weekday {token!r} is not 0-7 or sun..sat")


def _weekdays(field: str) -> str:
    """A crontab weekday field as APScheduler weekday names."""
    if field == "*":
        return "*"
    days: set[int] = set()
    for part in field.split(","):
        span, _, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        if step_text and (not step_text.isdigit() or step < 1):
            raise ValueError(f"weekday step {step_text!r} is not a positive number")
        if span == "*":
            first, last = 0, 6
        elif "-" in span:
            low, high = span.split("-", 1)
            first, last = _weekday(low), _weekday(high)
            if high.strip() == "7":
                last = 7  # 5-7 is Friday to Sunday
            if first > last:
                raise ValueError(f"weekday range {span!r} runs backwards")
        else:
            first = last = _weekday(span)
        days.update(day % 7 for day in range(first, last + 1, step))
    return ",".join(_NAMES[day] for day in sorted(days))


def cron_trigger(expression: str, timezone: str) -> CronTrigger:
    """The trigger for a five- or six-field cron expression in an IANA time zone.

    Raises:
        ValueError: the expression is not valid, saying why.
    """
    fields = expression.split()
    if len(fields) == 5:
        second, (minute, hour, day, month, weekday) = "0", fields
    elif len(fields) == 6:
        second, minute, hour, day, month, weekday = fields
    else:
        raise ValueError(f"expected 5 fields (or 6 with seconds first), got {len(fields)}")
    try:
        days = _weekdays(weekday)
    except ValueError as exc:
        raise ValueError(f"weekday field {weekday!r}: {exc}") from None
    others = {"second": second, "minute": minute, "hour": hour, "day": day, "month": month}
    for name, value in others.items():
        try:
            CronTrigger(**{name: value}, timezone="UTC")
        except ValueError as exc:
            raise ValueError(f"{name} field {value!r}: {exc}") from None
    return CronTrigger(**others, day_of_week=days, timezone=timezone)
