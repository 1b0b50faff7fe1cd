//! C2SP `tlog-checkpoint` bodies: origin, tree size and root hash, signed as a C2SP signed note.
//!
//! The body is three lines, each ending in a newline, optionally followed by extension lines:
//!
//! ```text
//! <origin>
//! <tree size in decimal>
//! <base64 of the 32-byte root hash>
//! ```

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;

use crate::hash::{Digest, RootHash};
use crate::note::{open_note, NoteError, NoteSigner, VerifierKey};

/// Why a checkpoint could not be made, read or verified.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    /// The body does not have the checkpoint shape.
    #[error("malformed checkpoint: {0}")]
    Malformed(&'static str),
    /// The signed note around it is malformed or its signature does not verify.
    #[error("checkpoint note: {0}")]
    Note(#[from] NoteError),
}

/// A tree head for one log, named by its origin line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    // INVARIANT: origin is non-empty and has no newline or control character.
    origin: String,
    root: RootHash,
    // INVARIANT: each extension line is non-empty and has no newline or control character.
    extensions: Vec<String>,
}

impl Checkpoint {
    /// A checkpoint for the tree with root `root` in the log named `origin`.
    ///
    /// # Errors
    /// [`CheckpointError::Malformed`] if the origin is empty or contains a control character.
    pub fn new(origin: &str, root: RootHash) -> Result<Self, CheckpointError> {
        check_line(origin, "origin must be a non-empty line")?;
        Ok(Self { origin: origin.to_owned(), root, extensions: Vec::new() })
    }

    /// The origin line: the name of the log.
    #[must_use]
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The tree size and root hash.
    #[must_use]
    pub const fn root(&self) -> &RootHash {
        &self.root
    }

    /// Extension lines after the root hash, if any.
    #[must_use]
    pub fn extensions(&self) -> &[String] {
        &self.extensions
    }

    /// The checkpoint body text, ending in a newline.
    #[must_use]
    pub fn body(&self) -> String {
        let mut out = format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.root.size(),
            B64.encode(self.root.digest().as_bytes())
        );
        for ext in &self.extensions {
            out.push_str(ext);
            out.push('\n');
        }
        out
    }

    /// Reads a checkpoint body.
    ///
    /// # Errors
    /// [`CheckpointError::Malformed`] if the text is not a checkpoint body.
    pub fn parse_body(text: &str) -> Result<Self, CheckpointError> {
        let body = text
            .strip_suffix('\n')
            .ok_or(CheckpointError::Malformed("body must end in a newline"))?;
        let mut lines = body.split('\n');
        let origin = lines.next().ok_or(CheckpointError::Malformed("missing origin"))?;
        check_line(origin, "origin must be a non-empty line")?;
        let size = lines.next().ok_or(CheckpointError::Malformed("missing tree size"))?;
        if size.is_empty()
            || !size.bytes().all(|b| b.is_ascii_digit())
            || (size.len() > 1 && size.starts_with('0'))
        {
            return Err(CheckpointError::Malformed(
                "tree size must be a decimal without leading zeros",
            ));
        }
        let size: u64 =
            size.parse().map_err(|_| CheckpointError::Malformed("tree size is too large"))?;
        let root = lines.next().ok_or(CheckpointError::Malformed("missing root hash"))?;
        let root =
            B64.decode(root).map_err(|_| CheckpointError::Malformed("root hash is not base64"))?;
        let root = Digest::from_slice(&root)
            .ok_or(CheckpointError::Malformed("root hash is not 32 bytes"))?;
        let mut extensions = Vec::new();
        for ext in lines {
            check_line(ext, "extension lines must be non-empty")?;
            extensions.push(ext.to_owned());
        }
        Ok(Self { origin: origin.to_owned(), root: RootHash::new(size, root), extensions })
    }

    /// Signs the body and returns the signed note.
    ///
    /// # Errors
    /// [`CheckpointError::Note`] if the body is not valid note text (it always is).
    pub fn sign(&self, signer: &NoteSigner) -> Result<String, CheckpointError> {
        Ok(signer.sign(&self.body())?)
    }

    /// Verifies a signed note with `verifier` and reads the checkpoint inside.
    ///
    /// # Errors
    /// [`CheckpointError`] if the signature does not verify or the body is malformed.
    pub fn from_signed_note(note: &str, verifier: &VerifierKey) -> Result<Self, CheckpointError> {
        Self::parse_body(verifier.verify(note)?)
    }

    /// Reads the checkpoint inside a signed note *without* checking any signature.
    ///
    /// Only use this where the signature is checked elsewhere or does not matter (for example when
    /// the log's own operator compares the log with a checkpoint they saved themselves).
    ///
    /// # Errors
    /// [`CheckpointError`] if the note or the body is malformed.
    pub fn from_note_unverified(note: &str) -> Result<Self, CheckpointError> {
        let (text, _) = open_note(note)?;
        Self::parse_body(text)
    }
}

fn check_line(line: &str, what: &'static str) -> Result<(), CheckpointError> {
    if line.is_empty() || line.chars().any(char::is_control) {
        return Err(CheckpointError::Malformed(what));
    }
    Ok(())
}
