//! Renderings of an assessment: JSON (the `rightsgate/assessment/v1` format), Markdown and a standalone HTML
//! page. All three list the same items in the same order.

use std::fmt::Write as _;

use rules::assess::{Assessment, Certainty, Citation, Item};

/// The JSON document, pretty-printed with a final newline; deterministic (fields in declaration order, maps
/// sorted).
pub fn json(assessment: &Assessment) -> String {
    // Serializing a struct of strings, numbers and sorted maps cannot fail.
    let mut text = serde_json::to_string_pretty(assessment).unwrap_or_default();
    text.push('\n');
    text
}

fn certainty(c: &Citation) -> String {
    let word = match c.certainty {
        Certainty::Verified => "verified",
        Certainty::Secondary => "secondary source only",
        Certainty::Unverified => "unverified",
    };
    match c.note {
        Some(note) => format!("{} ({word}: {note})", c.text),
        None => format!("{} ({word})", c.text),
    }
}

fn status_word(item: &Item) -> &'static str {
    item.status.as_str()
}

fn header_lines(a: &Assessment) -> Vec<String> {
    let mut lines = vec![
        format!("State: {} ({}); law pack as of {}", a.name, a.state, a.lawpack_as_of),
        format!("Treaties: UNCC {}, Budapest {}", a.treaties.uncc, a.treaties.budapest),
        format!("Policy: {}", a.policy),
    ];
    match (&a.framework_as_of, &a.framework_note) {
        (Some(at), Some(note)) => lines.push(format!("Framework as of {at}: {note}")),
        (Some(at), None) => lines.push(format!("Framework as of {at}")),
        _ => lines.push("Framework: none given (items that need it are unknown)".to_owned()),
    }
    match &a.practice {
        Some(p) => lines.push(format!(
            "Practice: ledger of {} leaves; {} requests received, {} decided, {} refused, {} departures",
            p.tree_size, p.received, p.decided, p.refused, p.departures
        )),
        None => lines.push("Practice: no store read".to_owned()),
    }
    lines.push(format!(
        "Summary: {} met, {} partly met, {} not met, {} unknown",
        a.summary.met, a.summary.partly_met, a.summary.not_met, a.summary.unknown
    ));
    lines
}

/// A Markdown rendering: the header, a table of every item, then each item's evidence, citations and action.
pub fn markdown(a: &Assessment) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# Assessment of {} ({})\n", a.name, a.state);
    for line in header_lines(a) {
        let _ = writeln!(out, "- {line}");
    }
    let _ = writeln!(out, "\n| item | status | title |\n|---|---|---|");
    for item in &a.items {
        let _ = writeln!(out, "| `{}` | {} | {} |", item.id, status_word(item), item.title);
    }
    for item in &a.items {
        let _ = writeln!(out, "\n## {}: {}\n", item.id, item.title);
        let _ = writeln!(out, "Status: **{}**\n", status_word(item));
        let _ = writeln!(out, "Evidence:");
        for e in &item.evidence {
            let _ = writeln!(out, "- {} `{}`: {}", origin(e.source), e.field, e.value);
        }
        let _ = writeln!(out, "\nCitations:");
        for c in item.citations {
            let _ = writeln!(out, "- {}", certainty(c));
        }
        let _ = writeln!(out, "\nAction ({}): {}", action_kind(item), item.action.text);
    }
    let _ = writeln!(
        out,
        "\nInputs: law pack sha256 {}, policy sha256 {}, framework sha256 {}. {}.",
        a.inputs.lawpack_sha256,
        a.inputs.policy_sha256,
        a.inputs.framework_sha256.as_deref().unwrap_or("none"),
        a.engine
    );
    out
}

fn origin(o: rules::assess::Origin) -> &'static str {
    use rules::assess::Origin;
    match o {
        Origin::Lawpack => "law pack",
        Origin::Policy => "policy",
        Origin::Framework => "framework",
        Origin::Practice => "practice",
        Origin::Gate => "gate",
    }
}

