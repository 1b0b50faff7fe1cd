//! The operator's side of witnessing (c2sp.org/tlog-witness): offer the current checkpoint to each witness of
//! the policy, collect their cosignatures, and keep the checkpoint once a quorum verified.
//!
//! One implementation for `rightsgate ledger checkpoint --witness`, `serve --witness` and the living demo (whose
//! witness runs in process). A witness that last saw an older checkpoint answers 409 with its size; the
//! offer is repeated once with a consistency proof from that size, as the protocol intends.

use http_body_util::{BodyExt as _, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use ledger::{Checkpoint, ConsistencyProof, CosignatureVerifier, NoteSigner};
use store::Store;
use time::OffsetDateTime;
use witness::AddCheckpoint;

/// How a witness is reached.
#[derive(Debug, Clone)]
pub enum Link {
    /// Its `add-checkpoint` URL (`http://host:port/add-checkpoint`).
    Http(String),
    /// A witness in this process (the demo's).
    Local(witness::Witness),
}

/// One witness of the policy: its cosignature key and how to reach it.
#[derive(Debug, Clone)]
pub struct Witness {
    /// The key its cosignatures verify with.
    pub verifier: CosignatureVerifier,
    /// Where to offer checkpoints.
    pub link: Link,
}

/// The witnesses a checkpoint is offered to and how many must cosign it.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    /// The witnesses.
    pub witnesses: Vec<Witness>,
    /// The fewest distinct witnesses whose cosignatures must verify.
    pub quorum: usize,
}

impl Policy {
    /// Reads `VKEY=URL` values (a witness's cosignature verifier key and its `add-checkpoint` URL), as the
    /// `--witness` flags of `serve` and `ledger checkpoint` give them; the quorum defaults to all of them.
    ///
    /// # Errors
    /// A message naming the flag and what was expected.
    pub fn from_flags(values: &[String], quorum: Option<usize>) -> Result<Policy, String> {
        let mut keys = Vec::new();
        let mut urls = Vec::new();
        for value in values {
            let (vkey, url) = value
                .split_once('=')
                .ok_or_else(|| format!("--witness: `{value}` is not VKEY=URL"))?;
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(format!(
                    "--witness: `{url}` is not an http(s) URL of the witness's add-checkpoint endpoint"
                ));
            }
            keys.push(vkey.to_owned());
            urls.push(url.to_owned());
        }
        let (verifiers, quorum) = witness_keys(&keys, quorum)?;
        let witnesses = verifiers
            .into_iter()
            .zip(urls)
            .map(|(verifier, url)| Witness { verifier, link: Link::Http(url) })
            .collect();
        Ok(Policy { witnesses, quorum })
    }

    /// The witnesses' keys.
    pub fn verifiers(&self) -> Vec<CosignatureVerifier> {
        self.witnesses.iter().map(|w| w.verifier.clone()).collect()
    }
}

