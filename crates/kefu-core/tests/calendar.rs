//! Integration tests of `kefu_core::calendar`: the embedded 2024–2026
//! statutory holiday data, festival computations and deadline arithmetic.

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveTime, Weekday};
use kefu_core::calendar::{
    due_after_minutes, due_after_working_days, due_after_working_hours, greeting_festival,
    spring_festival, CalendarError, DayKind, Festival, HolidayCalendar, WorkingHours,
    EMBEDDED_SOURCES, MAX_SEARCH_DAYS, SHANGHAI,
};

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("test date")
}

fn t(s: &str) -> NaiveTime {
    NaiveTime::parse_from_str(s, "%H:%M").expect("test time")
}

fn at(s: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(s).expect("test datetime")
}

fn cal() -> HolidayCalendar {
    HolidayCalendar::try_embedded_default().expect("embedded calendar validates")
}

fn hours() -> WorkingHours {
    WorkingHours::default()
}

fn days(from: &str, to: &str) -> Vec<NaiveDate> {
    d(from).iter_days().take_while(|x| *x <= d(to)).collect()
}

// ---------------------------------------------------------------------------
// Embedded data
// ---------------------------------------------------------------------------

#[test]
fn embedded_data_parses_and_covers_2024_to_2026() {
    let cal = cal();
    assert_eq!(cal.years(), vec![2024, 2025, 2026]);
    assert_eq!(HolidayCalendar::embedded_default(), cal);
    assert_eq!(EMBEDDED_SOURCES.len(), 3);
    assert_eq!(
        cal.source(2026),
        Some("国务院办公厅关于2026年部分节假日安排的通知")
    );
    assert!(cal.covers(2025));
    assert!(!cal.covers(2027));
}

