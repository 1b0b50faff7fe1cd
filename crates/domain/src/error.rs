//! Input errors: one per problem, each naming the file, where in it, and what was expected.

use std::fmt;

/// One problem with one input file.
///
/// Rendered as `file: location: message`, for example
/// `request.json: $.data.categories[1]: unknown category "contnet", expected one of subscriber, traffic, content`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    /// The file (or `file:line` for a line of a JSON Lines stream) the problem is in.
    pub file: String,
    /// A JSON path (`$.data.period.from`) or a TOML position (`line 12`, `line 12: offence PC117: iccs[0]`).
    pub location: String,
    /// What is wrong and what was expected, lower-case, no trailing period.
    pub message: String,
}

impl InputError {
    /// Builds an error from its three parts.
    pub fn new(
        file: impl Into<String>,
        location: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self { file: file.into(), location: location.into(), message: message.into() }
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.location.is_empty() {
            write!(f, "{}: {}", self.file, self.message)
        } else {
            write!(f, "{}: {}: {}", self.file, self.location, self.message)
        }
    }
}

impl std::error::Error for InputError {}

/// Rewrites serde's wording into ours: `unknown variant `x`, expected one of `a`, `b``
/// becomes `unknown <noun> "x", expected one of a, b`, where the noun comes from the field.
pub(crate) fn humanize(message: &str, field: &str) -> String {
    if let Some(rest) = message.strip_prefix("unknown variant `") {
        if let Some((value, expected)) = rest.split_once("`, expected ") {
            let expected = expected.replace('`', "");
            return format!("unknown {} \"{}\", expected {}", noun(field), value, expected);
        }
    }
    if let Some(rest) = message.strip_prefix("unknown field `") {
        if let Some((name, expected)) = rest.split_once("`, expected ") {
            let expected = expected.replace('`', "");
            return format!("unknown field \"{name}\", expected {expected}");
        }
        if let Some((name, _)) = rest.split_once('`') {
            return format!("unknown field \"{name}\", expected no fields here");
        }
    }
    if let Some(rest) = message.strip_prefix("missing field `") {
        if let Some((name, _)) = rest.split_once('`') {
            return format!("missing required field \"{name}\"");
        }
    }
    message
        .replace('`', "\"")
        .replace("expected f64", "expected a number")
        .replace("expected u64", "expected a whole number of at least 0")
        .replace("expected u8", "expected a whole number from 0 to 255")
}

/// The singular noun for an enumerated field, used in error messages.
fn noun(field: &str) -> &str {
    match field {
        "categories" | "category" | "judicial_categories" => "category",
        "profiles" | "review_profiles" => "profile",
        "protected" | "protected_activities" => "protected activity",
        "type" => "identifier type",
        "kind" => "authorization kind",
        "authority_type" => "authority type",
        "dual_criminality_measures" | "judicial_measures" | "measure" => "measure",
        "review_internet_freedom" | "internet_freedom" => "internet freedom rating",
        "status" => "status",
        "instrument" => "instrument",
        "topic" => "topic",
        "refusal_grounds" => "refusal ground",
        "user_notification" => "notification timing",
        "statistics" => "publication interval",
        "death_penalty" => "death penalty status",
        "" => "value",
        other => other,
    }
}

/// The last field name of a serde path, ignoring sequence indices.
pub(crate) fn last_field(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    path.iter()
        .rev()
        .find_map(|segment| match segment {
            Segment::Map { key } => Some(key.clone()),
            _ => None,
        })
        .unwrap_or_default()
}

/// Renders a serde path as a JSON path rooted at `$`.
pub(crate) fn json_path(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::from("$");
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => out.push_str(&format!("[{index}]")),
            Segment::Map { key } => {
                out.push('.');
                out.push_str(key);
            }
            Segment::Enum { variant } => {
                out.push('.');
                out.push_str(variant);
            }
            Segment::Unknown => out.push_str(".?"),
        }
    }
    out
}

/// Reads a TOML document into `T`, mapping the first serde error to an [`InputError`] with a line number.
pub(crate) fn read_toml<T: serde::de::DeserializeOwned>(
    file: &str,
    text: &str,
) -> Result<T, InputError> {
    let mut track = serde_path_to_error::Track::new();
    let de = toml::Deserializer::new(text);
    let de = serde_path_to_error::Deserializer::new(de, &mut track);
    match T::deserialize(de) {
        Ok(value) => Ok(value),
        Err(err) => {
            let path = track.path();
            let field = last_field(&path);
            let location = match err.span() {
                Some(span) => format!("line {}", line_of(text, span.start)),
                None => String::new(),
            };
            let dotted = json_path(&path);
            let mut message = humanize(err.message().trim(), &field);
            if dotted != "$" && !location.is_empty() {
                message = format!("{}: {}", dotted.trim_start_matches("$."), message);
            } else if dotted != "$" {
                return Err(InputError::new(file, dotted.trim_start_matches("$."), message));
            }
            Err(InputError::new(file, location, message))
        }
    }
}

/// The 1-based line number of a byte offset.
pub(crate) fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes().iter().take(end).filter(|&&b| b == b'\n').count() + 1
}

/// Reads a JSON document into `T`, mapping the first serde error to an [`InputError`] with a JSON path.
pub fn read_json<T: serde::de::DeserializeOwned>(
    file: &str,
    bytes: &[u8],
) -> Result<T, InputError> {
    // Valid input takes the fast path; only input that fails is read again with path tracking, so that the
    // error can name the JSON path.
    if let Ok(value) = serde_json::from_slice(bytes) {
        return Ok(value);
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let result: Result<T, _> = serde_path_to_error::deserialize(&mut de);
    let value = match result {
        Ok(value) => value,
        Err(err) => {
            let path = err.path().clone();
            let inner = err.into_inner();
            return Err(json_error(file, &path, &inner));
        }
    };
    if let Err(err) = de.end() {
        return Err(InputError::new(
            file,
            format!("line {} column {}", err.line(), err.column()),
            "unexpected data after the JSON document, expected one document",
        ));
    }
    Ok(value)
}

fn json_error(file: &str, path: &serde_path_to_error::Path, err: &serde_json::Error) -> InputError {
    let text = err.to_string();
    let message = match text.rsplit_once(" at line ") {
        Some((head, _)) => head.to_owned(),
        None => text,
    };
    match err.classify() {
        serde_json::error::Category::Data => {
            InputError::new(file, json_path(path), humanize(&message, &last_field(path)))
        }
        serde_json::error::Category::Eof => InputError::new(
            file,
            format!("line {} column {}", err.line(), err.column()),
            "unexpected end of input, expected a complete JSON document",
        ),
        _ => InputError::new(
            file,
            format!("line {} column {}", err.line(), err.column()),
            format!("invalid JSON: {message}"),
        ),
    }
}

/// `line N` of the first line that starts with `key` (or `[key]`), or empty.
pub fn locate(text: &str, key: &str) -> String {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start();
        let table = format!("[{key}]");
        let head = format!("[{key}.");
        if trimmed.starts_with(&table) || trimmed.starts_with(&head) {
            return format!("line {}", line_of(text, offset));
        }
        if let Some(rest) = trimmed.strip_prefix(key) {
            if rest.trim_start().starts_with('=') || rest.starts_with('.') {
                return format!("line {}", line_of(text, offset));
            }
        }
        offset += line.len();
    }
    String::new()
}
