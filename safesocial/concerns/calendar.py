"""School working days: inside a term, a weekday with session times, not a closure and not an
England bank holiday."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
from django.conf import settings

from safesocial.people.models import Closure, School, SessionTime, Term

DEFAULT_CLOSE = dt.time(17, 0)
SEARCH_DAYS = 400  # the longest a school is ever closed, with margin


@lru_cache(maxsize=8)
def _bank_holidays(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("GB", subdiv="ENG", years=year)


class SchoolCalendar:
    def __init__(self, school: School) -> None:
        self.sessions = {
            s.weekday: s for s in SessionTime.objects.for_school(school).order_by("weekday")
        }
        self.terms = list(Term.objects.for_school(school).values_list("starts_on", "ends_on"))
        self.closures = set(Closure.objects.for_school(school).values_list("date", flat=True))

    def is_working_day(self, day: dt.date) -> bool:
        if self.sessions:
            if day.weekday() not in self.sessions:
                return False
        elif day.weekday() >= 5:
            return False
        if day in _bank_holidays(day.year) or day in self.closures:
            return False
        return not self.terms or any(start <= day <= end for start, end in self.terms)

    def closing_time(self, day: dt.date) -> dt.time:
        session = self.sessions.get(day.weekday())
        return session.closes_at if session else DEFAULT_CLOSE

    def next_working_day(self, after: dt.date) -> dt.date:
        day = after
        for _ in range(SEARCH_DAYS):
            day += dt.timedelta(days=1)
            if self.is_working_day(day):
                return day
        # No term dates ahead: fall back to the next weekday that is not a bank holiday.
        day = after + dt.timedelta(days=1)
        while day.weekday() >= 5 or day in _bank_holidays(day.year):
            day += dt.timedelta(days=1)
        return day

    def one_working_day_after(self, moment: dt.datetime) -> dt.datetime:
        """Reported on a working day: the same time on the next working day. Reported on a
        day the school is closed: the end of the next working day's session."""
        zone = ZoneInfo(settings.TIME_ZONE)
        local = moment.astimezone(zone)
        day = local.date()
        nxt = self.next_working_day(day)
        if self.is_working_day(day):
            close = self.closing_time(nxt)
            at = min(local.time().replace(tzinfo=None), close)
            return dt.datetime.combine(nxt, at, tzinfo=zone)
        return dt.datetime.combine(nxt, self.closing_time(nxt), tzinfo=zone)