/// Every `rulebook/calendar/*.toml` on disk validates, and `EMBEDDED_SOURCES`
/// embeds exactly those files with their current content (the test may read
/// files; the library never does).
#[test]
fn embedded_sources_match_the_directory() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rulebook/calendar");
    let mut on_disk: Vec<(String, String)> = std::fs::read_dir(&dir)
        .expect("rulebook/calendar exists")
        .map(|entry| entry.expect("dir entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "toml"))
        .map(|path| {
            let name = format!(
                "calendar/{}",
                path.file_name().expect("file name").to_string_lossy()
            );
            let text = std::fs::read_to_string(&path).expect("readable");
            (name, text)
        })
        .collect();
    on_disk.sort();
    let from_disk = HolidayCalendar::from_sources(&on_disk).expect("files on disk validate");
    let embedded: Vec<(String, String)> = EMBEDDED_SOURCES
        .iter()
        .map(|(n, t)| (n.to_string(), t.to_string()))
        .collect();
    assert_eq!(
        embedded, on_disk,
        "EMBEDDED_SOURCES in calendar.rs must list every rulebook/calendar/*.toml"
    );
    assert_eq!(from_disk, cal());
}

/// `(year, festival, name, from, to, make-up workdays)`
type Row = (
    i32,
    Festival,
    &'static str,
    &'static str,
    &'static str,
    Vec<&'static str>,
);

/// The schedules exactly as published by the State Council.
#[test]
fn embedded_data_matches_the_notices() {
    use Festival::*;
    #[rustfmt::skip]
    let expected: Vec<Row> = vec![
        (2024, NewYear, "元旦", "2024-01-01", "2024-01-01", vec![]),
        (2024, SpringFestival, "春节", "2024-02-10", "2024-02-17", vec!["2024-02-04", "2024-02-18"]),
        (2024, Qingming, "清明节", "2024-04-04", "2024-04-06", vec!["2024-04-07"]),
        (2024, LabourDay, "劳动节", "2024-05-01", "2024-05-05", vec!["2024-04-28", "2024-05-11"]),
        (2024, DragonBoat, "端午节", "2024-06-08", "2024-06-10", vec![]),
        (2024, MidAutumn, "中秋节", "2024-09-15", "2024-09-17", vec!["2024-09-14"]),
        (2024, NationalDay, "国庆节", "2024-10-01", "2024-10-07", vec!["2024-09-29", "2024-10-12"]),
        (2025, NewYear, "元旦", "2025-01-01", "2025-01-01", vec![]),
        (2025, SpringFestival, "春节", "2025-01-28", "2025-02-04", vec!["2025-01-26", "2025-02-08"]),
        (2025, Qingming, "清明节", "2025-04-04", "2025-04-06", vec![]),
        (2025, LabourDay, "劳动节", "2025-05-01", "2025-05-05", vec!["2025-04-27"]),
        (2025, DragonBoat, "端午节", "2025-05-31", "2025-06-02", vec![]),
        (2025, MidAutumnNationalDay, "国庆节·中秋节", "2025-10-01", "2025-10-08", vec!["2025-09-28", "2025-10-11"]),
        (2026, NewYear, "元旦", "2026-01-01", "2026-01-03", vec!["2026-01-04"]),
        (2026, SpringFestival, "春节", "2026-02-15", "2026-02-23", vec!["2026-02-14", "2026-02-28"]),
        (2026, Qingming, "清明节", "2026-04-04", "2026-04-06", vec![]),
        (2026, LabourDay, "劳动节", "2026-05-01", "2026-05-05", vec!["2026-05-09"]),
        (2026, DragonBoat, "端午节", "2026-06-19", "2026-06-21", vec![]),
        (2026, MidAutumn, "中秋节", "2026-09-25", "2026-09-27", vec![]),
        (2026, NationalDay, "国庆节", "2026-10-01", "2026-10-07", vec!["2026-09-20", "2026-10-10"]),
    ];
    let cal = cal();
    let got: Vec<_> = cal
        .holidays()
        .iter()
        .map(|h| {
            (
                h.year,
                h.festival,
                h.name.as_str(),
                h.from,
                h.to,
                h.makeup_workdays.clone(),
            )
        })
        .collect();
    let expected: Vec<_> = expected
        .into_iter()
        .map(|(y, f, n, from, to, m)| {
            (
                y,
                f,
                n,
                d(from),
                d(to),
                m.into_iter().map(d).collect::<Vec<_>>(),
            )
        })
        .collect();
    assert_eq!(got, expected);
    for h in cal.holidays() {
        assert_eq!(
            h.name,
            h.festival.name(),
            "file name field matches Festival::name"
        );
    }
}

/// The weekdays the notices print next to the dates, checked with chrono.
#[test]
fn weekdays_stated_in_the_notices() {
    use Weekday::*;
    #[rustfmt::skip]
    let stated = [
        // 2024
        ("2024-01-01", Mon), ("2024-02-04", Sun), ("2024-02-18", Sun), ("2024-04-07", Sun),
        ("2024-04-28", Sun), ("2024-05-11", Sat), ("2024-06-08", Sat), ("2024-06-10", Mon),
        ("2024-09-14", Sat), ("2024-09-29", Sun), ("2024-10-12", Sat),
        // 2025
        ("2025-01-01", Wed), ("2025-01-28", Tue), ("2025-02-04", Tue), ("2025-01-26", Sun),
        ("2025-02-08", Sat), ("2025-04-04", Fri), ("2025-04-06", Sun), ("2025-05-01", Thu),
        ("2025-05-05", Mon), ("2025-04-27", Sun), ("2025-05-31", Sat), ("2025-06-02", Mon),
        ("2025-10-01", Wed), ("2025-10-08", Wed), ("2025-09-28", Sun), ("2025-10-11", Sat),
        // 2026
        ("2026-01-01", Thu), ("2026-01-03", Sat), ("2026-01-04", Sun), ("2026-02-15", Sun),
        ("2026-02-23", Mon), ("2026-02-14", Sat), ("2026-02-28", Sat), ("2026-04-04", Sat),
        ("2026-04-06", Mon), ("2026-05-01", Fri), ("2026-05-05", Tue), ("2026-05-09", Sat),
        ("2026-06-19", Fri), ("2026-06-21", Sun), ("2026-09-25", Fri), ("2026-09-27", Sun),
        ("2026-10-01", Thu), ("2026-10-07", Wed), ("2026-09-20", Sun), ("2026-10-10", Sat),
    ];
    for (date, weekday) in stated {
        assert_eq!(d(date).weekday(), weekday, "{date}");
    }
    // And every make-up workday in the data is a weekend day.
    for h in cal().holidays() {
        for m in &h.makeup_workdays {
            assert!(matches!(m.weekday(), Sat | Sun), "{m}");
        }
    }
}

#[test]
fn spring_festival_holiday_contains_lunar_new_year() {
    let cal = cal();
    for h in cal
        .holidays()
        .iter()
        .filter(|h| h.festival == Festival::SpringFestival)
    {
        let ny = spring_festival(h.year).expect("in range");
        assert!(
            h.from <= ny && ny <= h.to,
            "{} not in {}..{}",
            ny,
            h.from,
            h.to
        );
    }
}

// ---------------------------------------------------------------------------
// Days of 2026
// ---------------------------------------------------------------------------

fn assert_holiday(cal: &HolidayCalendar, from: &str, to: &str, festival: Festival) {
    for date in days(from, to) {
        let info = cal.day(date).expect("covered");
        assert_eq!(info.date, date);
        assert_eq!(info.kind, DayKind::Holiday, "{date}");
        assert_eq!(info.festival, Some(festival), "{date}");
        assert!(!info.makeup, "{date}");
        assert!(!cal.is_workday(date).expect("covered"), "{date}");
    }
}

fn assert_makeup(cal: &HolidayCalendar, date: &str, festival: Festival) {
    let info = cal.day(d(date)).expect("covered");
    assert!(
        matches!(d(date).weekday(), Weekday::Sat | Weekday::Sun),
        "{date}"
    );
    assert_eq!(info.kind, DayKind::Workday, "{date}");
    assert!(info.makeup, "{date}");
    assert_eq!(info.festival, Some(festival), "{date}");
    assert!(cal.is_workday(d(date)).expect("covered"), "{date}");
}

#[test]
fn new_year_2026() {
    let cal = cal();
    assert_holiday(&cal, "2026-01-01", "2026-01-03", Festival::NewYear);
    assert_makeup(&cal, "2026-01-04", Festival::NewYear);
    assert!(cal.is_workday(d("2026-01-05")).unwrap());
}

#[test]
fn spring_festival_2026() {
    let cal = cal();
    assert_holiday(&cal, "2026-02-15", "2026-02-23", Festival::SpringFestival);
    assert_makeup(&cal, "2026-02-14", Festival::SpringFestival);
    assert_makeup(&cal, "2026-02-28", Festival::SpringFestival);
    // The days around it are ordinary.
    assert!(cal.is_workday(d("2026-02-13")).unwrap()); // Friday
    assert!(cal.is_workday(d("2026-02-24")).unwrap()); // Tuesday
    assert_eq!(cal.day(d("2026-03-01")).unwrap().kind, DayKind::Rest); // Sunday
}

#[test]
fn qingming_2026() {
    let cal = cal();
    assert_holiday(&cal, "2026-04-04", "2026-04-06", Festival::Qingming);
    assert!(cal.is_workday(d("2026-04-03")).unwrap());
    assert!(cal.is_workday(d("2026-04-07")).unwrap());
}

#[test]
fn labour_day_2026() {
    let cal = cal();
    assert_holiday(&cal, "2026-05-01", "2026-05-05", Festival::LabourDay);
    assert_makeup(&cal, "2026-05-09", Festival::LabourDay);
    assert_eq!(cal.day(d("2026-05-10")).unwrap().kind, DayKind::Rest);
}

#[test]
fn dragon_boat_2026() {
    let cal = cal();
    assert_holiday(&cal, "2026-06-19", "2026-06-21", Festival::DragonBoat);
    assert!(cal.is_workday(d("2026-06-22")).unwrap());
}

#[test]
fn mid_autumn_and_national_day_2026() {
    let cal = cal();
    assert_holiday(&cal, "2026-09-25", "2026-09-27", Festival::MidAutumn);
    assert_holiday(&cal, "2026-10-01", "2026-10-07", Festival::NationalDay);
    assert_makeup(&cal, "2026-09-20", Festival::NationalDay);
    assert_makeup(&cal, "2026-10-10", Festival::NationalDay);
    assert!(cal.is_workday(d("2026-09-30")).unwrap());
    assert!(cal.is_workday(d("2026-10-08")).unwrap());
}

#[test]
fn merged_mid_autumn_national_day_2025() {
    let cal = cal();
    assert_holiday(
        &cal,
        "2025-10-01",
        "2025-10-08",
        Festival::MidAutumnNationalDay,
    );
    assert_makeup(&cal, "2025-09-28", Festival::MidAutumnNationalDay);
    assert_makeup(&cal, "2025-10-11", Festival::MidAutumnNationalDay);
}

#[test]
fn holiday_day_counts_2026() {
    let cal = cal();
    let all_2026 = days("2026-01-01", "2026-12-31");
    let holidays = all_2026
        .iter()
        .filter(|x| cal.day(**x).unwrap().kind == DayKind::Holiday)
        .count();
    let makeups = all_2026
        .iter()
        .filter(|x| cal.day(**x).unwrap().makeup)
        .count();
    let workdays = all_2026
        .iter()
        .filter(|x| cal.is_workday(**x).unwrap())
        .count();
    assert_eq!(holidays, 3 + 9 + 3 + 5 + 3 + 3 + 7);
    assert_eq!(makeups, 6);
    // 261 weekdays − 19 weekday holidays + 6 make-up days.
    assert_eq!(workdays, 248);
}

#[test]
fn ordinary_weekdays_and_weekends() {
    let cal = cal();
    let sat = cal.day(d("2026-03-07")).unwrap();
    assert_eq!(sat.kind, DayKind::Rest);
    assert_eq!(sat.festival, None);
    assert!(!sat.makeup);
    assert_eq!(cal.day(d("2026-03-08")).unwrap().kind, DayKind::Rest);
    let mon = cal.day(d("2026-03-09")).unwrap();
    assert_eq!(mon.kind, DayKind::Workday);
    assert_eq!(mon.festival, None);
    assert!(!mon.makeup);
    // 2024-12-31 is an ordinary Tuesday; 2023-12-31 is not covered.
    assert!(cal.is_workday(d("2024-12-31")).unwrap());
}

#[test]
fn years_without_data_are_never_guessed() {
    let cal = cal();
    for (date, year) in [
        ("2027-01-01", 2027),
        ("2027-06-15", 2027),
        ("2023-12-31", 2023),
    ] {
        assert_eq!(
            cal.day(d(date)),
            Err(CalendarError::YearNotCovered { year })
        );
        assert_eq!(
            cal.is_workday(d(date)),
            Err(CalendarError::YearNotCovered { year })
        );
    }
    let message = CalendarError::YearNotCovered { year: 2027 }.to_string();
    assert_eq!(
        message,
        "没有 2027 年的节假日数据：请导入国务院公布的 2027 年节假日安排 (rulebook/calendar/2027.toml)"
    );
    let empty = HolidayCalendar::from_sources::<&str, &str>(&[]).unwrap();
    assert!(empty.years().is_empty());
    assert_eq!(
        empty.day(d("2026-03-02")),
        Err(CalendarError::YearNotCovered { year: 2026 })
    );
}

#[test]
fn serde_names() {
    let cal = cal();
    let json = serde_json::to_value(cal.day(d("2026-02-14")).unwrap()).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"date": "2026-02-14", "kind": "workday", "festival": "spring_festival", "makeup": true})
    );
    assert_eq!(serde_json::to_value(DayKind::Rest).unwrap(), "rest");
    assert_eq!(serde_json::to_value(DayKind::Holiday).unwrap(), "holiday");
    assert_eq!(
        serde_json::to_value(Festival::MidAutumnNationalDay).unwrap(),
        "mid_autumn_national_day"
    );
}

