//! Where rightsgate keeps its state when no `--db` is given: `$RIGHTSGATE_DATA_DIR`, or the platform's data
//! directory (for example `~/.local/share/rightsgate`), holding the SQLite database, the sealing key and the
//! ledger signing key. `rightsgate init` creates them.

use std::path::{Path, PathBuf};

use anyhow::Context as _;

/// The environment variable that overrides the data directory.
pub(crate) const ENV: &str = "RIGHTSGATE_DATA_DIR";
/// The sealing key's file name.
pub(crate) const KEY_FILE: &str = "rightsgate.key";
/// The ledger signing key's file name.
pub(crate) const SIGNING_KEY_FILE: &str = "ledger.key";
/// The database's file name.
pub(crate) const DB_FILE: &str = "rightsgate.db";

/// The data directory.
pub(crate) fn dir() -> anyhow::Result<PathBuf> {
    if let Some(dir) = std::env::var_os(ENV).filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    dirs::data_dir()
        .map(|d| d.join("rightsgate"))
        .with_context(|| format!("no platform data directory: set {ENV}"))
}

/// The default database URL: the SQLite file of the data directory.
pub(crate) fn db_url() -> anyhow::Result<String> {
    Ok(format!("sqlite://{}?mode=rwc", dir()?.join(DB_FILE).display()))
}

/// `--db` if given, else the default database.
pub(crate) fn db_or_default(db: Option<&str>) -> anyhow::Result<String> {
    match db {
        Some(url) => Ok(url.to_owned()),
        None => db_url(),
    }
}

/// Opens the store at `url`. Errors name the URL with its password redacted (`postgres://user:***@host/db`).
pub(crate) async fn open_store(url: &str) -> anyhow::Result<store::Store> {
    store::Store::connect(url)
        .await
        .with_context(|| format!("opening the database `{}`", store::redact_url(url)))
}

/// The sealing key file: `--key` if given, else the data directory's.
pub(crate) fn key_path(key: Option<&Path>) -> anyhow::Result<PathBuf> {
    match key {
        Some(path) => Ok(path.to_owned()),
        None => Ok(dir()?.join(KEY_FILE)),
    }
}

/// Reads the sealing key.
///
/// Refuses while a key rotation is unfinished (`K.new` or `K.old` beside the key file `K`): a store partly
/// resealed must not be written under either key until `rightsgate key rotate` has finished.
pub(crate) fn read_sealer(key: Option<&Path>) -> anyhow::Result<store::Sealer> {
    let path = key_path(key)?;
    let (new, old) = crate::key_cli::siblings(&path);
    if let Some(left) = [&new, &old].into_iter().find(|p| p.exists()) {
        anyhow::bail!(
            "a rotation of the sealing key `{}` is unfinished (`{}` exists): run `rightsgate key rotate` to finish it",
            path.display(),
            left.display()
        );
    }
    read_key_file(&path)
}

/// Reads a 32-byte key file, with no check for a rotation in progress (for `key rotate` itself).
pub(crate) fn read_key_file(path: &Path) -> anyhow::Result<store::Sealer> {
    let bytes = std::fs::read(path).with_context(|| {
        format!("reading the key file `{}` (run `rightsgate init` first)", path.display())
    })?;
    let key: [u8; store::KEY_LEN] = bytes.as_slice().try_into().map_err(|_| {
        anyhow::anyhow!(
            "key file `{}` holds {} bytes, expected {}",
            path.display(),
            bytes.len(),
            store::KEY_LEN
        )
    })?;
    Ok(store::Sealer::new(&key))
}

/// Writes a secret to a new file readable only by its owner; an existing file is never overwritten.
pub(crate) fn write_secret(path: &Path, contents: &[u8]) -> anyhow::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut f = options
        .open(path)
        .with_context(|| format!("creating `{}` (it must not exist yet)", path.display()))?;
    f.write_all(contents).with_context(|| format!("writing `{}`", path.display()))?;
    f.sync_all().with_context(|| format!("syncing `{}`", path.display()))?;
    Ok(())
}

/// Creates the data directory, the sealing key, the ledger signing key and the database, keeping whatever
/// already exists. Writes what it did to `out`.
pub(crate) fn init(origin: &str, out: &mut dyn std::io::Write) -> anyhow::Result<()> {
    let dir = dir()?;
    std::fs::create_dir_all(&dir).with_context(|| format!("creating `{}`", dir.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))
            .with_context(|| format!("restricting `{}`", dir.display()))?;
    }
    let key = dir.join(KEY_FILE);
    if key.exists() {
        writeln!(out, "kept the sealing key {}", key.display())?;
    } else {
        write_secret(&key, &store::Sealer::generate_key())?;
        writeln!(out, "created the sealing key {} (0600); back it up: without it personal data cannot be read", key.display())?;
    }
    let signing = dir.join(SIGNING_KEY_FILE);
    if signing.exists() {
        writeln!(out, "kept the ledger signing key {}", signing.display())?;
    } else {
        use rand::RngCore as _;
        let mut seed = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut seed);
        let signer =
            ledger::NoteSigner::from_seed(origin, seed).map_err(|e| anyhow::anyhow!("{e}"))?;
        write_secret(&signing, format!("{}\n", signer.to_private_string()).as_bytes())?;
        writeln!(
            out,
            "created the ledger signing key {} (0600); verifier key: {}",
            signing.display(),
            signer.verifier()
        )?;
    }
    let url = db_url()?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async {
        let store = store::Store::connect(&url).await.context("creating the database")?;
        store.close().await;
        anyhow::Ok(())
    })?;
    writeln!(out, "database ready: {}", dir.join(DB_FILE).display())?;
    Ok(())
}

/// `path` with `suffix` appended to its file name (`rightsgate.key` → `rightsgate.key.new`).
pub(crate) fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Syncs the directory holding `path`, so a rename or a new file in it survives a crash.
pub(crate) fn sync_parent(path: &Path) -> anyhow::Result<()> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .with_context(|| format!("syncing the directory `{}`", dir.display()))
}
