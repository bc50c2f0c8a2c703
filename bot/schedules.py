"""Schedule forms people type ("weekdays 09:30", "every 6h", cron) -> slots in real time.

Pure: no clock, no I/O. A schedule is evaluated in two steps, and that split is the DST story:

1. **Wall-clock matches** in the subscription's time zone, as naive local times. Cron-like
   forms use an APScheduler 3.x ``CronTrigger`` (built with day *names*) run in UTC, where no
   DST exists, so it only does field matching; ``every N`` forms are a grid anchored at local
   midnight, so slots are the same on every worker and after every restart.
2. **Wall time -> instant**: a local time that occurs twice (autumn fall-back) is its first
   occurrence; a local time that does not exist (spring-forward gap) is the moment the clocks
   jump. This mapping never goes backwards, so each wall-clock match is one slot at most, the
   day of a change has one "daily" slot, and equal instants collapse into one.

Why not hand the zone to ``CronTrigger`` directly: measured with APScheduler 3.11 and zoneinfo,
"daily 02:30" in Europe/Berlin fires twice on the fall-back day, and ``minute="*/30"`` steps
backwards in the repeated hour (02:30+02:00 after 02:00+01:00), so iterating it never ends.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger

from digests.errors import DigestbotError, UsageError
from digests.timewindow import parse_duration

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_FULL_DAYS = {name: name[:3] for name in (
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")}
# cron numbers day-of-week from Sunday: 0 and 7 are Sunday, 1 is Monday.
_CRON_DOW = {0: "sun", 1: "mon", 2: "tue", 3: "wed", 4: "thu", 5: "fri", 6: "sat", 7: "sun"}
_NAME_TO_CRON = {"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6}
_DAY_SETS = {"daily": "*", "weekdays": "mon-fri", "weekends": "sat,sun"}
_TIME = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")
_DAY = timedelta(days=1)
_PROBE_START, _PROBE_END = datetime(2000, 1, 1, tzinfo=UTC), datetime(2009, 1, 1, tzinfo=UTC)
# How far back latest_slot looks, smallest first; the last covers leap-day crons.
_LOOKBACKS = tuple(timedelta(days=d) for d in (1 / 1440, 1 / 24, 1, 8, 32, 367, 4 * 366 + 1))
FORMS_HINT = (
    "use 'daily 08:00', 'weekdays 09:30', 'weekends 10:00', 'mon,wed,fri 07:45', "
    "'every 6h', 'every 30m', 'every 10s', 'hourly' or a 5-field cron like '0 8 * * mon-fri'"
)

WallMatcher = Callable[[datetime], datetime | None]  # naive local -> first match >= it


@dataclass(frozen=True)
class Schedule:
    """A parsed schedule: when its slots are, in aware UTC, for one time zone."""

    text: str
    tz: str
    _first_at_or_after: WallMatcher = field(repr=False, compare=False)
    _cron: CronTrigger | None = field(default=None, repr=False, compare=False)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)

    def trigger(self) -> BaseTrigger:
        """An APScheduler trigger firing exactly at this schedule's slots."""
        return ScheduleTrigger(self)

    def next_slot(self, after: datetime) -> datetime:
        """The first slot strictly after ``after`` (aware UTC)."""
        slot = self._next_slot(_aware(after))
        if slot is None:  # parse_schedule checked this schedule fires; a guard only
            raise UsageError(f"schedule {self.text!r} never fires again")
        return slot

    def latest_slot(self, now: datetime) -> datetime | None:
        """The most recent slot at or before ``now`` (aware UTC); None if none in ~4 years."""
        now = _aware(now)
        for lookback in _LOOKBACKS:
            slot = self._next_slot(now - lookback - timedelta(microseconds=1))
            if slot is None or slot > now:
                continue
            while (following := self._next_slot(slot)) is not None and following <= now:
                slot = following
            return slot
        return None

    def slot_key(self, slot: datetime) -> str:
        """The ledger's window key for ``slot``."""
        return slot_key(slot)

    def window_since(self, slot: datetime, cap: timedelta | None = None) -> datetime:
        """Start of the digest window ending at ``slot``: the previous slot, at most ``cap``."""
        slot = _aware(slot)
        previous = self.latest_slot(slot - timedelta(microseconds=1))
        earliest = slot - cap if cap is not None else None
        if previous is None:
            return earliest if earliest is not None else slot - _DAY
        return max(previous, earliest) if earliest is not None else previous

    def _next_slot(self, after: datetime) -> datetime | None:
        zone = self.zone
        # Wall times before wall(after) map to instants <= after (the mapping is monotonic and a
        # wall time's first occurrence is never later than the real one), so start there.
        wall = after.astimezone(zone).replace(tzinfo=None, fold=0)
        for _ in range(100_000):  # bound: the repeated hour holds at most 3600 slots
            match = self._first_at_or_after(wall)
            if match is None:
                return None
            instant = wall_to_instant(match, zone)
            if instant > after:
                return instant
            wall = match + timedelta(seconds=1)
        return None


