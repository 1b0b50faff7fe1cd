//! The HTML rendering of a report: one self-contained page with a bar chart per table (inline SVG drawn with
//! `plotters`), every table with its withheld markers, the disclosure control in words and the signed
//! checkpoint; no JavaScript, no external resources, print styles included.

use domain::stats;
use serde_json::Value;

use super::{k_of, tables, Cell};

/// `report.html` for a document.
#[must_use]
pub fn page(doc: &Value) -> String {
    let k = k_of(doc);
    let text = |p: &str| doc.pointer(p).and_then(Value::as_str).unwrap_or_default().to_owned();
    let number = |p: &str| match doc.pointer(p) {
        Some(Value::Null) | None => "withheld".to_owned(),
        Some(v) => v.to_string(),
    };
    let mut body = String::new();
    body.push_str(&format!(
        "<h1>Transparency report: cooperation requests received from {} to {}</h1>\n",
        escape(&text("/period/from")),
        escape(&text("/period/to"))
    ));
    body.push_str(&format!(
        "<p>Computed from the transparency ledger at tree size <b>{}</b>, root hash <code>{}</code>. \
         Anyone with read access to the ledger can recompute every number with <code>rightsgate report verify report.json</code>.</p>\n",
        escape(&number("/checkpoint/tree_size")),
        escape(&text("/checkpoint/root_hash"))
    ));
    body.push_str(&format!(
        "<h2>Disclosure control</h2>\n<p>{}</p>\n",
        escape(&text("/disclosure_control/method"))
    ));
    body.push_str(&format!(
        "<h2>Summary</h2>\n<ul><li>Identifiers (accounts) affected: {}</li><li>Decided: {}; days from receipt to decision: median {}, 90th percentile {}</li></ul>\n",
        escape(&number("/identifiers_affected")),
        escape(&number("/days_to_decision/decided")),
        escape(&number("/days_to_decision/median")),
        escape(&number("/days_to_decision/p90")),
    ));
    for table in tables(doc) {
        body.push_str(&format!(
            "<section id=\"{}\">\n<h2>{}</h2>\n",
            escape(&table.id),
            escape(&table.title)
        ));
        // The chart shows each row's total (or its single count), without the row of column totals.
        let (labels, values): (Vec<String>, Vec<Option<u64>>) = table
            .rows
            .iter()
            .filter(|r| r.key != stats::ALL_ROWS)
            .map(|r| {
                let v = match r.cells.last() {
                    Some(Cell::Count(n)) => Some(*n),
                    _ => None,
                };
                (r.key.clone(), v)
            })
            .unzip();
        if !labels.is_empty() {
            let caption = format!(
                "{} per row (grey outline: withheld)",
                table.columns.last().cloned().unwrap_or_default()
            );
            // A chart that cannot be drawn is left out; the table below holds the same numbers.
            match bar_chart(&caption, &labels, &values) {
                Ok(svg) => {
                    body.push_str("<figure>");
                    body.push_str(&svg);
                    body.push_str("</figure>\n");
                }
                Err(ChartError(e)) => {
                    tracing::warn!(table = %table.id, error = %e, "chart not drawn")
                }
            }
        }
        body.push_str("<table><thead><tr><th></th>");
        for c in &table.columns {
            body.push_str(&format!("<th>{}</th>", escape(c)));
        }
        body.push_str("</tr></thead><tbody>\n");
        for row in &table.rows {
            body.push_str(&format!("<tr><th>{}</th>", escape(&row.key)));
            for cell in &row.cells {
                body.push_str(&format!("<td>{}</td>", escape(&cell.text(k))));
            }
            body.push_str("</tr>\n");
        }
        body.push_str("</tbody></table>\n</section>\n");
    }
    body.push_str(&format!(
        "<h2>Ledger checkpoint</h2>\n<pre>{}</pre>\n",
        escape(&text("/checkpoint/note"))
    ));
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Transparency report {} to {}</title>\n<style>\n\
         body{{font-family:sans-serif;max-width:60em;margin:2em auto;padding:0 1em;color:#111}}\n\
         table{{border-collapse:collapse;margin:1em 0}}th,td{{border:1px solid #999;padding:.2em .5em;text-align:right}}\n\
         tbody th{{text-align:left}}pre{{white-space:pre-wrap;word-break:break-all}}figure{{margin:0}}svg{{max-width:100%;height:auto}}\n\
         @media print{{section{{break-inside:avoid}}body{{margin:0;max-width:none}}}}\n\
         </style>\n</head>\n<body>\n{body}</body>\n</html>\n",
        escape(&text("/period/from")),
        escape(&text("/period/to")),
    )
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// A chart that `plotters` could not draw.
#[derive(Debug)]
struct ChartError(String);

impl<E: std::error::Error + Send + Sync> From<plotters::drawing::DrawingAreaErrorKind<E>>
    for ChartError
{
    fn from(e: plotters::drawing::DrawingAreaErrorKind<E>) -> Self {
        ChartError(e.to_string())
    }
}

/// A horizontal bar chart of one value per label, as an SVG element; withheld values are drawn as empty bars.
fn bar_chart(
    caption: &str,
    labels: &[String],
    values: &[Option<u64>],
) -> Result<String, ChartError> {
    use plotters::prelude::*;
    let mut svg = String::new();
    {
        let height = 60 + 24 * u32::try_from(labels.len()).unwrap_or(100);
        let root = SVGBackend::with_string(&mut svg, (720, height)).into_drawing_area();
        root.fill(&WHITE)?;
        let max = values.iter().flatten().max().copied().unwrap_or(0).max(1);
        let mut chart = ChartBuilder::on(&root)
            .caption(caption, ("sans-serif", 16))
            .margin(8)
            .x_label_area_size(24)
            .y_label_area_size(180)
            .build_cartesian_2d(
                0u64..max.saturating_add(max / 10).saturating_add(1),
                (0..labels.len()).into_segmented(),
            )?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(labels.len())
            .y_label_formatter(&|v| match v {
                SegmentValue::CenterOf(i) => labels.get(*i).cloned().unwrap_or_default(),
                _ => String::new(),
            })
            .draw()?;
        chart.draw_series(values.iter().enumerate().map(|(i, v)| {
            let style = match v {
                Some(_) => RGBColor(31, 90, 160).filled(),
                None => RGBColor(160, 160, 160).stroke_width(1),
            };
            Rectangle::new(
                [(0, SegmentValue::Exact(i)), (v.unwrap_or(max / 50), SegmentValue::Exact(i + 1))],
                style,
            )
        }))?;
        root.present()?;
    }
    Ok(svg)
}
