"""The series rules without a database: RFC 5545 rules built and expanded with dateutil, wall-clock
times across daylight-saving changes, and the rule edits of a split."""

from __future__ import annotations

from datetime import UTC, date, datetime

from conecta.scheduling.series import (
    Repeat,
    check_repeat,
    ended_before,
    exdate_line,
    exists,
    expand,
    rrule_line,
    shifted_weekdays,
)


def test_mondays_at_ten_in_madrid_are_nine_utc_in_march_and_eight_in_april():
    rule = rrule_line(Repeat(interval_weeks=1, weekdays=(0,), count=3), "Europe/Madrid")
    assert rule == "RRULE:FREQ=WEEKLY;INTERVAL=1;BYDAY=MO;COUNT=3"
    dates = expand(rule, datetime(2030, 3, 25, 10, 0), "Europe/Madrid")
    assert [d.hour for d in dates] == [10, 10, 10]
    assert [d.astimezone(UTC) for d in dates] == [
        datetime(2030, 3, 25, 9, 0, tzinfo=UTC),
        datetime(2030, 4, 1, 8, 0, tzinfo=UTC),
        datetime(2030, 4, 8, 8, 0, tzinfo=UTC),
    ]


def test_until_is_the_end_of_the_last_local_day_in_utc_and_exdates_skip():
    rule = rrule_line(Repeat(interval_weeks=2, weekdays=(2, 0), until=date(2030, 4, 10)), "America/Tijuana")
    assert rule == "RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE;UNTIL=20300411T065959Z"
    dates = expand(rule, datetime(2030, 3, 4, 10, 0), "America/Tijuana")
    assert [d.date().isoformat() for d in dates] == [
        "2030-03-04", "2030-03-06", "2030-03-18", "2030-03-20", "2030-04-01", "2030-04-03",
    ]  # fmt: skip
    skipped = rule + "\n" + exdate_line([dates[1].astimezone(UTC)])
    assert len(expand(skipped, datetime(2030, 3, 4, 10, 0), "America/Tijuana")) == 5


def test_a_time_the_clocks_skip_does_not_exist_that_day():
    dates = expand("RRULE:FREQ=WEEKLY;BYDAY=SU;COUNT=2", datetime(2030, 3, 3, 2, 30), "America/Tijuana")
    assert [exists(d) for d in dates] == [True, False]  # 10 March 2030: 02:00 → 03:00


def test_a_split_ends_the_rule_before_it_and_a_moved_day_moves_byday():
    rule = "RRULE:FREQ=WEEKLY;INTERVAL=1;BYDAY=MO,FR;COUNT=8\nEXDATE:20300311T170000Z"
    ended = ended_before(rule, datetime(2030, 3, 18, 17, 0, tzinfo=UTC))
    assert ended.splitlines()[0] == "RRULE:FREQ=WEEKLY;INTERVAL=1;BYDAY=MO,FR;UNTIL=20300318T165959Z"
    assert ended.splitlines()[1] == "EXDATE:20300311T170000Z"
    assert shifted_weekdays(rule, 1).splitlines()[0] == "RRULE:FREQ=WEEKLY;INTERVAL=1;BYDAY=TU,SA;COUNT=8"
    assert shifted_weekdays(rule, 7) == rule


def test_repeats_the_rules_refuse():
    assert set(check_repeat(Repeat(0, (), count=53), date(2030, 1, 1))) == {
        "repeat_interval", "repeat_weekdays", "repeat_count",
    }  # fmt: skip
    assert "repeat_until" in check_repeat(Repeat(1, (0,), until=date(2029, 1, 1)), date(2030, 1, 1))
    assert check_repeat(Repeat(1, (0,), count=52), date(2030, 1, 1)) == {}
