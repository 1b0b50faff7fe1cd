//! `rightsgate serve`: the web server and case-review desk, on the data directory's SQLite store by default.
//!
//! `--demo` needs no `rightsgate init`: it seeds a fresh database in a temporary directory with generated
//! requests and one account per role, and prints the accounts' passwords once on start.

use std::io::Write;
use std::net::SocketAddr;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context as _;

use crate::{clock, data_dir};

/// Options of `rightsgate serve`.
#[derive(Debug, clap::Args)]
pub(crate) struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    #[command(flatten)]
    store: crate::StoreArgs,
    #[command(flatten)]
    inputs: crate::ScreeningArgs,
    /// Seed a fresh demo database (generated requests, one account per role) and print the accounts.
    #[arg(long)]
    demo: bool,
    /// How many generated requests the demo holds.
    #[arg(long, default_value_t = 200, requires = "demo")]
    demo_requests: usize,
    /// Mark session cookies `Secure` (set this when TLS terminates in front of the server).
    #[arg(long)]
    secure_cookies: bool,
    /// Throttle sign-ins by the last `X-Forwarded-For` entry (set this behind a reverse proxy that appends it).
    #[arg(long)]
    trust_forwarded_for: bool,
    /// A witness to offer checkpoints to: `VKEY=URL`, its cosignature verifier key and its `add-checkpoint` URL
    /// (repeat for each witness).
    #[arg(long = "witness", value_name = "VKEY=URL")]
    witnesses: Vec<String>,
    /// How many witnesses must cosign before a checkpoint is published at /ledger/checkpoint (default: all).
    #[arg(long)]
    quorum: Option<usize>,
    /// Seconds between offers of a grown ledger to the witnesses.
    #[arg(long, default_value_t = 30)]
    cosign_every: u64,
    /// Answer inclusion and consistency proofs from a copy of the whole ledger tree held in memory (about 64 MB
    /// per million leaves, loaded at start-up in the background) instead of from the database.
    #[arg(long)]
    proof_mirror: bool,
    /// The served state's framework for the assessment pages; `frameworks/XX.toml` when it exists.
    #[arg(long, value_name = "FILE")]
    framework: Option<std::path::PathBuf>,
}

