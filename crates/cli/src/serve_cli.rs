//! `rightsgate serve`: the web server and case-review desk, on the data directory's SQLite store by default.
//!
//! `--demo` needs no `rightsgate init`: it seeds a fresh database in a temporary directory with generated
//! requests and one account per role, and prints the accounts' passwords once on start.

use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use domain::case::Role;

use crate::{clock, data_dir, gen, inputs};

/// Options of `rightsgate serve`.
#[derive(Debug, clap::Args)]
pub(crate) struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    /// Database URL (`sqlite://PATH?mode=rwc` or `postgres://...`); the data directory's store by default.
    #[arg(long, value_name = "URL")]
    db: Option<String>,
    /// The sealing key file; the data directory's by default.
    #[arg(long, value_name = "FILE")]
    key: Option<PathBuf>,
    /// Directory of law packs.
    #[arg(long, value_name = "DIR", default_value = inputs::DEFAULT_LAWPACKS)]
    lawpacks: PathBuf,
    /// The policy file.
    #[arg(long, value_name = "FILE", default_value = inputs::DEFAULT_POLICY)]
    policy: PathBuf,
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
}

/// Runs the server until interrupted.
pub(crate) fn run(args: &ServeArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let ctx = match inputs::load_context(&args.lawpacks, &args.policy) {
        Ok(ctx) => ctx,
        Err(problems) => {
            let mut err = std::io::stderr().lock();
            for p in problems {
                writeln!(err, "{p}")?;
            }
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
    runtime.block_on(serve(args, ctx, out))?;
    Ok(ExitCode::SUCCESS)
}

async fn serve(args: &ServeArgs, ctx: rules::Context, out: &mut dyn Write) -> anyhow::Result<()> {
    let (url, sealer, signer) = if args.demo {
        let dir = std::env::temp_dir().join(format!("rightsgate-demo-{}", std::process::id()));
        std::fs::create_dir_all(&dir).with_context(|| format!("creating `{}`", dir.display()))?;
        let db = dir.join("demo.db");
        let _ = std::fs::remove_file(&db);
        let url = args.db.clone().unwrap_or(format!("sqlite://{}?mode=rwc", db.display()));
        writeln!(out, "demo database: {}", store::redact_url(&url))?;
        (url, store::Sealer::new(&store::Sealer::generate_key()), None)
    } else {
        let url = data_dir::db_or_default(args.db.as_deref())?;
        let sealer = data_dir::read_sealer(args.key.as_deref())?;
        let signing = data_dir::dir()?.join(data_dir::SIGNING_KEY_FILE);
        (url, sealer, read_signer(&signing)?)
    };
    let store = store::Store::connect(&url).await.context("opening the database")?;
    if args.demo {
        seed(&store, &sealer, &ctx, args.demo_requests, out).await?;
    }
    let origin = signer.as_ref().map_or("rightsgate/ledger".to_owned(), |s| s.name().to_owned());
    let config = server::Config {
        secure_cookies: args.secure_cookies,
        trust_forwarded_for: args.trust_forwarded_for,
        signer,
        origin,
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
    // The peer address reaches handlers as `ConnectInfo`, which sign-in throttling keys on.
    axum::serve(
        listener,
        server::router(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
    .context("serving")?;
    Ok(())
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

/// Generated requests and one account per role; the passwords are printed once.
async fn seed(
    store: &store::Store,
    sealer: &store::Sealer,
    ctx: &rules::Context,
    n: usize,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let now = clock::now();
    writeln!(out, "demo accounts (shown once):")?;
    for role in Role::ALL {
        let name = role.as_str().replace('_', "-");
        let password = crate::user_cli::generate_password();
        store.add_user(&name, *role, &password, now).await.context("adding a demo account")?;
        writeln!(out, "  {name:<16} {:<16} {password}", role.as_str())?;
        if *role == Role::Approver {
            let second = "approver-2";
            let password = crate::user_cli::generate_password();
            store.add_user(second, *role, &password, now).await.context("adding a demo account")?;
            writeln!(out, "  {second:<16} {:<16} {password}", role.as_str())?;
        }
    }
    let packs: Vec<_> = ctx.lawpacks().collect();
    let requests = gen::requests(&packs, ctx.policy(), n, 42)
        .iter()
        .map(serde_json::to_vec)
        .collect::<Result<Vec<_>, _>>()?;
    let stored = app::intake::take_in(store, sealer, ctx, &requests, now, "intake-officer")
        .await
        .context("storing the demo requests")?;
    if let Some(problems) = stored.iter().find_map(|r| r.as_ref().err()) {
        anyhow::bail!("a generated request does not read back: {:?}", problems.first());
    }
    writeln!(out, "seeded {n} generated requests")?;
    Ok(())
}
