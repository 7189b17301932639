use super::*;
use labdesk_app::profiles::ProfileDraft;
use tracing_subscriber::filter::LevelFilter;

const SECRET: &str = "Zq8-very-secret-KEY-4711";

#[test]
fn secret_never_prints_its_value() {
    let s = Secret::new(SECRET);
    assert_eq!(format!("{s}"), REDACTED);
    assert_eq!(format!("{s:?}"), REDACTED);
    assert_eq!(s.expose(), SECRET);
    let draft = ProfileDraft {
        name: "Work".into(),
        endpoint: "https://lab.example/".into(),
        access_id: "acc".into(),
        secret_key: SECRET.into(),
    };
    let dbg = format!("{draft:?}");
    assert!(!dbg.contains(SECRET), "{dbg}");
    assert!(dbg.contains("acc"));
}

#[test]
fn scrub_masks_tokens_in_free_text() {
    let line = format!(
        r#"GET /x Authorization: Bearer eyJabc.def-ghi secret_key={SECRET} {{"secretKey":"{SECRET}","token":"t0k"}} password=hunter2 ok"#
    );
    let out = scrub(&line);
    for leaked in [SECRET, "eyJabc.def-ghi", "t0k", "hunter2"] {
        assert!(!out.contains(leaked), "{leaked} in {out}");
    }
    assert!(out.contains("GET /x") && out.ends_with(" ok"), "{out}");
    assert_eq!(scrub("nothing to hide here"), "nothing to hide here");
    assert!(is_secret_field("secret_key") && is_secret_field("accessToken"));
    assert!(!is_secret_field("access_id") && !is_secret_field("task"));
}

#[test]
fn recent_errors_keep_the_last_ones_redacted() {
    let r = RecentErrors::default();
    for i in 0..(RECENT_CAPACITY + 5) {
        r.push(format!("error {i} token={SECRET}"));
    }
    let l = r.list();
    assert_eq!(l.len(), RECENT_CAPACITY);
    assert!(l[0].starts_with("error 5 "));
    assert!(l.iter().all(|x| !x.contains(SECRET)));
}

fn log_text(dir: &Path) -> String {
    let mut text = String::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        assert!(
            name.starts_with("labdesk.") && name.ends_with(".log"),
            "{name}"
        );
        text.push_str(&std::fs::read_to_string(e.path()).unwrap());
    }
    text
}

/// Logs a whole flow at TRACE level (sign-in with a wrong then the right secret, projects,
/// create a batch, failing calls) and checks the secret and bearer tokens are nowhere in the log.
#[tokio::test]
async fn full_flow_log_has_no_secret() {
    let tmp = tempfile::tempdir().unwrap();
    let logs = tmp.path().join("logs");
    let recent = RecentErrors::default();
    let sub = tracing_subscriber::registry()
        .with(file_layer(log_appender(&logs).unwrap()).with_filter(LevelFilter::TRACE))
        .with(recent.clone());
    let _g = tracing::subscriber::set_default(sub);

    let sb = lab_sandbox::Sandbox::open(lab_sandbox::Config::new(tmp.path().join("sb"))).unwrap();
    sb.load_demo().unwrap();
    sb.add_credentials("support-acc", SECRET).unwrap();
    let running = lab_sandbox::start(sb, ([127, 0, 0, 1], 0).into())
        .await
        .unwrap();

    let core = labdesk_app::core::test_core(tmp.path());
    let draft = |secret: &str| ProfileDraft {
        name: "Support".into(),
        endpoint: running.base_url.clone(),
        access_id: "support-acc".into(),
        secret_key: secret.into(),
    };
    tracing::debug!(draft = ?draft(SECRET), "adding a profile");
    let wrong = core
        .test_connection(None, draft("wrong-secret-value"))
        .await;
    assert!(wrong.is_err());
    let p = core.add_profile(draft(SECRET)).unwrap();
    let info = core.connect(p.id.clone()).await.unwrap();
    tracing::info!(endpoint = %info.endpoint, secret_key = SECRET, "connected");
    tracing::warn!("login answered: Authorization: Bearer abc.def.ghi secretKey={SECRET}");
    let projects = core
        .list_projects(lab_client::ProjectFilter::default())
        .await
        .unwrap();
    assert!(!projects.is_empty());
    let client = core.client().await.unwrap();
    let batch = client
        .create_batch(&projects[0].id, "from the log test")
        .await
        .unwrap();
    tracing::info!(batch = %batch.id, "batch created");
    let missing = core.project_overview("no-such-project".into()).await;
    assert!(missing.is_err());
    tracing::error!(error = %missing.unwrap_err(), "overview failed");
    running.shutdown().await;

    let text = log_text(&logs);
    assert!(text.contains("batch created"), "{text}");
    assert!(
        text.contains("support-acc"),
        "the access id is not a secret"
    );
    assert!(!text.contains(SECRET), "secret in the log:\n{text}");
    assert!(
        !text.contains("abc.def.ghi"),
        "bearer token in the log:\n{text}"
    );
    assert!(!text.contains("wrong-secret-value"), "{text}");
    let recent = recent.list();
    assert!(recent.iter().any(|l| l.contains("overview failed")));
    assert!(recent.iter().all(|l| !l.contains(SECRET)));
}

#[tokio::test]
async fn probe_tells_reachable_from_stopped() {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    let url = format!("http://127.0.0.1:{port}/api/");
    assert!(probe(&url, Duration::from_secs(3)).await.is_ok());
    drop(l);
    let e = probe(&url, Duration::from_secs(3)).await.unwrap_err();
    assert!(e.contains(&port.to_string()), "{e}");
    assert!(probe("not a url", Duration::from_secs(1)).await.is_err());
}

#[test]
fn report_has_versions_and_host_only() {
    let text = report_text(&ReportInput {
        version: "0.1.0",
        commit: "abc123",
        tauri: "2.12.0",
        webview: "2.48",
        os: os_description(),
        locale: "fr",
        profile_kind: Some("custom profile"),
        endpoint: Some("https://user:pw@lab.example.com:8443/api/v1/?token=zzz"),
        log_dir: Path::new("/tmp/logs"),
        recent: vec![format!("WARN x: failed secret_key={SECRET}")],
    });
    assert!(text.contains("Lab Desk 0.1.0 (commit abc123)"), "{text}");
    assert!(
        text.contains("endpoint host lab.example.com:8443"),
        "{text}"
    );
    for leaked in ["/api/v1", "zzz", "user:pw", SECRET] {
        assert!(!text.contains(leaked), "{leaked} in {text}");
    }
    assert!(text.contains(std::env::consts::OS));
    assert!(text.contains("Recent errors (1)"));
}