/// Reads `--witness` cosignature verifier keys and `--quorum` (default: all of them), as `serve`,
/// `ledger checkpoint`, `monitor` and `report verify` take them.
///
/// # Errors
/// A message naming the flag and what was expected.
pub fn witness_keys(
    values: &[String],
    quorum: Option<usize>,
) -> Result<(Vec<CosignatureVerifier>, usize), String> {
    let verifiers = values
        .iter()
        .map(|vkey| {
            vkey.parse::<CosignatureVerifier>()
                .map_err(|e| format!("--witness: `{vkey}` is not a cosignature verifier key: {e}"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let quorum = quorum.unwrap_or(verifiers.len());
    if quorum > verifiers.len() {
        return Err(format!(
            "--quorum: {quorum} is more than the {} witnesses given",
            verifiers.len()
        ));
    }
    Ok((verifiers, quorum))
}

/// A checkpoint co-signed by a quorum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cosigned {
    /// Its tree size.
    pub size: u64,
    /// The signed note with every cosignature gathered.
    pub note: String,
    /// The witnesses that cosigned.
    pub witnesses: Vec<String>,
    /// Why the others did not, one line each (`name: reason`).
    pub refusals: Vec<String>,
}

/// Why no co-signed checkpoint was kept.
#[derive(Debug, thiserror::Error)]
pub enum CosignError {
    /// Fewer witnesses cosigned than the quorum; each refusal or failure is listed.
    #[error("{have} of the {need} cosignatures needed: {}", refusals.join("; "))]
    Quorum {
        /// How many cosigned.
        have: usize,
        /// How many were needed.
        need: usize,
        /// `name: reason` per witness that did not.
        refusals: Vec<String>,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] store::StoreError),
    /// The checkpoint could not be built or signed.
    #[error("checkpoint: {0}")]
    Checkpoint(String),
}

/// Signs the ledger's current checkpoint with `signer`, offers it to every witness of `policy`, and keeps it in
/// the store once `policy.quorum` cosignatures verify (checked with `ledger::verify_quorum`, not trusted).
///
/// # Errors
/// [`CosignError::Quorum`] naming why each missing witness did not cosign; nothing is kept then.
pub async fn cosign_current(
    store: &Store,
    signer: &NoteSigner,
    origin: &str,
    policy: &Policy,
    now: OffsetDateTime,
) -> Result<Cosigned, CosignError> {
    let size = store.tree_size().await?;
    let root = store.root_at(size).await?;
    let note = Checkpoint::new(origin, root)
        .and_then(|c| c.sign(signer))
        .map_err(|e| CosignError::Checkpoint(e.to_string()))?;
    let mut cosigned = note.clone();
    let mut witnesses = Vec::new();
    let mut refusals = Vec::new();
    for witness in &policy.witnesses {
        let name = witness.verifier.name().to_owned();
        match offer(store, witness, &note, size, now).await {
            Ok(lines) => {
                cosigned.push_str(&lines);
                if !cosigned.ends_with('\n') {
                    cosigned.push('\n');
                }
                witnesses.push(name);
            }
            Err(reason) => refusals.push(format!("{name}: {reason}")),
        }
    }
    let verifiers = policy.verifiers();
    let have = match ledger::verify_cosigned(&cosigned, &signer.verifier(), &verifiers) {
        Ok(note) => note.cosignatures().len(),
        Err(e) => {
            refusals.push(format!("the gathered note does not verify: {e}"));
            0
        }
    };
    if have < policy.quorum {
        return Err(CosignError::Quorum { have, need: policy.quorum, refusals });
    }
    store.save_cosigned_checkpoint(size, &cosigned, now).await?;
    Ok(Cosigned { size, note: cosigned, witnesses, refusals })
}

/// Offers `note` (of tree size `size`) to one witness, starting from the size it is believed to hold (0), and
/// once more from the size it answers with.
async fn offer(
    store: &Store,
    witness: &Witness,
    note: &str,
    size: u64,
    now: OffsetDateTime,
) -> Result<String, String> {
    let mut old = 0;
    for _ in 0..2 {
        let proof = if old == 0 || old == size {
            ConsistencyProof::default()
        } else {
            store.consistency_proof(old, size).await.map_err(|e| e.to_string())?.proof
        };
        let body = AddCheckpoint { old, proof, note: note.to_owned() }.to_body();
        let (status, answer) = send(&witness.link, body, now).await?;
        match status {
            200 => return Ok(answer),
            409 => {
                let theirs: u64 =
                    answer.trim().parse().map_err(|_| format!("409 with body {answer:?}"))?;
                if theirs > size {
                    return Err(format!(
                        "holds a checkpoint of {theirs} leaves, newer than ours ({size})"
                    ));
                }
                old = theirs;
            }
            status => return Err(format!("{status} {}", answer.trim())),
        }
    }
    Err("still answered 409 after the retry".into())
}

/// One `add-checkpoint` exchange: (status, body).
async fn send(link: &Link, body: String, now: OffsetDateTime) -> Result<(u16, String), String> {
    match link {
        Link::Local(witness) => {
            let now = u64::try_from(now.unix_timestamp()).unwrap_or(0);
            match witness.add_checkpoint(body.as_bytes(), now).await {
                Ok(lines) => Ok((200, lines)),
                Err(witness::AddError::Refused(refusal)) => {
                    let text = match &refusal {
                        witness::Refusal::OldMismatch { latest, .. } => latest.to_string(),
                        witness::Refusal::Fork { size } => size.to_string(),
                        other => other.to_string(),
                    };
                    Ok((refusal.status(), text))
                }
                Err(witness::AddError::State(e)) => Err(e.to_string()),
            }
        }
        Link::Http(url) => {
            let client = Client::builder(TokioExecutor::new()).build_http::<Full<bytes::Bytes>>();
            let request = http::Request::post(url.as_str())
                .header("content-type", "text/plain")
                .body(Full::new(bytes::Bytes::from(body)))
                .map_err(|e| format!("bad witness URL {url}: {e}"))?;
            let response =
                tokio::time::timeout(std::time::Duration::from_secs(10), client.request(request))
                    .await
                    .map_err(|_| format!("{url}: no answer within 10 s"))?
                    .map_err(|e| format!("{url}: {e}"))?;
            let status = response.status().as_u16();
            let bytes =
                response.into_body().collect().await.map_err(|e| format!("{url}: {e}"))?.to_bytes();
            Ok((status, String::from_utf8_lossy(&bytes).into_owned()))
        }
    }
}
