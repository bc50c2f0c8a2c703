"""Schedule forms, time zones and DST, with fixed instants (no clock, no sleeping)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest

from bot.schedules import (
    ScheduleTrigger,
    cron_day_of_week,
    parse_schedule,
    slot_key,
)
from digests.errors import UsageError


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, sec: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, sec, tzinfo=UTC)


def slots(text: str, tz: str, start: datetime, n: int) -> list[datetime]:
    schedule = parse_schedule(text, tz)
    out, t = [], start
    for _ in range(n):
        t = schedule.next_slot(t)
        out.append(t)
    return out


# --- forms ----------------------------------------------------------------------------------


def test_daily_in_utc() -> None:
    assert slots("daily 08:00", "UTC", utc(2024, 5, 1, 8), 2) == [
        utc(2024, 5, 2, 8), utc(2024, 5, 3, 8)
    ]


def test_weekdays_skip_the_weekend() -> None:
    # 2024-05-03 is a Friday.
    got = slots("weekdays 09:30", "UTC", utc(2024, 5, 3, 10), 2)
    assert got == [utc(2024, 5, 6, 9, 30), utc(2024, 5, 7, 9, 30)]
    assert {d.weekday() for d in slots("weekdays 09:30", "UTC", utc(2024, 5, 1), 20)} == {
        0, 1, 2, 3, 4
    }


def test_weekends_only_saturday_and_sunday() -> None:
    got = slots("weekends 10:00", "UTC", utc(2024, 5, 1), 4)
    assert [d.weekday() for d in got] == [5, 6, 5, 6]
    assert all((d.hour, d.minute) == (10, 0) for d in got)


@pytest.mark.parametrize(
    ("text", "weekdays"),
    [
        ("mon,wed,fri 07:45", [0, 2, 4]),
        ("monday 08:00", [0]),
        ("Sunday 08:00", [6]),
        ("tue,thursday 08:00", [1, 3]),
    ],
)
def test_named_days(text: str, weekdays: list[int]) -> None:
    got = slots(text, "UTC", utc(2024, 5, 1), 3 * len(weekdays))
    assert sorted({d.weekday() for d in got}) == weekdays


def test_every_interval_is_anchored_at_local_midnight() -> None:
    # Anchored at midnight, not at "now": any start time yields the same grid.
    assert slots("every 6h", "UTC", utc(2024, 5, 1, 1, 17), 3) == [
        utc(2024, 5, 1, 6), utc(2024, 5, 1, 12), utc(2024, 5, 1, 18)
    ]
    # In New York (UTC-4 in May) the grid is local midnight, 06:00, ...
    assert slots("every 6h", "America/New_York", utc(2024, 5, 1, 0), 2) == [
        utc(2024, 5, 1, 4), utc(2024, 5, 1, 10)
    ]
    assert slots("every 30m", "UTC", utc(2024, 5, 1, 0, 10), 2) == [
        utc(2024, 5, 1, 0, 30), utc(2024, 5, 1, 1, 0)
    ]


def test_every_interval_that_does_not_divide_a_day_restarts_at_midnight() -> None:
    got = slots("every 5h", "UTC", utc(2024, 5, 1, 19), 3)
    assert got == [utc(2024, 5, 1, 20), utc(2024, 5, 2, 0), utc(2024, 5, 2, 5)]
    assert slots("every 1h30m", "UTC", utc(2024, 5, 1, 0), 2) == [
        utc(2024, 5, 1, 1, 30), utc(2024, 5, 1, 3)
    ]


def test_hourly() -> None:
    assert slots("hourly", "Asia/Kolkata", utc(2024, 5, 1, 0, 0), 2) == [
        utc(2024, 5, 1, 0, 30), utc(2024, 5, 1, 1, 30)  # UTC+05:30: local top of the hour
    ]


def test_cron_expression_with_names() -> None:
    got = slots("0 8 * * mon-fri", "UTC", utc(2024, 5, 3, 9), 2)
    assert got == [utc(2024, 5, 6, 8), utc(2024, 5, 7, 8)]


def test_cron_steps_and_months() -> None:
    assert slots("*/15 9 1 jan,jul *", "UTC", utc(2024, 5, 1), 2) == [
        utc(2024, 7, 1, 9, 0), utc(2024, 7, 1, 9, 15)
    ]


# --- cron day-of-week: numbers count from Sunday ----------------------------------------------


@pytest.mark.parametrize(
    ("field", "names"),
    [
        ("0", "sun"),
        ("7", "sun"),
        ("1", "mon"),
        ("6", "sat"),
        ("1-5", "mon,tue,wed,thu,fri"),
        ("0,6", "sat,sun"),
        ("5-7", "fri,sat,sun"),
        ("*/2", "tue,thu,sat,sun"),  # cron: 0,2,4,6 = Sun, Tue, Thu, Sat
        ("0-7", "*"),
        ("*", "*"),
        ("mon-fri", "mon,tue,wed,thu,fri"),
        ("fri-sun", "fri,sat,sun"),
    ],
)
def test_cron_day_of_week_numbers_are_cron_numbers(field: str, names: str) -> None:
    assert cron_day_of_week(field) == names


@pytest.mark.parametrize("dow", ["0", "7", "sun"])
def test_cron_sunday_fires_on_sunday(dow: str) -> None:
    got = slots(f"0 8 * * {dow}", "UTC", utc(2024, 5, 1), 3)
    assert [d.weekday() for d in got] == [6, 6, 6]  # Python: 6 is Sunday


# --- time zones and DST -----------------------------------------------------------------------


def test_berlin_daily_0800_follows_summer_and_winter_time() -> None:
    summer = parse_schedule("daily 08:00", "Europe/Berlin").next_slot(utc(2024, 7, 1))
    winter = parse_schedule("daily 08:00", "Europe/Berlin").next_slot(utc(2024, 1, 10))
    assert summer == utc(2024, 7, 1, 6)  # CEST, UTC+2
    assert winter == utc(2024, 1, 10, 7)  # CET, UTC+1


@pytest.mark.parametrize(
    ("tz", "day", "summer_utc_hour", "winter_utc_hour", "spring"),
    [
        # 2024: Berlin springs forward 31 Mar, falls back 27 Oct; New York 10 Mar / 3 Nov.
        ("Europe/Berlin", 31, 6, 7, True),
        ("Europe/Berlin", 27, 6, 7, False),
        ("America/New_York", 10, 12, 13, True),
        ("America/New_York", 3, 12, 13, False),
    ],
)
def test_day_of_the_change_has_exactly_one_daily_slot(
    tz: str, day: int, summer_utc_hour: int, winter_utc_hour: int, spring: bool
) -> None:
    month = (3 if spring else 10) if tz == "Europe/Berlin" else (3 if spring else 11)
    schedule = parse_schedule("daily 08:00", tz)
    start = utc(2024, month, day) - timedelta(days=1)
    got = [s for s in slots("daily 08:00", tz, start, 4) if s.day == day and s.month == month]
    assert len(got) == 1
    expected_hour = summer_utc_hour if spring else winter_utc_hour
    assert got[0] == utc(2024, month, day, expected_hour)
    assert schedule.latest_slot(utc(2024, month, day, 23)) == got[0]


def test_nonexistent_local_time_fires_once_at_the_jump() -> None:
    # 2024-03-31 Berlin: 02:00 CET jumps to 03:00 CEST at 01:00 UTC; 02:30 does not exist.
    got = slots("daily 02:30", "Europe/Berlin", utc(2024, 3, 30, 2), 3)
    assert got == [utc(2024, 3, 31, 1, 0), utc(2024, 4, 1, 0, 30), utc(2024, 4, 2, 0, 30)]


def test_repeated_local_time_fires_once() -> None:
    # 2024-10-27 Berlin: 02:30 happens at 00:30 UTC (CEST) and again at 01:30 UTC (CET).
    got = slots("daily 02:30", "Europe/Berlin", utc(2024, 10, 26, 2), 3)
    assert got == [utc(2024, 10, 27, 0, 30), utc(2024, 10, 28, 1, 30), utc(2024, 10, 29, 1, 30)]


def test_sub_hourly_schedule_is_strictly_increasing_across_both_changes() -> None:
    for start in (utc(2024, 3, 30, 20), utc(2024, 10, 26, 20)):
        got = slots("every 30m", "Europe/Berlin", start, 24)
        assert all(b > a for a, b in pairwise(got))
        assert len(set(got)) == len(got)


def test_new_york_weekdays_slot_moves_with_dst() -> None:
    # Fri 1 Nov 2024 09:30 EDT = 13:30 UTC; Mon 4 Nov 09:30 EST = 14:30 UTC.
    got = slots("weekdays 09:30", "America/New_York", utc(2024, 11, 1, 12), 2)
    assert got == [utc(2024, 11, 1, 13, 30), utc(2024, 11, 4, 14, 30)]


# --- latest_slot, slot keys and windows -----------------------------------------------------------


def test_latest_slot_is_the_most_recent_at_or_before_now() -> None:
    schedule = parse_schedule("hourly", "UTC")
    assert schedule.latest_slot(utc(2024, 5, 1, 10, 59)) == utc(2024, 5, 1, 10)
    assert schedule.latest_slot(utc(2024, 5, 1, 10, 0)) == utc(2024, 5, 1, 10)
    weekly = parse_schedule("monday 08:00", "Europe/Berlin")
    assert weekly.latest_slot(utc(2024, 5, 5, 12)) == utc(2024, 4, 29, 6)
    leap = parse_schedule("0 0 29 2 *", "UTC")
    assert leap.latest_slot(utc(2027, 1, 1)) == utc(2024, 2, 29)


def test_latest_slot_in_the_repeated_hour() -> None:
    # 01:10 UTC on 27 Oct is 02:10 CET, the second pass; the 02:00 wall slot was at 00:00 UTC.
    schedule = parse_schedule("every 30m", "Europe/Berlin")
    assert schedule.latest_slot(utc(2024, 10, 27, 1, 10)) == utc(2024, 10, 27, 0, 30)
    assert schedule.next_slot(utc(2024, 10, 27, 1, 10)) == utc(2024, 10, 27, 2, 0)


def test_slot_key_is_iso_utc() -> None:
    schedule = parse_schedule("daily 08:00", "Europe/Berlin")
    slot = schedule.next_slot(utc(2024, 7, 1))
    assert schedule.slot_key(slot) == "2024-07-01T06:00:00Z"
    assert slot_key(slot.astimezone(schedule.zone)) == "2024-07-01T06:00:00Z"


def test_window_since_is_previous_slot_capped() -> None:
    weekdays = parse_schedule("weekdays 08:00", "UTC")
    monday = utc(2024, 5, 6, 8)
    assert weekdays.window_since(monday) == utc(2024, 5, 3, 8)  # Friday's slot
    assert weekdays.window_since(monday, cap=timedelta(hours=24)) == utc(2024, 5, 5, 8)
    hourly = parse_schedule("hourly", "UTC")
    assert hourly.window_since(utc(2024, 5, 6, 8), cap=timedelta(hours=24)) == utc(2024, 5, 6, 7)


def test_trigger_fires_at_the_schedule_slots() -> None:
    schedule = parse_schedule("daily 02:30", "Europe/Berlin")
    trigger = schedule.trigger()
    assert isinstance(trigger, ScheduleTrigger)
    first = trigger.get_next_fire_time(None, utc(2024, 10, 26, 12))
    assert first == utc(2024, 10, 27, 0, 30)
    assert trigger.get_next_fire_time(first, first) == utc(2024, 10, 28, 1, 30)
    # "now" exactly on a slot fires at it (APScheduler asks for the first time >= now).
    assert trigger.get_next_fire_time(None, utc(2024, 10, 28, 1, 30)) == utc(2024, 10, 28, 1, 30)


# --- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty schedule"),
        ("sometimes", "bad schedule"),
        ("daily", "bad schedule"),
        ("daily 25:00", "HH:MM"),
        ("daily 8am", "HH:MM"),
        ("funday 08:00", "unknown day"),
        ("every", "bad schedule"),
        ("every 2d", "at most 24h"),
        ("every soon", "duration"),
        ("every 0m", "duration"),
        ("61 * * * *", "bad schedule"),
        ("0 8 * * 8", "day-of-week"),
        ("0 8 * * 5-1", "backwards"),
        ("0 8 1 * mon", "not both"),
        ("0 0 30 2 *", "never fires"),
        ("0 8 * *", "bad schedule"),
    ],
)
def test_bad_schedule_is_one_line_usage_error(text: str, reason: str) -> None:
    with pytest.raises(UsageError) as info:
        parse_schedule(text, "UTC")
    message = str(info.value)
    assert reason in message
    assert "\n" not in message


def test_unknown_time_zone() -> None:
    with pytest.raises(UsageError, match="unknown time zone 'Mars/Olympus'"):
        parse_schedule("daily 08:00", "Mars/Olympus")


def test_naive_datetime_is_refused() -> None:
    with pytest.raises(UsageError, match="naive"):
        parse_schedule("hourly", "UTC").latest_slot(datetime(2024, 5, 1))


def test_every_seconds_for_short_test_runs() -> None:
    schedule = parse_schedule("every 10s", "Europe/Berlin")
    assert schedule.next_slot(utc(2024, 5, 1, 12, 0, 3)) == utc(2024, 5, 1, 12, 0, 10)
    assert schedule.latest_slot(utc(2024, 5, 1, 12, 0, 29)) == utc(2024, 5, 1, 12, 0, 20)
    assert schedule.window_since(utc(2024, 5, 1, 12, 0, 20)) == utc(2024, 5, 1, 12, 0, 10)
    with pytest.raises(UsageError, match="duration"):
        parse_schedule("every 0s", "UTC")


def test_trigger_behind_by_hours_jumps_to_the_latest_missed_slot() -> None:
    trigger = parse_schedule("hourly", "UTC").trigger()
    # APScheduler asks for the run after 09:00 at 12:10: not 10:00, 11:00, 12:00 one by one.
    assert trigger.get_next_fire_time(utc(2024, 5, 1, 9), utc(2024, 5, 1, 12, 10)) == utc(
        2024, 5, 1, 12
    )
    assert trigger.get_next_fire_time(utc(2024, 5, 1, 12), utc(2024, 5, 1, 12, 10)) == utc(
        2024, 5, 1, 13
    )


def test_every_mixed_units() -> None:
    assert slots("every 1m30s", "UTC", utc(2024, 5, 1), 2) == [
        utc(2024, 5, 1, 0, 1, 30), utc(2024, 5, 1, 0, 3)
    ]