#[test]
fn festival_ids_and_names() {
    let table = [
        (Festival::NewYear, "new_year", "元旦"),
        (Festival::SpringFestival, "spring_festival", "春节"),
        (Festival::Qingming, "qingming", "清明节"),
        (Festival::LabourDay, "labour_day", "劳动节"),
        (Festival::DragonBoat, "dragon_boat", "端午节"),
        (Festival::MidAutumn, "mid_autumn", "中秋节"),
        (Festival::NationalDay, "national_day", "国庆节"),
        (
            Festival::MidAutumnNationalDay,
            "mid_autumn_national_day",
            "国庆节·中秋节",
        ),
    ];
    assert_eq!(Festival::ALL.len(), table.len());
    for (f, id, name) in table {
        assert_eq!(f.id(), id);
        assert_eq!(f.name(), name);
        assert_eq!(f.to_string(), name);
        assert_eq!(Festival::from_id(id), Some(f));
    }
    assert_eq!(Festival::from_id("christmas"), None);
}

// ---------------------------------------------------------------------------
// Festivals
// ---------------------------------------------------------------------------

#[test]
fn spring_festival_from_the_lunar_calendar() {
    assert_eq!(spring_festival(2024), Some(d("2024-02-10")));
    assert_eq!(spring_festival(2025), Some(d("2025-01-29")));
    assert_eq!(spring_festival(2026), Some(d("2026-02-17")));
    assert_eq!(spring_festival(2027), Some(d("2027-02-06")));
    assert_eq!(spring_festival(2030), Some(d("2030-02-03")));
    assert_eq!(spring_festival(2000), Some(d("2000-02-05")));
    for year in [1800, 1900, 2101, -1, 0, i32::MAX, i32::MIN] {
        assert_eq!(spring_festival(year), None, "{year}");
    }
    for year in 1901..=2100 {
        let sf = spring_festival(year).expect("supported year");
        assert_eq!(sf.year(), year);
        assert!(
            sf >= d(&format!("{year}-01-21")) && sf <= d(&format!("{year}-02-20")),
            "{sf}"
        );
    }
}