/// Runs the server until interrupted.
pub(crate) fn run(args: &ServeArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let ctx = match args.inputs.load() {
        Ok(ctx) => ctx,
        Err(problems) => {
            let mut err = std::io::stderr().lock();
            for p in problems {
                writeln!(err, "{p}")?;
            }
            return Ok(ExitCode::from(crate::INVALID));
        }
    };
    // The assessment pages read the same files screening does, plus the state's framework.
    let state = ctx.policy().state.clone();
    let framework = args.framework.clone().or_else(|| app::assess::default_framework(&state));
    let assessment = match app::assess::load(
        &state,
        &args.inputs.lawpacks,
        &args.inputs.policy,
        framework.as_deref(),
    ) {
        Ok(loaded) => loaded,
        Err(problems) => {
            crate::evaluate::report(&mut std::io::stderr().lock(), &problems)?;
            return Ok(ExitCode::from(crate::INVALID));
        }
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("RIGHTSGATE_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .try_init();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(serve(args, ctx, assessment, out))?;
    Ok(ExitCode::SUCCESS)
}

async fn serve(
    args: &ServeArgs,
    ctx: rules::Context,
    assessment: app::assess::Loaded,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .context("installing the SIGTERM handler")?;
    // The demo's throwaway database lives in a temporary directory removed when `serve` returns.
    let mut demo_dir = None;
    let (url, sealer, signer) = if args.demo {
        let dir = tempfile::Builder::new()
            .prefix("rightsgate-demo-")
            .tempdir()
            .context("creating the demo's temporary directory")?;
        let db = dir.path().join("demo.db");
        let url = args.store.db.clone().unwrap_or(format!("sqlite://{}?mode=rwc", db.display()));
        demo_dir = Some(dir);
        writeln!(out, "demo database: {}", store::redact_url(&url))?;
        // The demo signs its checkpoints with a throwaway key, so witnesses and monitors have something to check.
        let demo_signer =
            ledger::NoteSigner::from_seed("rightsgate.demo/ledger", store::Sealer::generate_key())
                .map_err(|e| anyhow::anyhow!("demo signing key: {e}"))?;
        (url, store::Sealer::new(&store::Sealer::generate_key()), Some(demo_signer))
    } else {
        let url = data_dir::db_or_default(args.store.db.as_deref())?;
        let sealer = args.store.sealer()?;
        let signing = data_dir::dir()?.join(data_dir::SIGNING_KEY_FILE);
        (url, sealer, read_signer(&signing)?)
    };
    let mut policy = match app::cosign::Policy::from_flags(&args.witnesses, args.quorum) {
        Ok(policy) => policy,
        Err(msg) => anyhow::bail!(msg),
    };
    let store = store::Store::connect(&url).await.context("opening the database")?;
    let store = if args.proof_mirror { with_loaded_mirror(&store) } else { store };
    if args.demo {
        seed(&store, &sealer, &ctx, args.demo_requests, out).await?;
    }
    let origin = signer.as_ref().map_or("rightsgate/ledger".to_owned(), |s| s.name().to_owned());
    // The demo's witness runs in this process, with its state in the demo's temporary directory; it is also
    // served at /witness/add-checkpoint.
    let mut demo_witness = None;
    if let (Some(dir), Some(log)) = (&demo_dir, &signer) {
        let cosigner = ledger::Cosigner::from_seed("witness.demo", store::Sealer::generate_key())
            .map_err(|e| anyhow::anyhow!("demo witness key: {e}"))?;
        let mut logs = witness::Logs::new();
        logs.add(&origin, log.verifier());
        let state = witness::State::open(&dir.path().join("witness"))
            .await
            .context("the demo witness's state")?;
        let w = witness::Witness::new(cosigner, logs, state);
        policy.witnesses.push(app::cosign::Witness {
            verifier: w.cosigner().verifier(),
            link: app::cosign::Link::Local(w.clone()),
        });
        policy.quorum = policy.quorum.max(1);
        demo_witness = Some(w);
    }
    if let Some(log) = &signer {
        writeln!(out, "ledger verifier key: {}", log.verifier())?;
        for w in &policy.witnesses {
            writeln!(out, "witness verifier key: {}", w.verifier)?;
        }
        if !policy.witnesses.is_empty() {
            cosign_loop(
                store.clone(),
                log.clone(),
                origin.clone(),
                policy.clone(),
                args.cosign_every,
                out,
            )
            .await;
        }
    } else if !policy.witnesses.is_empty() {
        anyhow::bail!("--witness needs the ledger signing key (`rightsgate init` writes it)");
    }
    let config = server::Config {
        secure_cookies: args.secure_cookies,
        trust_forwarded_for: args.trust_forwarded_for,
        signer,
        origin,
        assessment: Some(assessment),
        ..server::Config::default()
    };
    let state = server::AppState::new(store, sealer, ctx, config);
    let listener = tokio::net::TcpListener::bind(args.addr)
        .await
        .with_context(|| format!("listening on {}", args.addr))?;
    let addr = listener.local_addr()?;
    writeln!(out, "rightsgate listening on http://{addr}/")?;
    out.flush()?;
    tracing::info!(%addr, "listening");
    let mut router = server::router(state);
    if let Some(w) = demo_witness {
        router = router.nest("/witness", witness::router(w, posix_now));
    }
    // The peer address reaches handlers as `ConnectInfo`, which sign-in throttling keys on.
    axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown(terminate))
        .await
        .context("serving")?;
    if let Some(dir) = demo_dir {
        dir.close().context("removing the demo's temporary directory")?;
    }
    Ok(())
}

fn posix_now() -> u64 {
    u64::try_from(clock::now().unix_timestamp()).unwrap_or(0)
}

/// Gathers cosignatures once now (so the first checkpoint is co-signed before the server answers), then every
/// `every` seconds in the background whenever the ledger has grown past the last co-signed checkpoint.
async fn cosign_loop(
    store: store::Store,
    signer: ledger::NoteSigner,
    origin: String,
    policy: app::cosign::Policy,
    every: u64,
    out: &mut dyn Write,
) {
    let once = |store: store::Store,
                signer: ledger::NoteSigner,
                origin: String,
                policy: app::cosign::Policy| async move {
        let size = store.tree_size().await.unwrap_or(0);
        let last = store.latest_cosigned_checkpoint().await.ok().flatten().map(|c| c.0);
        if last == Some(size) {
            return None;
        }
        Some(app::cosign::cosign_current(&store, &signer, &origin, &policy, clock::now()).await)
    };
    match once(store.clone(), signer.clone(), origin.clone(), policy.clone()).await {
        Some(Ok(c)) => {
            let _ = writeln!(
                out,
                "checkpoint of {} leaves co-signed by {}",
                c.size,
                c.witnesses.join(", ")
            );
        }
        Some(Err(e)) => {
            let _ = writeln!(out, "checkpoint not co-signed: {e}");
        }
        None => {}
    }
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(every.max(1)));
        tick.tick().await;
        loop {
            tick.tick().await;
            match once(store.clone(), signer.clone(), origin.clone(), policy.clone()).await {
                Some(Ok(c)) => {
                    tracing::info!(size = c.size, witnesses = ?c.witnesses, "checkpoint co-signed")
                }
                Some(Err(e)) => tracing::warn!(error = %e, "checkpoint not co-signed"),
                None => {}
            }
        }
    });
}

