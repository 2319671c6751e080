//! Unit tests of `llmux usage`'s parsing and formatting.

use super::format::{cost, days_from_civil, millis, table, thousands, utc};
use super::{parse_period, parse_status, parse_time};
use llmux_store::StatusClass;

#[test]
fn thousands_separators() {
    for (n, want) in [
        (0, "0"),
        (999, "999"),
        (1_000, "1,000"),
        (12_345, "12,345"),
        (1_234_567, "1,234,567"),
    ] {
        assert_eq!(thousands(n), want);
    }
}

#[test]
fn cost_and_millis_units() {
    assert_eq!(cost(Some(0.012_345)), "0.0123");
    assert_eq!(cost(None), "—");
    assert_eq!(millis(Some(1_234.6)), "1,235 ms");
    assert_eq!(millis(None), "—");
}

#[test]
fn utc_round_trips_dates() {
    assert_eq!(utc(0), "1970-01-01 00:00:00");
    // 2024-02-29 (a leap day) 13:05:09.
    let ms = (days_from_civil(2024, 2, 29) * 86_400 + 13 * 3600 + 5 * 60 + 9) * 1000;
    assert_eq!(utc(ms), "2024-02-29 13:05:09");
    assert_eq!(days_from_civil(2000, 3, 1), 11_017);
}

#[test]
fn periods_parse_to_millis() {
    for (text, want) in [
        ("90s", Ok(90_000)),
        ("30m", Ok(1_800_000)),
        ("24h", Ok(86_400_000)),
        ("7d", Ok(604_800_000)),
    ] {
        assert_eq!(parse_period(text), want);
    }
    for bad in ["", "h", "24", "24w", "-1h", "1.5h"] {
        assert!(parse_period(bad).is_err(), "{bad:?} accepted");
    }
}

#[test]
fn times_parse_as_utc() {
    let day = days_from_civil(2026, 11, 22) * 86_400_000;
    for (text, want) in [
        ("2026-11-22", day),
        ("2026-11-22T14:00", day + 14 * 3_600_000),
        ("2026-11-22 14:00:30Z", day + 14 * 3_600_000 + 30_000),
        ("1700000000000", 1_700_000_000_000),
    ] {
        assert_eq!(parse_time(text), Ok(want), "{text}");
    }
    for bad in [
        "2026-13-01",
        "2026-11",
        "2026-11-22T25:00",
        "yesterday",
        "2026-11-22T1:2:3:4",
    ] {
        assert!(parse_time(bad).is_err(), "{bad:?} accepted");
    }
}

#[test]
fn status_classes() {
    assert_eq!(parse_status("2xx"), Ok(StatusClass::Success));
    assert_eq!(parse_status("4XX"), Ok(StatusClass::ClientError));
    assert_eq!(parse_status("5xx"), Ok(StatusClass::ServerError));
    assert!(parse_status("200").is_err());
}

#[test]
fn tables_align_left_and_right() {
    let rows = vec![
        vec!["a".to_owned(), "1".to_owned()],
        vec!["longer".to_owned(), "1,000".to_owned()],
    ];
    assert_eq!(
        table(&["name", "n"], &[false, true], &rows),
        ["name        n", "a           1", "longer  1,000"]
    );
}
