//! `rightsgate lawpack check | show | diff`: the tools reviewers use to validate, read and compare law packs.
//!
//! Law packs are data reviewed like law, so every command prints plain text meant for a person (and `diff --json`
//! for a machine), in a deterministic order.
//! Exit codes follow `main`: 0 success (also when `check` finds only warnings or `diff` finds changes),
//! 2 invalid input, each problem on its own stderr line as `file: line N: offence ID: field: message`.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Subcommand;
use domain::lawpack::{Offence, Tier, Treaty};
use domain::{InputError, LawPack};
use serde_json::Value;

/// The `lawpack` subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum LawpackCommand {
    /// Validate every law pack of a directory and report where its facts were verified; exit 2 on any error.
    ///
    /// Always: the format of formats.md §2, well-formed source URLs, no verification date after today.
    /// Warnings: offences without sources, facts whose best source is secondary, facts last verified more than
    /// --max-age days ago, one ICCS conduct tagged differently by two packs.
    Check {
        /// The law-pack directory (every *.toml file is checked).
        #[arg(value_name = "DIR")]
        dir: PathBuf,
        /// The bar for shipped packs: every fact (both treaty statuses, the four rights facts, each offence)
        /// must carry a verified source with tier and date, and each pack at least --min-offences offences.
        #[arg(long)]
        strict: bool,
        /// Warn about facts last verified more than this many days before today.
        #[arg(long, value_name = "DAYS", default_value_t = 365)]
        max_age: u32,
        /// With --strict, the fewest offences a pack may have.
        #[arg(long, value_name = "N", default_value_t = 6)]
        min_offences: usize,
        /// Today's date for the age checks (YYYY-MM-DD); the system date when absent.
        #[arg(long, value_name = "DATE")]
        today: Option<String>,
    },
    /// Print a readable summary of one law pack: treaty status, rights facts and offences.
    Show {
        /// The pack's country code, such as `GB`.
        #[arg(value_name = "CODE")]
        code: String,
        /// Directory of law packs.
        #[arg(long, value_name = "DIR", default_value = app::inputs::DEFAULT_LAWPACKS)]
        lawpacks: PathBuf,
    },
    /// Show what changed between two versions of a law pack (two files), or of a directory of packs (two directories).
    Diff {
        /// The old version: a law-pack file or directory.
        #[arg(value_name = "OLD")]
        old: PathBuf,
        /// The new version: a law-pack file or directory.
        #[arg(value_name = "NEW")]
        new: PathBuf,
        /// Print JSON: `{"packs": [{"code", "name", "status", "old", "new", "changes": [{"path", "old", "new"}]}]}`.
        #[arg(long)]
        json: bool,
    },
}

/// Exit code for invalid input.
const INVALID: u8 = 2;

/// Runs one `lawpack` subcommand, writing results to `out` and problems to `err`.
pub(crate) fn run(
    cmd: LawpackCommand,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    match cmd {
        LawpackCommand::Check { dir, strict, max_age, min_offences, today } => {
            let today = match today {
                None => domain::Day::from(time::OffsetDateTime::now_utc().date()),
                Some(text) => match domain::Day::parse(&text) {
                    Ok(day) => day,
                    Err(e) => return crate::invalid(&format!("--today: {e}")),
                },
            };
            check(&dir, &Bar { strict, max_age, min_offences, today }, out, err)
        }
        LawpackCommand::Show { code, lawpacks } => show(&lawpacks, &code, out, err),
        LawpackCommand::Diff { old, new, json } => diff(&old, &new, json, out, err),
    }
}

/// One law-pack file as read from disk: its name, its text and the parsed pack or its problems.
#[derive(Debug)]
struct Loaded {
    file: String,
    text: String,
    pack: Result<LawPack, Vec<InputError>>,
}

impl Loaded {
    fn new(file: String, bytes: &[u8]) -> Loaded {
        match std::str::from_utf8(bytes) {
            Ok(text) => {
                let pack = LawPack::parse(&file, text).map_err(|problems| {
                    problems.into_iter().map(|p| name_offence(p, text)).collect()
                });
                Loaded { file, text: text.to_owned(), pack }
            }
            Err(e) => {
                let problem = InputError::new(
                    &file,
                    "",
                    format!("not UTF-8 text at byte {}, expected a TOML file", e.valid_up_to()),
                );
                Loaded { file, text: String::new(), pack: Err(vec![problem]) }
            }
        }
    }
}