#[test]
fn greeting_festivals() {
    let cal = cal();
    let g = |s: &str| greeting_festival(&cal, d(s));
    use Festival::*;
    // Statutory holiday days of the greeting festivals.
    for date in days("2026-02-15", "2026-02-23") {
        assert_eq!(
            greeting_festival(&cal, date),
            Ok(Some(SpringFestival)),
            "{date}"
        );
    }
    for date in days("2026-01-01", "2026-01-03") {
        assert_eq!(greeting_festival(&cal, date), Ok(Some(NewYear)), "{date}");
    }
    for date in days("2026-05-01", "2026-05-05") {
        assert_eq!(greeting_festival(&cal, date), Ok(Some(LabourDay)), "{date}");
    }
    for date in days("2026-10-01", "2026-10-07") {
        assert_eq!(
            greeting_festival(&cal, date),
            Ok(Some(NationalDay)),
            "{date}"
        );
    }
    // A merged holiday greets as 国庆节.
    assert_eq!(g("2025-10-06"), Ok(Some(NationalDay)));
    assert_eq!(g("2025-10-08"), Ok(Some(NationalDay)));
    // 2025 春节 starts on 除夕 (01-28); 正月初一 is 01-29.
    assert_eq!(g("2025-01-28"), Ok(Some(SpringFestival)));
    // Make-up days and other festivals have no greeting.
    assert_eq!(g("2026-02-14"), Ok(None));
    assert_eq!(g("2026-01-04"), Ok(None));
    assert_eq!(g("2026-04-05"), Ok(None));
    assert_eq!(g("2026-06-19"), Ok(None));
    assert_eq!(g("2026-09-26"), Ok(None));
    assert_eq!(g("2026-03-02"), Ok(None));
    assert_eq!(g("2026-03-07"), Ok(None));
    // The festival day itself is known without data…
    assert_eq!(g("2027-01-01"), Ok(Some(NewYear)));
    assert_eq!(g("2027-02-06"), Ok(Some(SpringFestival)));
    assert_eq!(g("2027-05-01"), Ok(Some(LabourDay)));
    assert_eq!(g("2027-10-01"), Ok(Some(NationalDay)));
    assert_eq!(g("2030-02-03"), Ok(Some(SpringFestival)));
    // …any other day of an uncovered year is not guessed.
    assert_eq!(
        g("2027-01-02"),
        Err(CalendarError::YearNotCovered { year: 2027 })
    );
    assert_eq!(
        g("2027-10-02"),
        Err(CalendarError::YearNotCovered { year: 2027 })
    );
}

// ---------------------------------------------------------------------------
// Working hours
// ---------------------------------------------------------------------------

#[test]
fn working_hours_default_and_validation() {
    let h = WorkingHours::default();
    assert_eq!(
        h.periods(),
        &[(t("09:00"), t("12:00")), (t("13:30"), t("18:00"))]
    );
    assert_eq!(h.close(), t("18:00"));

    let ok = WorkingHours::new(vec![(t("08:30"), t("12:00")), (t("12:00"), t("17:30"))]).unwrap();
    assert_eq!(ok.close(), t("17:30"));

    for bad in [
        vec![],
        vec![(t("12:00"), t("09:00"))],
        vec![(t("09:00"), t("09:00"))],
        vec![(t("09:00"), t("12:00")), (t("11:00"), t("18:00"))],
        vec![(t("13:30"), t("18:00")), (t("09:00"), t("12:00"))],
    ] {
        assert!(
            matches!(
                WorkingHours::new(bad.clone()),
                Err(CalendarError::WorkingHours { .. })
            ),
            "{bad:?}"
        );
    }
}

// ---------------------------------------------------------------------------
// Deadlines
// ---------------------------------------------------------------------------

#[test]
fn minutes_cross_midnight() {
    assert_eq!(
        due_after_minutes(at("2026-03-02T23:30:00+08:00"), 45),
        at("2026-03-03T00:15:00+08:00")
    );
    // Wall-clock: weekends and holidays count.
    assert_eq!(
        due_after_minutes(at("2026-02-14T20:00:00+08:00"), 24 * 60),
        at("2026-02-15T20:00:00+08:00")
    );
    // Another offset in, Shanghai out.
    let due = due_after_minutes(at("2026-03-02T15:50:00Z"), 20);
    assert_eq!(due, at("2026-03-03T00:10:00+08:00"));
    assert_eq!(due.offset(), &SHANGHAI);
    assert_eq!(due.to_rfc3339(), "2026-03-03T00:10:00+08:00");
    // Negative goes back; absurd values saturate instead of panicking.
    assert_eq!(
        due_after_minutes(at("2026-03-03T00:10:00+08:00"), -20),
        at("2026-03-02T23:50:00+08:00")
    );
    let far = due_after_minutes(at("2026-03-02T09:00:00+08:00"), i64::MAX);
    assert!(far > at("9999-12-31T00:00:00+08:00"));
    let past = due_after_minutes(at("2026-03-02T09:00:00+08:00"), i64::MIN);
    assert!(past < at("0001-01-01T00:00:00+08:00"));
}

#[test]
fn working_hours_across_lunch_break() {
    let due =
        due_after_working_hours(&cal(), &hours(), at("2026-03-02T11:00:00+08:00"), 120).unwrap();
    assert_eq!(due, at("2026-03-02T14:30:00+08:00"));
}

