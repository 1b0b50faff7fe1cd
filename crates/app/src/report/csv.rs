//! The CSV rendering of a report: one tidy file per table (one line per cell, margins included),
//! `summary.csv`, `checkpoint.txt` (the signed note) and `data_dictionary.csv` describing every column.

use serde_json::Value;

use super::{tables, Cell};

/// Every file of the CSV rendering as `(file name, text)`, in the order they are listed: the tables, then
/// `summary.csv`, `checkpoint.txt` and `data_dictionary.csv`.
#[must_use]
pub fn files(doc: &Value) -> Vec<(String, String)> {
    let mut files = Vec::new();
    let mut dictionary = String::from("file,column,type,description\n");
    for table in tables(doc) {
        let id = &table.id;
        let mut text = format!("{id},measure,count,suppressed\n");
        for row in &table.rows {
            for (column, cell) in table.columns.iter().zip(&row.cells) {
                let count = match cell {
                    Cell::Count(n) => n.to_string(),
                    _ => String::new(),
                };
                let why = cell.reason().unwrap_or_default();
                text.push_str(&format!("{},{},{count},{why}\n", field(&row.key), field(column)));
            }
        }
        let file = format!("{id}.csv");
        dictionary.push_str(&format!(
            "{file},{id},text,{}\n{file},measure,text,{}\n{file},count,integer,{}\n{file},suppressed,text,{}\n",
            field(&format!("{}: the row's value (`all` is the row of column totals)", table.title)),
            field(&format!("what is counted: one of {}", table.columns.join(" "))),
            field("the number of cases; empty when withheld"),
            field("empty when shown; `small` when the count is between 1 and k-1; `complementary` when withheld so a small count cannot be recovered"),
        ));
        files.push((file, text));
    }
    let mut summary = String::from("measure,value\n");
    for (name, pointer) in [
        ("identifiers_affected", "/identifiers_affected"),
        ("decided", "/days_to_decision/decided"),
        ("median_days_to_decision", "/days_to_decision/median"),
        ("p90_days_to_decision", "/days_to_decision/p90"),
        ("k", "/disclosure_control/k"),
        ("epsilon", "/disclosure_control/epsilon"),
        ("privacy_budget", "/disclosure_control/privacy_budget"),
        ("tree_size", "/checkpoint/tree_size"),
        ("root_hash", "/checkpoint/root_hash"),
        ("period_from", "/period/from"),
        ("period_to", "/period/to"),
    ] {
        let v = doc.pointer(pointer).map_or(String::new(), |v| match v {
            Value::String(s) => s.clone(),
            Value::Null => String::new(),
            other => other.to_string(),
        });
        summary.push_str(&format!("{name},{}\n", field(&v)));
    }
    dictionary.push_str(
        "summary.csv,measure,text,identifiers_affected (identifiers named by the requests received; empty under noise or when from 1 to k-1); decided and the median and 90th-percentile whole days from receipt to decision (nearest rank; empty when fewer than k or under noise); the disclosure-control parameters; the checkpoint's tree size and root hash; the period\n\
         summary.csv,value,text,the value; empty when withheld\n\
         checkpoint.txt,,text,the ledger checkpoint (C2SP signed note) the report was computed from\n",
    );
    files.push(("summary.csv".to_owned(), summary));
    let note = doc.pointer("/checkpoint/note").and_then(Value::as_str).unwrap_or_default();
    files.push(("checkpoint.txt".to_owned(), note.to_owned()));
    files.push(("data_dictionary.csv".to_owned(), dictionary));
    files
}

/// One CSV field, quoted when it holds a separator, a quote or a line break.
fn field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}