/// Reads every `*.toml` file of a directory, in file-name order.
fn load_dir(dir: &Path) -> Result<Vec<Loaded>, Vec<InputError>> {
    let files = app::inputs::read_lawpack_dir(dir)?;
    Ok(files.into_iter().map(|(file, bytes)| Loaded::new(file, &bytes)).collect())
}

/// Reads one law-pack file.
fn load_file(path: &Path) -> Result<Loaded, Vec<InputError>> {
    let file = path.display().to_string();
    let bytes = std::fs::read(path)
        .map_err(|e| vec![InputError::new(&file, "", format!("cannot read: {e}"))])?;
    Ok(Loaded::new(file, &bytes))
}

/// Serde reports a problem inside an offence as `line N` with the message `offences[i].field: ...`, before
/// the offence's id is known; this rewrites it to `line N: offence ID` and `field: ...`, like the other checks.
fn name_offence(problem: InputError, text: &str) -> InputError {
    let Some(rest) = problem.message.strip_prefix("offences[") else { return problem };
    let Some((index, rest)) = rest.split_once(']') else { return problem };
    let Ok(index) = index.parse::<usize>() else { return problem };
    let Some(id) = offence_id_by_index(text, index) else { return problem };
    let field = rest.strip_prefix('.').or_else(|| rest.strip_prefix(": ")).unwrap_or(rest);
    let location = if problem.location.is_empty() {
        format!("offence {id}")
    } else {
        format!("{}: offence {id}", problem.location)
    };
    InputError::new(problem.file, location, field)
}

/// The `id` of the `index`-th `[[offences]]` table of a TOML text, found textually (the text did not parse).
fn offence_id_by_index(text: &str, index: usize) -> Option<String> {
    let mut tables = 0usize;
    let mut inside = false;
    for line in text.lines() {
        let line = line.trim_start();
        if line.starts_with('[') {
            inside = line.starts_with("[[offences]]") && {
                tables += 1;
                tables == index + 1
            };
            continue;
        }
        if !inside {
            continue;
        }
        if let Some(rest) = line.strip_prefix("id") {
            let value = rest.trim_start().strip_prefix('=')?.trim();
            let quote = value.chars().next().filter(|c| *c == '"' || *c == '\'')?;
            let value = value.get(1..)?;
            let end = value.find(quote)?;
            return value.get(..end).map(str::to_owned);
        }
    }
    None
}

/// `line N` of the first `code = ...` line, or empty.
fn code_line(text: &str) -> String {
    text.lines()
        .position(|line| {
            line.trim_start()
                .strip_prefix("code")
                .is_some_and(|rest| rest.trim_start().starts_with('='))
        })
        .map_or_else(String::new, |n| format!("line {}", n + 1))
}

fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("{n} {one}")
    } else {
        format!("{n} {many}")
    }
}

// ---------------------------------------------------------------------------------------------------------------
// check

/// What `check` holds the packs to.
struct Bar {
    strict: bool,
    max_age: u32,
    min_offences: usize,
    today: domain::Day,
}

/// Counts of facts by the tier of their best verified source.
#[derive(Default)]
struct TierCounts {
    by_tier: BTreeMap<Tier, usize>,
    unverified: usize,
    unrecorded: usize,
    stale: usize,
}

