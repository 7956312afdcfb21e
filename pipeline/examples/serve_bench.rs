//! The submission service's benchmark (run by `ci/bench service`, never as a test): the
//! national estate's returns uploaded by concurrent clients, then 10 MB inventories, against
//! the service on loopback with its landing zone and state in a folder given on the command
//! line (tmpfs or disk). Prints uploads per second and p50/p99/max time to a receipt.
//!
//!   serve_bench WORK_DIR [CLIENTS] [INVENTORIES]

// A benchmark reads and writes plain files and stops at the first failure.
#![allow(clippy::disallowed_methods, clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use baseline::contract::{Contract, Organisations};
use baseline::serve::tokens::{self, Role};
use baseline::serve::{App, ServiceConfig, ServiceSettings, Vault};
use baseline::storage::Location;
use baseline::validate::Limits;

const PERIOD: &str = "2026-10";

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn main() {
    let mut args = std::env::args().skip(1);
    let work = PathBuf::from(
        args.next()
            .expect("serve_bench WORK_DIR [CLIENTS] [INVENTORIES]"),
    );
    let clients: usize = args.next().map_or(50, |a| a.parse().unwrap());
    let inventories: usize = args.next().map_or(20, |a| a.parse().unwrap());
    let contract = Contract::load(&workspace().join("schemas")).unwrap();
    let plan = baseline::generate::Plan::national(1, 1, 0.0, PERIOD.parse().unwrap(), 1);
    let generated = work.join("generated");
    baseline::generate::generate(&plan, &contract.dictionary, &generated).unwrap();
    let landing_dir = generated.join("landing");
    let mut returns = Vec::new();
    let mut largest_inventory: Option<(u64, PathBuf)> = None;
    for entry in walk(&landing_dir) {
        let name = entry.file_name().unwrap().to_string_lossy().into_owned();
        if name.contains("_return.") {
            returns.push(entry);
        } else if let Ok(meta) = std::fs::metadata(&entry)
            && largest_inventory
                .as_ref()
                .is_none_or(|(size, _)| meta.len() > *size)
        {
            largest_inventory = Some((meta.len(), entry));
        }
    }
    let orgs = Organisations::load(
        &generated.join("reference/organisations.csv"),
        &contract.dictionary.org_types,
    )
    .unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async move {
        let service = work.join("service");
        let app = App::new(
            ServiceConfig {
                contract,
                orgs,
                standards: workspace().join("schemas/standards"),
                limits: Limits::default(),
                period: PERIOD.parse().unwrap(),
                settings: ServiceSettings {
                    token_per_second: 100_000,
                    token_burst: 100_000,
                    address_per_second: 100_000,
                    address_burst: 100_000,
                    ..ServiceSettings::default()
                },
            },
            Location::open(service.join("landing").to_str().unwrap(), &[], true).unwrap(),
            Vault::open(
                Location::open(service.join("state").to_str().unwrap(), &[], true).unwrap(),
            )
            .await
            .unwrap(),
        );
        let base = listen(app.clone()).await;
        println!(
            "service: {} returns, {clients} concurrent clients, state and landing zone in {}",
            returns.len(),
            work.display()
        );
        let jobs = returns_jobs(&app, &returns).await;
        report("returns", upload_all(&base, jobs, clients).await);
        if let Some((size, inventory)) = largest_inventory {
            let jobs = inventory_jobs(&app, &inventory, size, inventories).await;
            report("10 MB inventories", upload_all(&base, jobs, 4).await);
        }
    });
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files.sort();
    files
}

async fn listen(app: App) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(baseline::serve::serve_on(
        listener,
        app,
        std::future::pending(),
    ));
    format!("http://{address}")
}

/// (token, file name, bytes) for every return, each organisation with its own token.
async fn returns_jobs(app: &App, returns: &[PathBuf]) -> Vec<(String, String, Vec<u8>)> {
    let mut jobs = Vec::new();
    for path in returns {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let org = name.split('_').next().unwrap().to_string();
        jobs.push((token(app, &org).await, name, std::fs::read(path).unwrap()));
    }
    jobs
}

async fn token(app: &App, org: &str) -> String {
    let days = chrono::Duration::days(1);
    tokens::issue(&app.vault, org, Role::Submitter, days, chrono::Utc::now())
        .await
        .unwrap()
        .0
}

/// Inventories of about 10 MB: the largest generated one, its device rows repeated.
async fn inventory_jobs(
    app: &App,
    inventory: &Path,
    size: u64,
    count: usize,
) -> Vec<(String, String, Vec<u8>)> {
    let text = std::fs::read_to_string(inventory).unwrap();
    let (header, rows) = text.split_once('\n').unwrap();
    let copies = (10_000_000 / size.max(1)).max(1) as usize;
    let body = format!("{header}\n{}", rows.repeat(copies));
    let name = inventory
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    let org = name.split('_').next().unwrap().to_string();
    let token = token(app, &org).await;
    (0..count)
        .map(|i| {
            // Different bytes each time, so each is a new upload.
            let bytes = format!("{body}{}", "\n".repeat(i)).into_bytes();
            (token.clone(), name.clone(), bytes)
        })
        .collect()
}

/// Uploads every job with `clients` at once; the time to each receipt, and the wall time.
async fn upload_all(
    base: &str,
    jobs: Vec<(String, String, Vec<u8>)>,
    clients: usize,
) -> (Vec<Duration>, Duration, usize) {
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let queue = Arc::new(tokio::sync::Mutex::new(jobs));
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..clients {
        let (client, queue, base) = (client.clone(), queue.clone(), base.to_string());
        workers.push(tokio::spawn(async move {
            let (mut times, mut failed) = (Vec::new(), 0);
            loop {
                let Some((token, name, bytes)) = queue.lock().await.pop() else {
                    break;
                };
                let sent = Instant::now();
                let response = client
                    .put(format!("{base}/api/v1/files/{name}"))
                    .bearer_auth(token)
                    .body(bytes)
                    .send()
                    .await
                    .unwrap();
                let status = response.status();
                let _ = response.bytes().await.unwrap();
                times.push(sent.elapsed());
                failed += usize::from(!(status.is_success() || status.as_u16() == 422));
            }
            (times, failed)
        }));
    }
    let (mut times, mut failed) = (Vec::new(), 0);
    for worker in workers {
        let (t, f) = worker.await.unwrap();
        times.extend(t);
        failed += f;
    }
    (times, started.elapsed(), failed)
}

fn report(what: &str, (mut times, wall, failed): (Vec<Duration>, Duration, usize)) {
    times.sort();
    let at = |q: f64| times[((times.len() as f64 * q) as usize).min(times.len() - 1)];
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "  {what}: {} uploads in {:.1} s ({:.0}/s), time to receipt p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms; {failed} failed",
        times.len(),
        wall.as_secs_f64(),
        times.len() as f64 / wall.as_secs_f64(),
        ms(at(0.5)),
        ms(at(0.99)),
        ms(*times.last().unwrap())
    );
}
