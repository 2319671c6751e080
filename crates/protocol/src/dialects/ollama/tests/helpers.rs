//! Image type detection and timestamps.

use super::super::time::{format_rfc3339, parse_rfc3339};
use super::super::*;

#[test]
fn detects_image_types_from_magic_bytes() {
    for (data, mime) in [
        ("iVBORw0KGgoAAAANSUhEUg==", Some("image/png")),
        ("/9j/4AAQSkZJRgA=", Some("image/jpeg")),
        ("_9j_4AAQSkZJRgA=", Some("image/jpeg")),
        ("R0lGODlhAQABAIAA", Some("image/gif")),
        ("R0lGODdhAQA=", Some("image/gif")),
        ("UklGRiQAAABXRUJQVlA4IA==", Some("image/webp")),
        ("UklGRiQAAABXQVZFZm10IA==", None),
        ("  iVBORw0KGgo", Some("image/png")),
        ("iVBORw0K", None),
        ("", None),
        ("JVBERi0xLjQK", None),
        ("!!!!", None),
        ("é", None),
    ] {
        assert_eq!(detect_image_mime(data), mime, "{data}");
    }
}

#[test]
fn timestamps() {
    for (text, secs) in [
        ("1970-01-01T00:00:00Z", Some(0)),
        ("2024-07-02T11:45:16.216898458Z", Some(1_719_920_716)),
        ("2023-08-04T08:52:19.385406455-07:00", Some(1_691_164_339)),
        ("2023-08-04T15:52:19+00:00", Some(1_691_164_339)),
        ("2000-02-29T12:00:00z", Some(951_825_600)),
        ("1969-12-31T23:59:59Z", None),
        ("2024-13-01T00:00:00Z", None),
        ("2024-07-02T11:45:16", None),
        ("2024-07-02 11:45:16Z", Some(1_719_920_716)),
        ("2024-07-02T11:45:16.Z", Some(1_719_920_716)),
        ("2024-07-02T11:45:16+0100", None),
        ("not a time", None),
        ("", None),
    ] {
        assert_eq!(parse_rfc3339(text), secs, "{text}");
    }
    assert_eq!(format_rfc3339(0, 0), "1970-01-01T00:00:00Z");
    assert_eq!(
        format_rfc3339(951_825_600, 500_000_000),
        "2000-02-29T12:00:00.5Z"
    );
    assert_eq!(
        format_rfc3339(1_719_920_716, 216_898_458),
        "2024-07-02T11:45:16.216898458Z"
    );
}