fn check(
    dir: &Path,
    bar: &Bar,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    let loaded = match load_dir(dir) {
        Ok(loaded) => loaded,
        Err(problems) => {
            crate::evaluate::report(err, &problems)?;
            return Ok(ExitCode::from(INVALID));
        }
    };
    let mut errors: Vec<InputError> = Vec::new();
    let mut warnings: Vec<InputError> = Vec::new();
    // Offences of packs that load; a pack with an error is counted but its offences are not.
    let mut offences = 0usize;
    let mut tiers = TierCounts::default();
    let mut codes: BTreeMap<&str, &str> = BTreeMap::new();
    for file in &loaded {
        let pack = match &file.pack {
            Ok(pack) => pack,
            Err(problems) => {
                errors.extend(problems.iter().cloned());
                continue;
            }
        };
        offences += pack.offences.len();
        if let Some(first) = codes.insert(&pack.code, &file.file) {
            errors.push(InputError::new(
                &file.file,
                code_line(&file.text),
                format!("code: law pack code \"{}\" is also used by {first}, expected one file per jurisdiction", pack.code),
            ));
        }
        let notes = pack.warnings(&file.file, &file.text).into_iter().map(|w| w.0);
        if bar.strict {
            errors.extend(notes);
        } else {
            warnings.extend(notes);
        }
        let expected = format!("{}.toml", pack.code);
        let actual = Path::new(&file.file)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if actual != expected {
            warnings.push(InputError::new(
                &file.file,
                code_line(&file.text),
                format!("code: file name \"{actual}\" does not match code \"{}\", expected \"{expected}\"", pack.code),
            ));
        }
        if bar.strict && pack.offences.len() < bar.min_offences {
            errors.push(InputError::new(
                &file.file,
                code_line(&file.text),
                format!(
                    "offences: {}, expected at least {}",
                    pack.offences.len(),
                    bar.min_offences
                ),
            ));
        }
        check_provenance(pack, file, bar, &mut tiers, &mut errors, &mut warnings);
    }
    for conflict in
        domain::lawpack::tag_conflicts(loaded.iter().filter_map(|f| f.pack.as_ref().ok()))
    {
        let taggings: Vec<String> = conflict
            .taggings
            .iter()
            .map(|(article, protected, ids)| {
                let article = if *article == 0 {
                    "no UNCC article".to_owned()
                } else {
                    format!("UNCC art. {article}")
                };
                let protected = if protected.is_empty() {
                    "not protected".to_owned()
                } else {
                    protected.iter().map(|a| a.as_str()).collect::<Vec<_>>().join("+")
                };
                format!("{article}, {protected} ({})", ids.join(" "))
            })
            .collect();
        warnings.push(InputError::new(
            dir.display().to_string(),
            format!("iccs {}", conflict.iccs.join("+")),
            format!(
                "one conduct tagged differently across packs: {}; expected the same UNCC article and protected tags",
                taggings.join("; ")
            ),
        ));
    }
    for problem in &errors {
        writeln!(err, "{problem}").context("writing to stderr")?;
    }
    for note in &warnings {
        writeln!(err, "warning: {note}").context("writing to stderr")?;
    }
    let facts: usize = tiers.by_tier.values().sum::<usize>() + tiers.unverified;
    let by_tier: Vec<String> = Tier::ALL
        .iter()
        .map(|t| format!("{} {}", t, tiers.by_tier.get(t).copied().unwrap_or(0)))
        .collect();
    writeln!(
        out,
        "{}: {}, no provenance {}; {} not recorded; {} last verified more than {} days ago",
        plural(facts, "fact", "facts"),
        by_tier.join(", "),
        tiers.unverified,
        plural(tiers.unrecorded, "treaty status", "treaty statuses"),
        tiers.stale,
        bar.max_age,
    )
    .context("writing to stdout")?;
    writeln!(
        out,
        "{}, {}, {}, {}",
        plural(loaded.len(), "law pack", "law packs"),
        plural(offences, "offence", "offences"),
        plural(errors.len(), "error", "errors"),
        plural(warnings.len(), "warning", "warnings"),
    )
    .context("writing to stdout")?;
    Ok(if errors.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(INVALID) })
}

