//! `admin:` from the file and the environment: precedence, `_FILE` secrets, conflicts.

use crate::config::{Config, Env};

fn load(yaml: &str, env: &[(&str, &str)]) -> Result<Config, String> {
    Config::load(
        Some(("t.yaml", yaml)),
        &Env::from_pairs(env.iter().copied()),
    )
    .map_err(|e| e.to_string())
}

#[test]
fn absent_section_means_no_credentials_and_open_metrics() {
    let c = load("{}", &[]).unwrap();
    assert!(!c.admin.has_credentials());
    assert!(!c.admin.protect_metrics);
}

#[test]
fn file_values_are_read() {
    let c = load(
        "admin: { token: tok-file, password: pw-file, protect_metrics: true }",
        &[],
    )
    .unwrap();
    assert_eq!(c.admin.token.as_ref().unwrap().expose(), "tok-file");
    assert_eq!(c.admin.password.as_ref().unwrap().expose(), "pw-file");
    assert!(c.admin.protect_metrics);
}

#[test]
fn environment_wins_over_the_file() {
    let c = load(
        "admin: { token: tok-file }",
        &[
            ("LLMUX_ADMIN_TOKEN", "tok-env"),
            ("LLMUX_ADMIN_PASSWORD", "pw-env"),
        ],
    )
    .unwrap();
    assert_eq!(c.admin.token.as_ref().unwrap().expose(), "tok-env");
    assert_eq!(c.admin.password.as_ref().unwrap().expose(), "pw-env");
}

#[test]
fn secrets_come_from_files_with_the_newline_trimmed() {
    let dir = tempfile::tempdir().unwrap();
    let tok = dir.path().join("tok");
    let pw = dir.path().join("pw");
    std::fs::write(&tok, "tok-from-file\n").unwrap();
    std::fs::write(&pw, "pw-from-file\n").unwrap();
    let yaml = format!("admin: {{ token_file: {:?} }}", tok.display().to_string());
    let env = [("LLMUX_ADMIN_PASSWORD_FILE", pw.to_str().unwrap())];
    let c = load(&yaml, &env).unwrap();
    assert_eq!(c.admin.token.as_ref().unwrap().expose(), "tok-from-file");
    assert_eq!(c.admin.password.as_ref().unwrap().expose(), "pw-from-file");
}

#[test]
fn literal_and_file_together_or_missing_file_are_errors() {
    let e = load("admin: { token: a, token_file: /nope }", &[]).unwrap_err();
    assert!(e.contains("admin.token_file"), "{e}");
    let e = load("admin: { password_file: /definitely/not/here }", &[]).unwrap_err();
    assert!(e.contains("cannot read secret file"), "{e}");
    let e = load("admin: { bogus: 1 }", &[]).unwrap_err();
    assert!(e.contains("bogus"), "{e}");
}

#[test]
fn the_token_never_prints() {
    let c = load("admin: { token: super-secret-token }", &[]).unwrap();
    assert!(!format!("{:?}", c.admin).contains("super-secret-token"));
}