#[test]
fn working_hours_ending_exactly_at_noon_stays_at_noon() {
    let due =
        due_after_working_hours(&cal(), &hours(), at("2026-03-02T11:00:00+08:00"), 60).unwrap();
    assert_eq!(due, at("2026-03-02T12:00:00+08:00"));
    let due =
        due_after_working_hours(&cal(), &hours(), at("2026-03-02T09:00:00+08:00"), 3 * 60).unwrap();
    assert_eq!(due, at("2026-03-02T12:00:00+08:00"));
    // Likewise at the close of the day: 18:00, not 09:00 the next day.
    let due =
        due_after_working_hours(&cal(), &hours(), at("2026-03-02T17:00:00+08:00"), 60).unwrap();
    assert_eq!(due, at("2026-03-02T18:00:00+08:00"));
    // One full working day is 7.5 hours.
    let due =
        due_after_working_hours(&cal(), &hours(), at("2026-03-02T09:00:00+08:00"), 450).unwrap();
    assert_eq!(due, at("2026-03-02T18:00:00+08:00"));
}

#[test]
fn working_hours_starting_in_lunch_or_at_night() {
    let cal = cal();
    let h = hours();
    let due = due_after_working_hours(&cal, &h, at("2026-03-02T12:30:00+08:00"), 30).unwrap();
    assert_eq!(due, at("2026-03-02T14:00:00+08:00"));
    let due = due_after_working_hours(&cal, &h, at("2026-03-02T22:00:00+08:00"), 30).unwrap();
    assert_eq!(due, at("2026-03-03T09:30:00+08:00"));
    let due = due_after_working_hours(&cal, &h, at("2026-03-03T06:00:00+08:00"), 30).unwrap();
    assert_eq!(due, at("2026-03-03T09:30:00+08:00"));
    // Seconds are kept.
    let due = due_after_working_hours(&cal, &h, at("2026-03-03T09:00:30+08:00"), 1).unwrap();
    assert_eq!(due, at("2026-03-03T09:01:30+08:00"));
}

#[test]
fn working_hours_across_a_weekend() {
    let cal = cal();
    let h = hours();
    // Friday 17:00: one hour on Friday, one on Monday.
    let due = due_after_working_hours(&cal, &h, at("2026-03-06T17:00:00+08:00"), 120).unwrap();
    assert_eq!(due, at("2026-03-09T10:00:00+08:00"));
    // Starting on a Saturday starts on Monday morning.
    let due = due_after_working_hours(&cal, &h, at("2026-03-07T10:00:00+08:00"), 60).unwrap();
    assert_eq!(due, at("2026-03-09T10:00:00+08:00"));
}

#[test]
fn working_hours_across_spring_festival_2026() {
    let cal = cal();
    let h = hours();
    // Friday 02-13 17:00: one hour on Friday, then the make-up Saturday 02-14.
    let due = due_after_working_hours(&cal, &h, at("2026-02-13T17:00:00+08:00"), 120).unwrap();
    assert_eq!(due, at("2026-02-14T10:00:00+08:00"));
    // From the make-up Saturday over the nine-day holiday to Tuesday 02-24.
    let due = due_after_working_hours(&cal, &h, at("2026-02-14T17:00:00+08:00"), 120).unwrap();
    assert_eq!(due, at("2026-02-24T10:00:00+08:00"));
    // Starting inside the holiday.
    let due = due_after_working_hours(&cal, &h, at("2026-02-17T10:00:00+08:00"), 30).unwrap();
    assert_eq!(due, at("2026-02-24T09:30:00+08:00"));
}

#[test]
fn working_hours_from_another_time_zone() {
    let cal = cal();
    let h = hours();
    // 01:00 UTC is 09:00 in Shanghai.
    let due = due_after_working_hours(&cal, &h, at("2026-03-02T01:00:00Z"), 30).unwrap();
    assert_eq!(due.to_rfc3339(), "2026-03-02T09:30:00+08:00");
    assert_eq!(due.offset(), &SHANGHAI);
    // Sunday 20:00 in New York is Monday 09:00 in Shanghai.
    let due = due_after_working_hours(&cal, &h, at("2026-03-01T20:00:00-05:00"), 60).unwrap();
    assert_eq!(due.to_rfc3339(), "2026-03-02T10:00:00+08:00");
    // Zero minutes returns `from` in Shanghai time, even outside working time.
    let due = due_after_working_hours(&cal, &h, at("2026-03-07T14:00:00Z"), 0).unwrap();
    assert_eq!(due.to_rfc3339(), "2026-03-07T22:00:00+08:00");
}

#[test]
fn working_hours_errors() {
    let cal = cal();
    let h = hours();
    assert_eq!(
        due_after_working_hours(&cal, &h, at("2026-03-02T09:00:00+08:00"), -1),
        Err(CalendarError::NegativeDuration { minutes: -1 })
    );
    // Needs 2027, which is not covered.
    assert_eq!(
        due_after_working_hours(&cal, &h, at("2026-12-31T17:00:00+08:00"), 120),
        Err(CalendarError::YearNotCovered { year: 2027 })
    );
    assert_eq!(
        due_after_working_hours(&cal, &h, at("2027-03-01T09:00:00+08:00"), 10),
        Err(CalendarError::YearNotCovered { year: 2027 })
    );
    // Starting before the data.
    assert_eq!(
        due_after_working_hours(&cal, &h, at("2023-12-31T10:00:00+08:00"), 10),
        Err(CalendarError::YearNotCovered { year: 2023 })
    );
    // Absurd durations end at the edge of the data, without panicking.
    assert_eq!(
        due_after_working_hours(&cal, &h, at("2026-03-02T09:00:00+08:00"), i64::MAX),
        Err(CalendarError::YearNotCovered { year: 2027 })
    );
}