class ScheduleTrigger(BaseTrigger):
    """APScheduler 3.x trigger that fires at a ``Schedule``'s slots (same DST rules)."""

    __slots__ = ("schedule",)

    def __init__(self, schedule: Schedule) -> None:
        self.schedule = schedule

    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None:
        if previous_fire_time is None:
            return self.schedule.next_slot(now - timedelta(microseconds=1))
        following = self.schedule.next_slot(previous_fire_time)
        if following <= now:
            # Behind (the process slept): jump to the latest missed slot rather than make
            # APScheduler walk every one; our jobs coalesce, so only the latest runs anyway.
            latest = self.schedule.latest_slot(now)
            if latest is not None and latest > following:
                return latest
        return following

    def __str__(self) -> str:
        return f"schedule[{self.schedule.text} {self.schedule.tz}]"

    def __repr__(self) -> str:
        return f"<ScheduleTrigger {self.schedule.text!r} tz={self.schedule.tz!r}>"


def slot_key(slot: datetime) -> str:
    """ISO time of ``slot`` in UTC, to the second: the delivery ledger's window key."""
    return _aware(slot).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def wall_to_instant(wall: datetime, zone: ZoneInfo) -> datetime:
    """A naive local time -> aware UTC: first occurrence if repeated, the jump if skipped."""
    first = wall.replace(tzinfo=zone, fold=0)
    instant = first.astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) == wall:
        return instant
    # In a gap: fold=0 reads it with the old offset (past the jump), fold=1 with the new one
    # (before the jump). The jump is the first whole second whose local time reaches ``wall``.
    low = int(wall.replace(tzinfo=zone, fold=1).timestamp())
    high = int(instant.timestamp())
    while high - low > 1:
        mid = (low + high) // 2
        if datetime.fromtimestamp(mid, zone).replace(tzinfo=None) >= wall:
            high = mid
        else:
            low = mid
    return datetime.fromtimestamp(high, UTC)


def parse_schedule(text: str, tz: str) -> Schedule:
    """Parse a schedule form for time zone ``tz``; bad input is a one-line UsageError."""
    zone_name = _check_zone(tz)
    raw = " ".join(text.strip().lower().split())
    if not raw:
        raise UsageError(f"empty schedule: {FORMS_HINT}")
    try:
        schedule = _parse(raw, text, zone_name)
    except UsageError:
        raise
    except (DigestbotError, ValueError, KeyError, TypeError) as e:
        raise UsageError(f"bad schedule {text!r}: {e}") from None
    return schedule


# --- forms ----------------------------------------------------------------------------------


def _parse(raw: str, original: str, tz: str) -> Schedule:
    words = raw.split(" ")
    if raw == "hourly":
        return _cron_schedule(original, tz, minute="0")
    if words[0] == "every" and len(words) == 2:
        return _every(words[1], original, tz)
    if len(words) == 5:
        return _crontab(words, original, tz)
    if len(words) == 2:
        days, time = words
        hour, minute = _parse_time(time, original)
        return _cron_schedule(
            original, tz, day_of_week=_day_set(days, original), hour=str(hour), minute=str(minute)
        )
    raise UsageError(f"bad schedule {original!r}: {FORMS_HINT}")


