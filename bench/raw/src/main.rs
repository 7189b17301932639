//! `lab-raw-bench ENDPOINT ACCESS_ID SECRET_KEY PROJECT_ID [CONCURRENCY [FIELDS]]`
//!
//! The ceiling of the benchmark: logs in once, then fetches every page of
//! `GET api/task-manager/tasks?pagination=true&page=N&limit=100&projectId=P&optionalFields=data`
//! (the requests `lab tasks` sends; FIELDS, comma-separated, replaces `data`, e.g.
//! `data,data.mask,jobs,metrics` for the requests of `lab export`) with CONCURRENCY requests
//! in flight (default 4, the client's page concurrency). Each body is read in full and only its
//! `docs` length is checked. Prints one JSON line: `{"tasks", "pages", "seconds", "tasks_per_s"}`.

use std::time::Instant;

use anyhow::{Context, Result, bail};
use futures::StreamExt;
use serde_json::Value;

const LIMIT: u64 = 100;

async fn page(
    http: &reqwest::Client,
    endpoint: &str,
    token: &str,
    project: &str,
    fields: &[String],
    page: u64,
) -> Result<Value> {
    let url = format!("{endpoint}api/task-manager/tasks");
    let mut query = vec![
        ("pagination", "true".to_string()),
        ("page", page.to_string()),
        ("limit", LIMIT.to_string()),
        ("projectId", project.to_string()),
    ];
    query.extend(fields.iter().map(|f| ("optionalFields", f.clone())));
    let resp = http
        .get(url)
        .bearer_auth(token)
        .query(&query)
        .send()
        .await?;
    let status = resp.status();
    let bytes = resp.bytes().await?;
    if !status.is_success() {
        bail!("page {page}: HTTP {status}");
    }
    Ok(serde_json::from_slice(&bytes)?)
}

#[tokio::main]
async fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 4 {
        bail!(
            "usage: lab-raw-bench ENDPOINT ACCESS_ID SECRET_KEY PROJECT_ID [CONCURRENCY [FIELDS]]"
        );
    }
    let mut endpoint = args[0].clone();
    if !endpoint.ends_with('/') {
        endpoint.push('/');
    }
    let conc: usize = match args.get(4) {
        Some(c) => c.parse().context("CONCURRENCY must be a number")?,
        None => 4,
    };
    let http = reqwest::Client::new();
    let login: Value = http
        .post(format!("{endpoint}api/user-manager/auth/login"))
        .form(&[("access_id", &args[1]), ("secret_key", &args[2])])
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let token = login["access_token"]
        .as_str()
        .context("no access_token in the login response")?
        .to_string();
    let project = args[3].clone();
    let fields: Vec<String> = args
        .get(5)
        .map_or("data", String::as_str)
        .split(',')
        .filter(|f| !f.is_empty())
        .map(str::to_string)
        .collect();

    let start = Instant::now();
    let first = page(&http, &endpoint, &token, &project, &fields, 1).await?;
    let total_pages = first["totalPages"].as_u64().unwrap_or(1);
    let mut tasks = first["docs"].as_array().map_or(0, Vec::len) as u64;
    let mut rest = futures::stream::iter(2..=total_pages)
        .map(|p| page(&http, &endpoint, &token, &project, &fields, p))
        .buffer_unordered(conc.max(1));
    while let Some(p) = rest.next().await {
        tasks += p?["docs"].as_array().map_or(0, Vec::len) as u64;
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{}",
        serde_json::json!({
            "tasks": tasks,
            "pages": total_pages,
            "seconds": secs,
            "tasks_per_s": tasks as f64 / secs.max(1e-9),
        })
    );
    Ok(())
}