#[test]
fn working_days_over_national_day_2026() {
    let cal = cal();
    let h = hours();
    // Received Wednesday 09-30: 10-01..07 off, 10-08 (1), 10-09 (2), make-up Saturday 10-10 (3).
    let due = due_after_working_days(&cal, &h, at("2026-09-30T10:00:00+08:00"), 3).unwrap();
    assert_eq!(due, at("2026-10-10T18:00:00+08:00"));
    let due = due_after_working_days(&cal, &h, at("2026-09-30T10:00:00+08:00"), 1).unwrap();
    assert_eq!(due, at("2026-10-08T18:00:00+08:00"));
    // Received during the holiday: 10-08, 10-09, 10-10 (make-up), 10-12, 10-13.
    let due = due_after_working_days(&cal, &h, at("2026-10-03T10:00:00+08:00"), 5).unwrap();
    assert_eq!(due, at("2026-10-13T18:00:00+08:00"));
}

#[test]
fn working_days_from_friday_evening() {
    let cal = cal();
    let h = hours();
    let due = due_after_working_days(&cal, &h, at("2026-03-06T20:00:00+08:00"), 1).unwrap();
    assert_eq!(due, at("2026-03-09T18:00:00+08:00"));
    let due = due_after_working_days(&cal, &h, at("2026-03-06T20:00:00+08:00"), 2).unwrap();
    assert_eq!(due, at("2026-03-10T18:00:00+08:00"));
}

#[test]
fn working_days_never_count_the_day_of_receipt() {
    let cal = cal();
    let h = hours();
    // Monday 08:00, before work starts: still the next day.
    let due = due_after_working_days(&cal, &h, at("2026-03-02T08:00:00+08:00"), 1).unwrap();
    assert_eq!(due, at("2026-03-03T18:00:00+08:00"));
    // The day of receipt is the Shanghai date: Sunday 23:00 UTC is Monday in Shanghai.
    let due = due_after_working_days(&cal, &h, at("2026-03-01T23:00:00Z"), 1).unwrap();
    assert_eq!(due.to_rfc3339(), "2026-03-03T18:00:00+08:00");
    // Custom hours close at their own time.
    let h2 = WorkingHours::new(vec![(t("08:30"), t("17:30"))]).unwrap();
    let due = due_after_working_days(&cal, &h2, at("2026-03-02T08:00:00+08:00"), 1).unwrap();
    assert_eq!(due, at("2026-03-03T17:30:00+08:00"));
    // Zero days returns `from` converted.
    let due = due_after_working_days(&cal, &h, at("2026-03-02T01:00:00Z"), 0).unwrap();
    assert_eq!(due.to_rfc3339(), "2026-03-02T09:00:00+08:00");
    // Past the data.
    assert_eq!(
        due_after_working_days(&cal, &h, at("2026-12-30T10:00:00+08:00"), 2),
        Err(CalendarError::YearNotCovered { year: 2027 })
    );
    assert_eq!(
        due_after_working_days(&cal, &h, at("2026-03-02T10:00:00+08:00"), u32::MAX),
        Err(CalendarError::YearNotCovered { year: 2027 })
    );
}

#[test]
fn runaway_searches_stop() {
    // Eight covered years without holidays: a search longer than the cap stops.
    let files: Vec<(String, String)> = (2030..2038)
        .map(|y| {
            (
                format!("{y}.toml"),
                format!("year = {y}\nsource = \"test\"\n"),
            )
        })
        .collect();
    let cal = HolidayCalendar::from_sources(&files).unwrap();
    let from = at("2030-01-02T10:00:00+08:00");
    assert_eq!(
        due_after_working_days(&cal, &hours(), from, 100_000),
        Err(CalendarError::SearchLimit {
            from: d("2030-01-02"),
            days: MAX_SEARCH_DAYS
        })
    );
    assert_eq!(
        due_after_working_hours(&cal, &hours(), from, i64::MAX),
        Err(CalendarError::SearchLimit {
            from: d("2030-01-02"),
            days: MAX_SEARCH_DAYS
        })
    );
    // Within the cap it works: 2030-01-02 is a Wednesday, 5 days → Wednesday 01-09.
    assert_eq!(
        due_after_working_days(&cal, &hours(), from, 5).unwrap(),
        at("2030-01-09T18:00:00+08:00")
    );
}

// ---------------------------------------------------------------------------
// File validation
// ---------------------------------------------------------------------------

const GOOD_2026_HEAD: &str = "year = 2026\nsource = \"test\"\n";

fn load(name: &str, text: &str) -> Result<HolidayCalendar, CalendarError> {
    HolidayCalendar::from_sources(&[(name.to_string(), text.to_string())])
}

fn invalid_message(result: Result<HolidayCalendar, CalendarError>) -> String {
    match result {
        Err(CalendarError::Invalid { message, .. }) => message,
        other => panic!("expected Invalid, got {other:?}"),
    }
}

#[test]
fn toml_syntax_errors_carry_line_numbers() {
    let text = "year = 2026\nsource = \"test\"\n[[holiday]\nfestival = \"new_year\"\n";
    match load("calendar/2026.toml", text) {
        Err(CalendarError::Parse {
            file,
            line,
            message,
        }) => {
            assert_eq!(file, "calendar/2026.toml");
            assert_eq!(line, 3);
            assert!(!message.is_empty());
        }
        other => panic!("{other:?}"),
    }
    let err = load("calendar/2026.toml", text).unwrap_err().to_string();
    assert!(err.starts_with("calendar/2026.toml 第 3 行："), "{err}");
}

#[test]
fn shape_errors_carry_line_numbers() {
    // Unknown festival id on line 5.
    let text = format!(
        "{GOOD_2026_HEAD}\n[[holiday]]\nfestival = \"christmas\"\nname = \"圣诞节\"\nfrom = \"2026-12-25\"\nto = \"2026-12-25\"\n"
    );
    assert!(matches!(
        load("2026.toml", &text),
        Err(CalendarError::Parse { line: 5, .. })
    ));
    // Misspelt key on line 9.
    let text = format!(
        "{GOOD_2026_HEAD}\n[[holiday]]\nfestival = \"new_year\"\nname = \"元旦\"\nfrom = \"2026-01-01\"\nto = \"2026-01-03\"\nmakeup_workday = [\"2026-01-04\"]\n"
    );
    assert!(matches!(
        load("2026.toml", &text),
        Err(CalendarError::Parse { line: 9, .. })
    ));
    // Wrong type on line 1.
    assert!(matches!(
        load("2026.toml", "year = \"2026\"\nsource = \"test\"\n"),
        Err(CalendarError::Parse { line: 1, .. })
    ));
    // Missing year.
    assert!(matches!(
        load("2026.toml", "source = \"test\"\n"),
        Err(CalendarError::Parse { .. })
    ));
}

