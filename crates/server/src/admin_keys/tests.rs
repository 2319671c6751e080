//! The key body's checks, table-driven.

use super::*;

#[test]
fn key_bodies_are_checked_like_the_command_line() {
    let now = 1_000;
    let ok = KeyBody {
        name: Some("alice".into()),
        ..KeyBody::default()
    };
    // (body, creating, the field at fault)
    let cases: Vec<(KeyBody, bool, Option<&str>)> = vec![
        (KeyBody { ..ok_clone(&ok) }, true, None),
        (KeyBody::default(), true, Some("name")),
        (KeyBody::default(), false, None),
        (
            KeyBody {
                name: Some("  ".into()),
                ..KeyBody::default()
            },
            true,
            Some("name"),
        ),
        (
            KeyBody {
                budget_usd: Some(-1.0),
                ..ok_clone(&ok)
            },
            true,
            Some("budget_usd"),
        ),
        (
            KeyBody {
                budget_usd: Some(f64::NAN),
                ..ok_clone(&ok)
            },
            true,
            Some("budget_usd"),
        ),
        (
            KeyBody {
                models: Some(vec![" ".into()]),
                ..ok_clone(&ok)
            },
            true,
            Some("models"),
        ),
        (
            KeyBody {
                expires_at_ms: Some(999),
                ..ok_clone(&ok)
            },
            true,
            Some("expires_at_ms"),
        ),
        (
            KeyBody {
                expires_at_ms: Some(2_000),
                ..ok_clone(&ok)
            },
            true,
            None,
        ),
        (
            KeyBody {
                tags: Some(vec!["bad tag".into()]),
                ..ok_clone(&ok)
            },
            true,
            Some("tags"),
        ),
        (
            KeyBody {
                tags: Some(vec!["team-a".into()]),
                ..ok_clone(&ok)
            },
            true,
            None,
        ),
    ];
    for (body, creating, want) in cases {
        let got = check(&body, creating, now).err().map(|(f, _)| f);
        assert_eq!(got, want, "{body:?}");
    }
}

fn ok_clone(b: &KeyBody) -> KeyBody {
    KeyBody {
        name: b.name.clone(),
        ..KeyBody::default()
    }
}
