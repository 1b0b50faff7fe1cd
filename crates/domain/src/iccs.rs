//! The UNODC International Classification of Crime for Statistical Purposes (ICCS), embedded at build time.
//!
//! Law packs classify each offence by the conduct it punishes, so that offences of two states can be compared
//! whatever they are called (UNCC Art. 35).

use std::collections::BTreeMap;
use std::sync::OnceLock;

/// The ICCS table as shipped in `data/iccs.tsv` (code, level, name, parent code, notes).
pub const TSV: &str = include_str!("../../../data/iccs.tsv");

/// One ICCS category.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Category {
    /// The code, 2 to 6 digits.
    pub code: &'static str,
    /// 1 = section, 2 = division, 3 = group, 4 = class.
    pub level: u8,
    /// The category's name.
    pub name: &'static str,
}

/// The whole classification, keyed by code.
#[derive(Debug)]
pub struct Table {
    categories: BTreeMap<&'static str, Category>,
}

impl Table {
    /// The embedded table, parsed once.
    pub fn embedded() -> &'static Table {
        static TABLE: OnceLock<Table> = OnceLock::new();
        TABLE.get_or_init(|| Table::parse(TSV))
    }

    fn parse(tsv: &'static str) -> Table {
        let categories = tsv
            .lines()
            .skip(1)
            .filter_map(|line| {
                let mut cols = line.split('\t');
                let code = cols.next()?.trim();
                let level = cols.next()?.trim().parse().ok()?;
                let name = cols.next()?.trim();
                Some((code, Category { code, level, name }))
            })
            .collect();
        Table { categories }
    }

    /// The category with this exact code.
    pub fn get(&self, code: &str) -> Option<&Category> {
        self.categories.get(code)
    }

    /// Whether the code is in the table.
    pub fn contains(&self, code: &str) -> bool {
        self.categories.contains_key(code)
    }

    /// Number of categories.
    pub fn len(&self) -> usize {
        self.categories.len()
    }

    /// Whether the table is empty (it never is once embedded).
    pub fn is_empty(&self) -> bool {
        self.categories.is_empty()
    }

    /// The section (level 1) a code belongs to, by its first two digits.
    pub fn section_of(&self, code: &str) -> Option<&Category> {
        code.get(..2).and_then(|prefix| self.categories.get(prefix))
    }
}

#[cfg(test)]
mod tests {
    use super::Table;

    #[test]
    fn the_embedded_table_holds_all_320_codes() {
        let table = Table::embedded();
        assert_eq!(table.len(), 320);
        assert_eq!(table.get("080329").map(|c| c.level), Some(4));
        assert_eq!(table.section_of("0701").map(|c| c.code), Some("07"));
        assert!(!table.contains("999"));
    }
}