fn one_holiday(festival: &str, from: &str, to: &str, makeups: &str) -> String {
    // The holiday table starts on line 4; `from` is line 7, `to` line 8,
    // `makeup_workdays` line 9.
    format!(
        "{GOOD_2026_HEAD}\n[[holiday]]\nfestival = \"{festival}\"\nname = \"x\"\nfrom = {from}\nto = {to}\nmakeup_workdays = [{makeups}]\n"
    )
}

#[test]
fn content_errors_name_the_line() {
    let bad_date = one_holiday("new_year", "\"2026-02-30\"", "\"2026-03-01\"", "");
    let m = invalid_message(load("2026.toml", &bad_date));
    assert!(
        m.starts_with("第 7 行：") && m.contains("2026-02-30"),
        "{m}"
    );

    let sloppy = one_holiday("new_year", "\"2026-1-1\"", "\"2026-01-01\"", "");
    assert!(invalid_message(load("2026.toml", &sloppy)).starts_with("第 7 行："));

    let reversed = one_holiday("new_year", "\"2026-01-03\"", "\"2026-01-01\"", "");
    let m = invalid_message(load("2026.toml", &reversed));
    assert!(m.starts_with("第 8 行：") && m.contains("早于"), "{m}");

    // 2026-01-05 is a Monday.
    let weekday_makeup = one_holiday(
        "new_year",
        "\"2026-01-01\"",
        "\"2026-01-03\"",
        "\"2026-01-05\"",
    );
    let m = invalid_message(load("2026.toml", &weekday_makeup));
    assert!(m.starts_with("第 9 行：") && m.contains("星期一"), "{m}");

    let other_year = one_holiday("labour_day", "\"2025-05-01\"", "\"2025-05-05\"", "");
    let m = invalid_message(load("2026.toml", &other_year));
    assert!(m.starts_with("第 7 行：") && m.contains("2026"), "{m}");

    let empty_source = "year = 2026\nsource = \"  \"\n";
    assert!(invalid_message(load("2026.toml", empty_source)).starts_with("第 2 行："));

    // Bare TOML dates are accepted too.
    let bare = one_holiday("new_year", "2026-01-01", "2026-01-03", "2026-01-04");
    let cal = load("2026.toml", &bare).unwrap();
    assert!(cal.day(d("2026-01-04")).unwrap().makeup);
    let datetime = one_holiday("new_year", "2026-01-01T00:00:00", "2026-01-03", "");
    assert!(invalid_message(load("2026.toml", &datetime)).starts_with("第 7 行："));
}

#[test]
fn overlapping_holidays_are_rejected() {
    let text = format!(
        "{GOOD_2026_HEAD}
[[holiday]]
festival = \"mid_autumn\"
name = \"中秋节\"
from = \"2026-09-25\"
to = \"2026-10-01\"

[[holiday]]
festival = \"national_day\"
name = \"国庆节\"
from = \"2026-10-01\"
to = \"2026-10-07\"
"
    );
    let err = load("2026.toml", &text).unwrap_err();
    let m = invalid_message(Err(err.clone()));
    assert!(
        m.starts_with("第 10 行：") && m.contains("2026-10-01") && m.contains("重叠"),
        "{m}"
    );
    assert!(err.to_string().starts_with("2026.toml："), "{err}");

    // A make-up workday inside a holiday is an overlap too.
    let text = one_holiday(
        "spring_festival",
        "\"2026-02-14\"",
        "\"2026-02-23\"",
        "\"2026-02-15\"",
    );
    let m = invalid_message(load("2026.toml", &text));
    assert!(
        m.starts_with("第 9 行：") && m.contains("调休上班日"),
        "{m}"
    );
}

#[test]
fn festival_repeated_or_merged_twice_is_rejected() {
    let text = format!(
        "{GOOD_2026_HEAD}
[[holiday]]
festival = \"qingming\"
name = \"清明节\"
from = \"2026-04-04\"
to = \"2026-04-06\"

[[holiday]]
festival = \"qingming\"
name = \"清明节\"
from = \"2026-04-11\"
to = \"2026-04-11\"
"
    );
    assert!(invalid_message(load("2026.toml", &text)).starts_with("第 11 行："));
    let text = format!(
        "{GOOD_2026_HEAD}
[[holiday]]
festival = \"national_day\"
name = \"国庆节\"
from = \"2026-10-01\"
to = \"2026-10-07\"

[[holiday]]
festival = \"mid_autumn_national_day\"
name = \"国庆节·中秋节\"
from = \"2026-10-08\"
to = \"2026-10-08\"
"
    );
    assert!(invalid_message(load("2026.toml", &text)).contains("mid_autumn_national_day"));
}

#[test]
fn duplicate_and_misnamed_years_are_rejected() {
    let files = [
        ("a/2026.toml", GOOD_2026_HEAD),
        ("b/2026.toml", GOOD_2026_HEAD),
    ];
    match HolidayCalendar::from_sources(&files) {
        Err(CalendarError::Invalid { file, message }) => {
            assert_eq!(file, "b/2026.toml");
            assert!(
                message.starts_with("第 1 行：") && message.contains("a/2026.toml"),
                "{message}"
            );
        }
        other => panic!("{other:?}"),
    }
    // 2027.toml copied from 2026 without changing `year`.
    let m = invalid_message(load("calendar/2027.toml", GOOD_2026_HEAD));
    assert!(m.contains("2027") && m.contains("2026"), "{m}");
    // Names that are not a year are fine.
    assert_eq!(
        load("extra.toml", GOOD_2026_HEAD).unwrap().years(),
        vec![2026]
    );
    // Absurd years.
    assert!(
        invalid_message(load("x.toml", "year = 99999999999\nsource = \"t\"\n"))
            .starts_with("第 1 行：")
    );
}