/// Counts each fact of `pack` by its best tier and finds facts without provenance, verified only at secondary
/// sources, verified too long ago, or dated after today.
fn check_provenance(
    pack: &LawPack,
    file: &Loaded,
    bar: &Bar,
    tiers: &mut TierCounts,
    errors: &mut Vec<InputError>,
    warnings: &mut Vec<InputError>,
) {
    for fact in pack.facts(&file.text) {
        let at = |message: String| InputError::new(&file.file, &fact.location, message);
        if !fact.present {
            // An instrument left out is screened as `none`, the value that keeps the safeguard; the README has
            // packs leave out a status no source settles, so it is not a fact of the pack and not an error.
            tiers.unrecorded += 1;
            if bar.strict {
                warnings.push(at(
                    "not recorded, so screened as none; expected the status with a verified source once one is found".to_owned(),
                ));
            }
            continue;
        }
        let Some(provenance) = fact.provenance else {
            tiers.unverified += 1;
            if bar.strict {
                errors.push(at(
                    "provenance: no verified source, expected a source { url, tier, verified_on }"
                        .to_owned(),
                ));
            }
            continue;
        };
        *tiers.by_tier.entry(provenance.tier).or_default() += 1;
        if provenance.verified_on > bar.today {
            errors.push(at(format!(
                "verified_on: {} is after today ({}), expected the date a person read the source",
                provenance.verified_on, bar.today
            )));
        }
        let age = provenance.verified_on.inclusive_days_to(bar.today) - 1;
        if age > i64::from(bar.max_age) {
            tiers.stale += 1;
            warnings.push(at(format!(
                "provenance: last verified {}, {age} days before {}, expected within {} days",
                provenance.verified_on, bar.today, bar.max_age
            )));
        }
        if provenance.tier == Tier::Secondary {
            warnings.push(at(
                "provenance: verified at secondary sources only, expected an official or intergovernmental source where one is reachable".to_owned(),
            ));
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------
// show

fn show(
    dir: &Path,
    code: &str,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    let loaded = match load_dir(dir) {
        Ok(loaded) => loaded,
        Err(problems) => {
            crate::evaluate::report(err, &problems)?;
            return Ok(ExitCode::from(INVALID));
        }
    };
    let wanted = code.trim().to_ascii_uppercase();
    let found = loaded
        .iter()
        .find_map(|l| l.pack.as_ref().ok().filter(|p| p.code == wanted).map(|p| (l, p)));
    if let Some((file, pack)) = found {
        render_pack(&file.file, pack, out).context("writing to stdout")?;
        return Ok(ExitCode::SUCCESS);
    }
    // The pack may be in a file that does not parse: show those problems first.
    for file in &loaded {
        if let Err(problems) = &file.pack {
            crate::evaluate::report(err, problems)?;
        }
    }
    let available: BTreeSet<&str> =
        loaded.iter().filter_map(|l| l.pack.as_ref().ok()).map(|p| p.code.as_str()).collect();
    let available = if available.is_empty() {
        "none".to_owned()
    } else {
        available.into_iter().collect::<Vec<_>>().join(", ")
    };
    writeln!(
        err,
        "{}: no law pack with code \"{code}\", expected one of {available}",
        dir.display()
    )
    .context("writing to stderr")?;
    Ok(ExitCode::from(INVALID))
}

/// `5 years`, `6 months`, `life`, `death`, or several joined by `or` (`14 years or life`).
fn penalty(offence: &Offence) -> String {
    let mut parts = Vec::new();
    if let Some(years) = offence.max_years {
        parts.push(match years {
            1.0 => "1 year".to_owned(),
            y if y > 0.0 && y < 1.0 && (y * 12.0).fract() == 0.0 => {
                plural((y * 12.0) as usize, "month", "months")
            }
            y => format!("{y} years"),
        });
    }
    if offence.life {
        parts.push("life".to_owned());
    }
    if offence.death_penalty {
        parts.push("death".to_owned());
    }
    parts.join(" or ")
}

/// Whether the offence is serious: a maximum of at least 4 years, or life or death.
fn is_serious(offence: &Offence) -> bool {
    offence.gravity().at_least(4.0)
}

fn treaty_line(treaty: Option<&Treaty>) -> String {
    match treaty {
        None => "none (not stated)".to_owned(),
        Some(t) if t.reservations.is_empty() => t.status.as_str().to_owned(),
        Some(t) => {
            format!("{}, reservations: articles {}", t.status.as_str(), t.reservations.join(", "))
        }
    }
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

fn render_pack(file: &str, pack: &LawPack, out: &mut dyn Write) -> std::io::Result<()> {
    let table = domain::iccs::Table::embedded();
    writeln!(out, "{} ({})", pack.name, pack.code)?;
    writeln!(out, "as of:    {}", pack.as_of)?;
    writeln!(out, "file:     {file}")?;
    writeln!(out)?;
    writeln!(out, "treaties")?;
    writeln!(out, "  UNCC:      {}", treaty_line(pack.treaties.uncc.as_ref()))?;
    writeln!(out, "  Budapest:  {}", treaty_line(pack.treaties.budapest.as_ref()))?;
    writeln!(out)?;
    let rights = &pack.rights;
    writeln!(out, "rights")?;
    writeln!(out, "  death penalty:          {}", rights.death_penalty.as_str())?;
    writeln!(out, "  Convention 108+:        {}", yes_no(rights.convention_108_plus))?;
    writeln!(out, "  independent DPA:        {}", yes_no(rights.independent_dpa))?;
    writeln!(out, "  internet freedom:       {}", rights.internet_freedom.as_str())?;
    if rights.sources.is_empty() {
        writeln!(out, "  sources:                none")?;
    } else {
        writeln!(out, "  sources:")?;
        for source in &rights.sources {
            writeln!(out, "    {source}")?;
        }
    }
    writeln!(out)?;
    let serious = pack.offences.iter().filter(|o| is_serious(o)).count();
    writeln!(
        out,
        "offences: {} ({serious} serious: at least 4 years, life or death)",
        pack.offences.len()
    )?;
    if pack.offences.is_empty() {
        return Ok(());
    }
    // Rows: the first line holds the short columns and the citation; the title, ICCS codes and sources follow
    // in the last column.
    let header =
        ["ID", "MAX PENALTY", "SERIOUS", "UNCC", "PROTECTED", "CITATION / TITLE / ICCS / SOURCES"];
    let rows: Vec<[String; 5]> = pack
        .offences
        .iter()
        .map(|o| {
            let uncc = if o.uncc_article == 0 {
                "-".to_owned()
            } else {
                format!("Art. {}", o.uncc_article)
            };
            let protected = if o.protected.is_empty() {
                "-".to_owned()
            } else {
                o.protected.iter().map(|a| a.as_str()).collect::<Vec<_>>().join(", ")
            };
            [o.id.clone(), penalty(o), yes_no(is_serious(o)).to_owned(), uncc, protected]
        })
        .collect();
    let mut widths = header.map(str::len);
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let indent: usize = widths.iter().take(5).map(|w| w + 2).sum();
    let mut line = String::new();
    for (cell, width) in header.iter().zip(widths).take(5) {
        line.push_str(&format!("{cell:<width$}  "));
    }
    line.push_str(header[5]);
    writeln!(out, "  {line}")?;
    for (row, offence) in rows.iter().zip(&pack.offences) {
        let mut line = String::new();
        for (cell, width) in row.iter().zip(widths) {
            line.push_str(&format!("{cell:<width$}  "));
        }
        line.push_str(&offence.citation);
        writeln!(out, "  {line}")?;
        let pad = " ".repeat(indent + 2);
        writeln!(out, "{pad}{}", offence.title)?;
        for code in &offence.iccs {
            let name = table.get(code).map_or("(not in the ICCS table)", |c| c.name);
            writeln!(out, "{pad}ICCS {code} {name}")?;
        }
        for source in &offence.sources {
            writeln!(out, "{pad}source {source}")?;
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------------------------
// diff

/// A flattened fact of a pack: one value, or a set of values compared element by element (sources).
#[derive(Debug, PartialEq, Eq)]
enum Fact {
    One(Value),
    Set(BTreeSet<String>),
}

/// Where a fact sorts in a diff: the pack's header, then treaties, rights and offences (by id), then the path.
type Key = (u8, String);

/// One changed fact: `old` is absent for an addition, `new` for a removal.
#[derive(Debug)]
struct Change {
    path: String,
    old: Option<Value>,
    new: Option<Value>,
}

/// What happened to one pack between the two versions.
#[derive(Debug)]
struct PackDiff {
    code: String,
    name: String,
    status: &'static str,
    old: Option<String>,
    new: Option<String>,
    changes: Vec<Change>,
    offences_added: Vec<String>,
    offences_removed: Vec<String>,
}

/// A number of years as JSON: whole numbers without a fraction (`5`, not `5.0`).
fn years(y: f64) -> Value {
    if y.fract() == 0.0 && y.abs() < 1e15 {
        Value::from(y as i64)
    } else {
        Value::from(y)
    }
}

/// Every fact of a pack, keyed by a dotted path (`treaties.uncc.status`, `offences.PC117.max_years`).
fn flatten(pack: &LawPack) -> BTreeMap<Key, Fact> {
    let mut facts = BTreeMap::new();
    let mut one =
        |group: u8, path: String, value: Value| facts.insert((group, path), Fact::One(value));
    one(0, "schema".into(), pack.schema.as_str().into());
    one(0, "code".into(), pack.code.as_str().into());
    one(0, "name".into(), pack.name.as_str().into());
    one(0, "as_of".into(), pack.as_of.to_string().into());
    for (name, treaty) in [("uncc", &pack.treaties.uncc), ("budapest", &pack.treaties.budapest)] {
        let status = treaty.as_ref().map_or("none", |t| t.status.as_str());
        one(1, format!("treaties.{name}.status"), status.into());
        let reservations: Vec<&str> =
            treaty.iter().flat_map(|t| &t.reservations).map(String::as_str).collect();
        one(1, format!("treaties.{name}.reservations"), reservations.into());
    }
    let rights = &pack.rights;
    one(2, "rights.death_penalty".into(), rights.death_penalty.as_str().into());
    one(2, "rights.convention_108_plus".into(), rights.convention_108_plus.into());
    one(2, "rights.independent_dpa".into(), rights.independent_dpa.into());
    one(2, "rights.internet_freedom".into(), rights.internet_freedom.as_str().into());
    for o in &pack.offences {
        let at = |field: &str| format!("offences.{}.{field}", o.id);
        one(3, at("citation"), o.citation.as_str().into());
        one(3, at("title"), o.title.as_str().into());
        if let Some(y) = o.max_years {
            one(3, at("max_years"), years(y));
        }
        one(3, at("life"), o.life.into());
        one(3, at("death_penalty"), o.death_penalty.into());
        one(3, at("iccs"), o.iccs.clone().into());
        one(3, at("uncc_article"), o.uncc_article.into());
        let protected: Vec<&str> = o.protected.iter().map(|a| a.as_str()).collect();
        one(3, at("protected"), protected.into());
    }
    for (name, treaty) in [("uncc", &pack.treaties.uncc), ("budapest", &pack.treaties.budapest)] {
        let sources = treaty.iter().flat_map(|t| &t.sources).map(ToString::to_string).collect();
        facts.insert((1, format!("treaties.{name}.sources")), Fact::Set(sources));
    }
    facts.insert(
        (2, "rights.sources".into()),
        Fact::Set(rights.sources.iter().map(ToString::to_string).collect()),
    );
    for o in &pack.offences {
        let sources = o.sources.iter().map(ToString::to_string).collect();
        facts.insert((3, format!("offences.{}.sources", o.id)), Fact::Set(sources));
    }
    facts
}

/// The changes from `old` to `new`, in key order.
fn changes(old: &LawPack, new: &LawPack) -> Vec<Change> {
    let old = flatten(old);
    let new = flatten(new);
    let keys: BTreeSet<&Key> = old.keys().chain(new.keys()).collect();
    let mut changes = Vec::new();
    let empty = BTreeSet::new();
    for key in keys {
        let path = &key.1;
        match (old.get(key), new.get(key)) {
            (Some(Fact::One(a)), Some(Fact::One(b))) if a == b => {}
            (Some(Fact::One(a)), Some(Fact::One(b))) => {
                changes.push(Change {
                    path: path.clone(),
                    old: Some(a.clone()),
                    new: Some(b.clone()),
                });
            }
            (Some(Fact::One(a)), _) => {
                changes.push(Change { path: path.clone(), old: Some(a.clone()), new: None })
            }
            (_, Some(Fact::One(b))) => {
                changes.push(Change { path: path.clone(), old: None, new: Some(b.clone()) })
            }
            (a, b) => {
                let a = match a {
                    Some(Fact::Set(a)) => a,
                    _ => &empty,
                };
                let b = match b {
                    Some(Fact::Set(b)) => b,
                    _ => &empty,
                };
                for removed in a.difference(b) {
                    changes.push(Change {
                        path: path.clone(),
                        old: Some(removed.as_str().into()),
                        new: None,
                    });
                }
                for added in b.difference(a) {
                    changes.push(Change {
                        path: path.clone(),
                        old: None,
                        new: Some(added.as_str().into()),
                    });
                }
            }
        }
    }
    changes
}

fn offence_ids(pack: &LawPack) -> BTreeSet<&str> {
    pack.offences.iter().map(|o| o.id.as_str()).collect()
}

fn pack_diff(old: (&str, &LawPack), new: (&str, &LawPack)) -> PackDiff {
    let changes = changes(old.1, new.1);
    let old_ids = offence_ids(old.1);
    let new_ids = offence_ids(new.1);
    PackDiff {
        code: new.1.code.clone(),
        name: new.1.name.clone(),
        status: if changes.is_empty() { "unchanged" } else { "changed" },
        old: Some(old.0.to_owned()),
        new: Some(new.0.to_owned()),
        offences_added: new_ids.difference(&old_ids).map(|s| (*s).to_owned()).collect(),
        offences_removed: old_ids.difference(&new_ids).map(|s| (*s).to_owned()).collect(),
        changes,
    }
}

fn diff(
    old: &Path,
    new: &Path,
    json: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    let diffs = match (old.is_dir(), new.is_dir()) {
        (true, true) => diff_dirs(old, new),
        (false, false) => diff_files(old, new),
        _ => Err(vec![InputError::new(
            new.display().to_string(),
            "",
            format!(
                "cannot compare with \"{}\", expected two files or two directories",
                old.display()
            ),
        )]),
    };
    let diffs = match diffs {
        Ok(diffs) => diffs,
        Err(problems) => {
            crate::evaluate::report(err, &problems)?;
            return Ok(ExitCode::from(INVALID));
        }
    };
    if json {
        render_json(&diffs, out)?;
    } else {
        render_diff(&diffs, out).context("writing to stdout")?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The parsed pack of a loaded file, or its problems.
fn parsed(loaded: &Loaded) -> Result<&LawPack, Vec<InputError>> {
    loaded.pack.as_ref().map_err(Clone::clone)
}

fn diff_files(old: &Path, new: &Path) -> Result<Vec<PackDiff>, Vec<InputError>> {
    let old = load_file(old);
    let new = load_file(new);
    let (old, new) = match (old, new) {
        (Ok(o), Ok(n)) => (o, n),
        (o, n) => return Err(o.err().into_iter().chain(n.err()).flatten().collect()),
    };
    match (parsed(&old), parsed(&new)) {
        (Ok(o), Ok(n)) => Ok(vec![pack_diff((&old.file, o), (&new.file, n))]),
        (o, n) => Err(o.err().into_iter().chain(n.err()).flatten().collect()),
    }
}

/// Packs of a directory by code; two files with one code is an error.
fn by_code(loaded: &[Loaded]) -> Result<BTreeMap<&str, (&str, &LawPack)>, Vec<InputError>> {
    let mut packs = BTreeMap::new();
    let mut problems = Vec::new();
    for file in loaded {
        match &file.pack {
            Ok(pack) => {
                if let Some((first, _)) =
                    packs.insert(pack.code.as_str(), (file.file.as_str(), pack))
                {
                    problems.push(InputError::new(
                        &file.file,
                        code_line(&file.text),
                        format!(
                            "code: law pack code \"{}\" is also used by {first}, expected one file per jurisdiction",
                            pack.code
                        ),
                    ));
                }
            }
            Err(errors) => problems.extend(errors.iter().cloned()),
        }
    }
    if problems.is_empty() {
        Ok(packs)
    } else {
        Err(problems)
    }
}

fn diff_dirs(old: &Path, new: &Path) -> Result<Vec<PackDiff>, Vec<InputError>> {
    let (old, new) = match (load_dir(old), load_dir(new)) {
        (Ok(o), Ok(n)) => (o, n),
        (o, n) => return Err(o.err().into_iter().chain(n.err()).flatten().collect()),
    };
    let (old, new) = match (by_code(&old), by_code(&new)) {
        (Ok(o), Ok(n)) => (o, n),
        (o, n) => return Err(o.err().into_iter().chain(n.err()).flatten().collect()),
    };
    let codes: BTreeSet<&str> = old.keys().chain(new.keys()).copied().collect();
    let mut diffs = Vec::new();
    for code in codes {
        diffs.push(match (old.get(code), new.get(code)) {
            (Some(&o), Some(&n)) => pack_diff(o, n),
            (Some((file, pack)), None) => PackDiff {
                code: pack.code.clone(),
                name: pack.name.clone(),
                status: "removed",
                old: Some((*file).to_owned()),
                new: None,
                changes: Vec::new(),
                offences_added: Vec::new(),
                offences_removed: pack.offences.iter().map(|o| o.id.clone()).collect(),
            },
            (None, Some((file, pack))) => PackDiff {
                code: pack.code.clone(),
                name: pack.name.clone(),
                status: "added",
                old: None,
                new: Some((*file).to_owned()),
                changes: Vec::new(),
                offences_added: pack.offences.iter().map(|o| o.id.clone()).collect(),
                offences_removed: Vec::new(),
            },
            (None, None) => continue,
        });
    }
    Ok(diffs)
}

/// A value as a reviewer reads it: JSON, with a space after each comma of a list.
fn text(value: &Value) -> String {
    match value {
        Value::Array(items) => {
            format!("[{}]", items.iter().map(text).collect::<Vec<_>>().join(", "))
        }
        other => other.to_string(),
    }
}

fn render_diff(diffs: &[PackDiff], out: &mut dyn Write) -> std::io::Result<()> {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for d in diffs {
        *counts.entry(d.status).or_default() += 1;
        let files = match (&d.old, &d.new) {
            (Some(o), Some(n)) => format!("{o} -> {n}"),
            (Some(f), None) | (None, Some(f)) => f.clone(),
            (None, None) => String::new(),
        };
        match d.status {
            "unchanged" => continue,
            "added" | "removed" => {
                let offences = plural(
                    d.offences_added.len() + d.offences_removed.len(),
                    "offence",
                    "offences",
                );
                writeln!(out, "{} pack {} ({}): {offences} ({files})", d.status, d.code, d.name)?;
                continue;
            }
            _ => {}
        }
        writeln!(out, "changed pack {} ({}): {files}", d.code, d.name)?;
        if !d.offences_added.is_empty() {
            writeln!(out, "  offences added: {}", d.offences_added.join(", "))?;
        }
        if !d.offences_removed.is_empty() {
            writeln!(out, "  offences removed: {}", d.offences_removed.join(", "))?;
        }
        for change in &d.changes {
            match (&change.old, &change.new) {
                (Some(a), Some(b)) => {
                    writeln!(out, "  {}: {} -> {}", change.path, text(a), text(b))?
                }
                (None, Some(b)) => writeln!(out, "  + {}: {}", change.path, text(b))?,
                (Some(a), None) => writeln!(out, "  - {}: {}", change.path, text(a))?,
                (None, None) => {}
            }
        }
    }
    let count = |status: &str| counts.get(status).copied().unwrap_or(0);
    if count("changed") + count("added") + count("removed") == 0 {
        writeln!(out, "no changes")?;
    }
    writeln!(
        out,
        "{} changed, {} added, {} removed, {} unchanged",
        plural(count("changed"), "pack", "packs"),
        count("added"),
        count("removed"),
        count("unchanged")
    )
}

fn render_json(diffs: &[PackDiff], out: &mut dyn Write) -> anyhow::Result<()> {
    let packs: Vec<serde_json::Value> = diffs
        .iter()
        .map(|d| {
            let changes: Vec<serde_json::Value> = d
                .changes
                .iter()
                .map(|c| serde_json::json!({ "path": c.path, "old": c.old, "new": c.new }))
                .collect();
            serde_json::json!({
                "code": d.code,
                "name": d.name,
                "status": d.status,
                "old": d.old,
                "new": d.new,
                "offences_added": d.offences_added,
                "offences_removed": d.offences_removed,
                "changes": changes,
            })
        })
        .collect();
    serde_json::to_writer_pretty(&mut *out, &serde_json::json!({ "packs": packs }))
        .context("writing to stdout")?;
    writeln!(out).context("writing to stdout")?;
    Ok(())
}