fn action_kind(item: &Item) -> &'static str {
    use rules::assess::ActionKind;
    match item.action.kind {
        ActionKind::None => "none",
        ActionKind::Policy => "policy change",
        ActionKind::Reservation => "reservation",
        ActionKind::Declaration => "declaration",
        ActionKind::Notification => "notification",
        ActionKind::LegalReform => "legal reform",
        ActionKind::Practice => "practice",
    }
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A standalone HTML page (no scripts, no external resources), every value escaped.
pub fn html(a: &Assessment) -> String {
    let mut out = String::new();
    let title = escape(&format!("Assessment of {} ({})", a.name, a.state));
    let _ = write!(
        out,
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{title}</title>\n\
         <style>body{{font-family:sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}}\
         table{{border-collapse:collapse}}td,th{{border:1px solid #999;padding:.2rem .4rem;text-align:left}}\
         .met{{background:#dfd}}.partly_met{{background:#ffd}}.not_met{{background:#fdd}}.unknown{{background:#eee}}</style>\n\
         </head>\n<body>\n<h1>{title}</h1>\n<ul>\n"
    );
    for line in header_lines(a) {
        let _ = writeln!(out, "<li>{}</li>", escape(&line));
    }
    let _ = writeln!(out, "</ul>\n<table>\n<tr><th>item</th><th>status</th><th>title</th></tr>");
    for item in &a.items {
        let _ = writeln!(
            out,
            "<tr class=\"{s}\"><td><a href=\"#{id}\">{id}</a></td><td>{s}</td><td>{t}</td></tr>",
            id = escape(item.id),
            s = status_word(item),
            t = escape(item.title)
        );
    }
    let _ = writeln!(out, "</table>");
    for item in &a.items {
        let _ = writeln!(
            out,
            "<section id=\"{id}\">\n<h2>{id}: {t}</h2>\n<p class=\"{s}\">Status: <strong>{s}</strong></p>\n<h3>Evidence</h3>\n<ul>",
            id = escape(item.id),
            t = escape(item.title),
            s = status_word(item)
        );
        for e in &item.evidence {
            let _ = writeln!(
                out,
                "<li>{} <code>{}</code>: {}</li>",
                origin(e.source),
                escape(&e.field),
                escape(&e.value)
            );
        }
        let _ = writeln!(out, "</ul>\n<h3>Citations</h3>\n<ul>");
        for c in item.citations {
            let _ = writeln!(out, "<li>{}</li>", escape(&certainty(c)));
        }
        let _ = writeln!(
            out,
            "</ul>\n<p>Action ({}): {}</p>\n</section>",
            action_kind(item),
            escape(&item.action.text)
        );
    }
    let _ = writeln!(
        out,
        "<p>Inputs: law pack sha256 <code>{}</code>, policy sha256 <code>{}</code>, framework sha256 <code>{}</code>. {}.</p>\n</body>\n</html>",
        a.inputs.lawpack_sha256,
        a.inputs.policy_sha256,
        a.inputs.framework_sha256.as_deref().unwrap_or("none"),
        escape(a.engine)
    );
    out
}

/// The item catalogue as Markdown (the generated part of `docs/assess.md`): every item with its group, what it
/// checks and its citations with their certainty.
pub fn catalogue_markdown() -> String {
    use rules::assess::{Group, ITEMS};
    let mut out = String::new();
    for (group, heading) in [
        (Group::NecessaryProportionate, "The 13 Necessary & Proportionate principles"),
        (Group::Convention108, "Convention 108+"),
        (Group::Statement, "The statement's conditions"),
        (Group::Uncc, "The Convention's own protective provisions"),
    ] {
        let _ = writeln!(out, "\n### {heading}\n");
        for item in ITEMS.iter().filter(|i| i.group == group) {
            let _ = writeln!(out, "- **`{}`** {}.", item.id, item.title);
            let _ = writeln!(out, "  {}", item.method);
            let cites: Vec<String> = item.citations.iter().map(certainty).collect();
            let _ = writeln!(out, "  Citations: {}.", cites.join("; "));
        }
    }
    out
}