/// Resolves on Ctrl-C or SIGTERM (both handlers installed by the caller before anything else), so that `serve`
/// returns and the demo's temporary data is removed.
async fn shutdown(mut terminate: tokio::signal::unix::Signal) {
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate.recv() => {}
    }
}

fn read_signer(path: &Path) -> anyhow::Result<Option<ledger::NoteSigner>> {
    match std::fs::read_to_string(path) {
        Ok(text) => text
            .trim()
            .parse::<ledger::NoteSigner>()
            .map(Some)
            .map_err(|e| anyhow::anyhow!("ledger signing key `{}`: {e}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("reading `{}`", path.display())),
    }
}

/// The living demo (`app::demo`): accounts and cases in every state; the passwords are printed once.
async fn seed(
    store: &store::Store,
    sealer: &store::Sealer,
    ctx: &rules::Context,
    n: usize,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let seeded =
        app::demo::seed(store, sealer, ctx, n, clock::now(), crate::user_cli::generate_password)
            .await
            .context("seeding the demo")?;
    writeln!(out, "demo accounts (shown once):")?;
    for a in &seeded.accounts {
        writeln!(out, "  {:<16} {:<16} {}", a.name, a.role.as_str(), a.password)?;
    }
    writeln!(out, "seeded {} cases in every state of the workflow", seeded.cases)?;
    Ok(())
}

/// `store` with a proof mirror, loaded by a background task so that start-up does not wait for it; proofs asked
/// for before it is loaded load it themselves.
fn with_loaded_mirror(store: &store::Store) -> store::Store {
    let mirrored = store.with_proof_mirror();
    let loading = mirrored.clone();
    tokio::spawn(async move {
        let started = std::time::Instant::now();
        match loading.load_proof_mirror().await {
            Ok(size) => tracing::info!(
                leaves = size.unwrap_or(0),
                ms = started.elapsed().as_millis(),
                "proof mirror loaded"
            ),
            Err(e) => {
                tracing::error!(error = %e, "loading the proof mirror failed; proofs will load it")
            }
        }
    });
    mirrored
}
