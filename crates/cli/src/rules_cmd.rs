//! `rightsgate rules`: the rule catalogue, generated from the rule items (the same text as `docs/rules.md`).

use std::io::Write;

use anyhow::Context as _;

/// Renders the catalogue as Markdown.
pub(crate) fn markdown() -> String {
    let mut s = String::from(
        "# Screening rules\n\n\
         Generated from `crates/rules/src/catalogue.rs` by `rightsgate rules`; do not edit by hand.\n\
         The exact conditions are in the rules specification; each rule's check function implements one row.\n\n\
         | id | title | effects | rests on |\n|---|---|---|---|\n",
    );
    for rule in rules::CATALOGUE {
        let effects: Vec<&str> = rule.effects.iter().map(|e| e.as_str()).collect();
        s.push_str(&format!(
            "| `{}` | {} | {} | {} |\n",
            rule.id,
            rule.title,
            effects.join(", "),
            rule.citations.join("; ")
        ));
    }
    s.push('\n');
    for rule in rules::CATALOGUE {
        s.push_str(&format!("## `{}`: {}\n\n{}\n\n", rule.id, rule.title, rule.explanation));
    }
    s
}

/// Writes the catalogue as Markdown or JSON.
pub(crate) fn run(json: bool, out: &mut dyn Write) -> anyhow::Result<()> {
    if json {
        let rows: Vec<serde_json::Value> = rules::CATALOGUE
            .iter()
            .map(|r| {
                serde_json::json!({
                    "id": r.id,
                    "title": r.title,
                    "effects": r.effects.iter().map(|e| e.as_str()).collect::<Vec<_>>(),
                    "citations": r.citations,
                    "explanation": r.explanation,
                })
            })
            .collect();
        serde_json::to_writer_pretty(&mut *out, &rows).context("writing the catalogue")?;
        writeln!(out).context("writing the catalogue")?;
    } else {
        out.write_all(markdown().as_bytes()).context("writing the catalogue")?;
    }
    Ok(())
}