def _every(amount: str, original: str, tz: str) -> Schedule:
    try:
        step = parse_duration(amount)
    except UsageError:
        step = timedelta(0)
    if step <= timedelta(0):
        raise UsageError(
            f"bad schedule {original!r}: 'every' takes a duration like 30m, 6h, 1h30m or 10s"
        )
    if step > _DAY:
        raise UsageError(
            f"bad schedule {original!r}: 'every' is at most 24h (use a day form or cron)"
        )
    seconds = int(step.total_seconds())

    def first_at_or_after(wall: datetime) -> datetime:
        wall = _ceil_second(wall)
        midnight = wall.replace(hour=0, minute=0, second=0)
        since = int((wall - midnight).total_seconds())
        k = -(-since // seconds)  # ceil
        if k * seconds >= 24 * 3600:
            return midnight + _DAY
        return midnight + timedelta(seconds=k * seconds)

    return Schedule(original, tz, first_at_or_after)


def _day_set(days: str, original: str) -> str:
    if days in _DAY_SETS:
        return _DAY_SETS[days]
    names = []
    for part in days.split(","):
        name = _FULL_DAYS.get(part, part)
        if name not in DAY_NAMES:
            raise UsageError(f"bad schedule {original!r}: unknown day {part!r} ({FORMS_HINT})")
        names.append(name)
    return ",".join(sorted(set(names), key=DAY_NAMES.index))


def _parse_time(text: str, original: str) -> tuple[int, int]:
    match = _TIME.fullmatch(text)
    if match is None:
        raise UsageError(f"bad schedule {original!r}: time must be HH:MM (00:00-23:59)")
    return int(match.group(1)), int(match.group(2))


def _crontab(fields: list[str], original: str, tz: str) -> Schedule:
    minute, hour, day, month, dow = fields
    if day not in ("*", "?") and dow not in ("*", "?"):
        raise UsageError(
            f"bad schedule {original!r}: restrict day-of-month or day-of-week, not both"
        )
    day = "*" if day == "?" else day
    return _cron_schedule(
        original, tz, minute=minute, hour=hour, day=day, month=month,
        day_of_week=cron_day_of_week(dow if dow != "?" else "*"),
    )


def cron_day_of_week(expr: str) -> str:
    """Cron's day-of-week field (0 and 7 = Sunday, names, ranges, steps) -> APScheduler names.

    APScheduler 3.x counts 0 as Monday, so numbers are never passed through; the result is
    ``*`` or a comma list of day names (Monday first).
    """
    days: set[int] = set()
    for item in expr.split(","):
        base, _, step_text = item.partition("/")
        step = int(step_text) if step_text else 1
        if step_text and (not step_text.isdigit() or step < 1):
            raise UsageError(f"bad day-of-week {expr!r}: step must be a positive number")
        if base == "*":
            low, high = 0, 6
        elif "-" in base:
            first, last = base.split("-", 1)
            low, high = _dow_number(first, expr), _dow_number(last, expr)
            if high == 0 and low > 0:  # "5-7" / "fri-sun": Sunday closes the week
                high = 7
            if low > high:
                raise UsageError(f"bad day-of-week {expr!r}: range {base!r} runs backwards")
        else:
            low = _dow_number(base, expr)
            high = 7 if step_text else low
        days.update(n % 7 for n in range(low, high + 1, step))
    if len(days) == 7:
        return "*"
    names = {_CRON_DOW[n] for n in days}
    return ",".join(name for name in DAY_NAMES if name in names)


def _dow_number(text: str, expr: str) -> int:
    if text.isdigit() and int(text) <= 7:
        return int(text)
    name = _FULL_DAYS.get(text, text)
    if name in _NAME_TO_CRON:
        return _NAME_TO_CRON[name]
    raise UsageError(f"bad day-of-week {expr!r}: {text!r} is not 0-7 or a day name")


def _cron_schedule(original: str, tz: str, **fields: str) -> Schedule:
    try:
        # UTC on purpose: wall-clock matching only; the zone is applied by wall_to_instant.
        cron = CronTrigger(second="0", timezone=UTC, **fields)
        # "30 2" (Feb 30) parses but never matches; an end date keeps the probe short.
        probe = CronTrigger(second="0", timezone=UTC, end_date=_PROBE_END, **fields)
    except ValueError as e:
        raise UsageError(f"bad schedule {original!r}: {e}") from None
    if probe.get_next_fire_time(None, _PROBE_START) is None:
        raise UsageError(f"bad schedule {original!r}: it never fires")

    def first_at_or_after(wall: datetime) -> datetime | None:
        start = _ceil_second(wall).replace(tzinfo=UTC)
        fire = cron.get_next_fire_time(None, start)
        return None if fire is None else fire.replace(tzinfo=None)

    return Schedule(original, tz, first_at_or_after, cron)


# --- helpers --------------------------------------------------------------------------------


def _check_zone(tz: str) -> str:
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError(
            f"unknown time zone {tz!r} (use an IANA name like Europe/Berlin)"
        ) from None
    return tz


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise UsageError("internal: naive datetime given to a schedule (use aware UTC)")
    return moment.astimezone(UTC)


def _ceil_second(wall: datetime) -> datetime:
    floor = wall.replace(microsecond=0)
    return floor if floor == wall else floor + timedelta(seconds=1)