#[test]
fn new_year_may_start_in_december_of_the_previous_year() {
    // As in the 2019 notice: 2018-12-30..2019-01-01 off, Saturday 2018-12-29 worked.
    let y2019 = "year = 2019
source = \"国务院办公厅关于2019年部分节假日安排的通知\"
[[holiday]]
festival = \"new_year\"
name = \"元旦\"
from = \"2018-12-30\"
to = \"2019-01-01\"
makeup_workdays = [\"2018-12-29\"]
";
    let only_2019 = load("2019.toml", y2019).unwrap();
    assert_eq!(
        only_2019.day(d("2019-01-01")).unwrap().kind,
        DayKind::Holiday
    );
    // 2018 itself is still not covered.
    assert_eq!(
        only_2019.day(d("2018-12-29")),
        Err(CalendarError::YearNotCovered { year: 2018 })
    );
    let both = HolidayCalendar::from_sources(&[
        ("2018.toml", "year = 2018\nsource = \"t\"\n"),
        ("2019.toml", y2019),
    ])
    .unwrap();
    let info = both.day(d("2018-12-29")).unwrap();
    assert_eq!((info.kind, info.makeup), (DayKind::Workday, true));
    assert_eq!(both.day(d("2018-12-31")).unwrap().kind, DayKind::Holiday);
    // Other festivals may not leave their year.
    let text = "year = 2019\nsource = \"t\"\n[[holiday]]\nfestival = \"labour_day\"\nname = \"劳动节\"\nfrom = \"2018-12-30\"\nto = \"2019-01-01\"\n";
    assert!(invalid_message(load("2019.toml", text)).starts_with("第 6 行："));
}

// ---------------------------------------------------------------------------
// Provisional answers for a year without a schedule
// ---------------------------------------------------------------------------

use kefu_core::calendar::{provisional_reason, statutory_festival_days, ProvisionalCalendar, Workdays};

#[test]
fn the_statutory_festival_days_are_holidays_in_every_published_schedule_under_the_2024_law() {
    // The 2024 revision of 《全国年节及纪念日放假办法》 is in force from
    // 2025: each day it fixes must be a holiday in the State Council's
    // notices for 2025 and 2026 (the lunar and solar-term dates included).
    let cal = cal();
    for year in [2025, 2026] {
        let days = statutory_festival_days(year);
        assert_eq!(days.len(), 13, "{year}: 13 statutory days off");
        for (date, festival) in days {
            let info = cal.day(date).expect("covered");
            assert_eq!(info.kind, DayKind::Holiday, "{date} ({festival}) is a holiday in {year}'s notice");
        }
    }
    assert_eq!(statutory_festival_days(2027).keys().filter(|d| d.month() == 2).count(), 4, "2027: 春节 除夕 to 初三 in February");
}

#[test]
fn a_year_without_a_schedule_is_answered_provisionally_and_remembered() {
    let cal = cal();
    let provisional = ProvisionalCalendar::new(&cal);
    // Covered years answer exactly as the calendar does, and guess nothing.
    assert_eq!(provisional.day_info(d("2026-10-10")).expect("covered"), cal.day(d("2026-10-10")).expect("covered"));
    assert!(provisional.guessed().is_empty());
    // 2027: weekends rest, statutory days holidays, other days workdays.
    assert_eq!(provisional.day_info(d("2027-01-01")).expect("guess").kind, DayKind::Holiday);
    assert_eq!(provisional.day_info(d("2027-01-02")).expect("guess").kind, DayKind::Rest);
    assert_eq!(provisional.day_info(d("2027-01-04")).expect("guess").kind, DayKind::Workday);
    assert_eq!(provisional.day_info(d("2027-10-01")).expect("guess").festival, Some(Festival::NationalDay));
    assert_eq!(provisional.guessed(), vec![2027]);
    assert!(provisional_reason(&provisional.guessed()).is_some_and(|r| r.starts_with("暂定") && r.contains("2027 年")));
    assert_eq!(provisional_reason(&[]), None);
    // The strict calendar still refuses.
    assert_eq!(cal.day(d("2027-01-04")), Err(CalendarError::YearNotCovered { year: 2027 }));
}

#[test]
fn deadlines_that_reach_an_unscheduled_year_are_provisional_and_strict_ones_still_refuse() {
    let cal = cal();
    // A walk-in complaint on Wednesday 2026-12-30: 3 working days are
    // 12-31, (元旦 1-1 off, weekend) 1-4 and 1-5.
    let from = at("2026-12-30T10:00:00+08:00");
    assert_eq!(due_after_working_days(&cal, &hours(), from, 3), Err(CalendarError::YearNotCovered { year: 2027 }));
    let provisional = ProvisionalCalendar::new(&cal);
    assert_eq!(due_after_working_days(&provisional, &hours(), from, 3).expect("provisional"), at("2027-01-05T18:00:00+08:00"));
    assert_eq!(provisional.take_guessed(), vec![2027]);
    assert!(provisional.take_guessed().is_empty(), "taken once");
    // A repair at 17:50 on 2026-12-31: 10 of its 20 working minutes spill into 2027.
    let due = due_after_working_hours(&provisional, &hours(), at("2026-12-31T17:50:00+08:00"), 20).expect("provisional");
    assert_eq!(due, at("2027-01-04T09:10:00+08:00"));
    assert_eq!(provisional.take_guessed(), vec![2027]);
    // Inside a covered year nothing is guessed.
    let due = due_after_working_hours(&provisional, &hours(), at("2026-12-01T10:00:00+08:00"), 20).expect("covered");
    assert_eq!(due, at("2026-12-01T10:20:00+08:00"));
    assert!(provisional.take_guessed().is_empty());
}
