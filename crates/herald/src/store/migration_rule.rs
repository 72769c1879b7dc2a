//! The rule every migration keeps, so that a node of the previous release
//! runs beside one of this release on the same database (a rolling
//! upgrade): a migration adds (tables, columns that are nullable or have a
//! default, indexes; an index may be dropped and made again) and never
//! drops or renames a table or a column, changes a column's type, or makes
//! a column required. The README states it (Upgrading); this test reads
//! every migration of both engines and holds them to it.

use std::{fs, path::Path};

use regex::RegexBuilder;

/// Migrations written before the rule, each with what it does against it.
/// None may be added.
const BEFORE_THE_RULE: [(&str, &str); 1] = [("postgres/0003_event_positions.sql", "DROP DEFAULT")];

/// What a migration may not do, as case-insensitive patterns.
const FORBIDDEN: [(&str, &str); 6] = [
    (r"\bDROP\s+TABLE\b", "drops a table"),
    (r"\bDROP\s+COLUMN\b", "drops a column"),
    (r"\bRENAME\b", "renames"),
    (r"\bALTER\s+COLUMN\s+\w+\s+(SET\s+DATA\s+)?TYPE\b", "changes a column's type"),
    (r"\bSET\s+NOT\s+NULL\b", "makes a column required"),
    (r"\bDROP\s+DEFAULT\b", "drops a default an older node may rely on"),
];

/// A migration's statements, comments removed.
fn statements(sql: &str) -> Vec<String> {
    let text: String = sql.lines().map(|line| line.split("--").next().unwrap_or("")).collect::<Vec<_>>().join("\n");
    text.split(';').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect()
}

/// What `sql` does against the rule: (the forbidden words, why).
fn breaches(sql: &str) -> Vec<(String, &'static str)> {
    let forbidden: Vec<(regex::Regex, &str)> = FORBIDDEN
        .iter()
        .map(|(pattern, why)| (RegexBuilder::new(pattern).case_insensitive(true).build().expect("a pattern"), *why))
        .collect();
    let mut found = Vec::new();
    for statement in statements(sql) {
        for (re, why) in &forbidden {
            if let Some(m) = re.find(&statement) {
                found.push((m.as_str().split_whitespace().collect::<Vec<_>>().join(" ").to_uppercase(), *why));
            }
        }
        let upper = statement.to_uppercase();
        if upper.contains("ADD COLUMN") && upper.contains("NOT NULL") && !upper.contains("DEFAULT") {
            found.push(("NOT NULL".into(), "adds a required column without a default an older node could insert"));
        }
    }
    found
}

#[test]
fn every_migration_only_adds() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    let mut read = 0;
    for engine in ["postgres", "sqlite"] {
        for entry in fs::read_dir(root.join(engine)).expect("the migrations folder") {
            let path = entry.expect("an entry").path();
            let name = format!("{engine}/{}", path.file_name().unwrap_or_default().to_string_lossy());
            let sql = fs::read_to_string(&path).expect("a migration's text");
            read += 1;
            for (words, why) in breaches(&sql) {
                assert!(
                    BEFORE_THE_RULE.contains(&(name.as_str(), words.as_str())),
                    "{name} {why} (`{words}`): a node of the previous release could not run beside it; \
                     add what is new and leave the old in place, and remove it a release later"
                );
            }
        }
    }
    assert!(read >= 20, "read {read} migrations");
}

#[test]
fn the_rule_catches_what_breaks_an_older_node() {
    for sql in [
        "ALTER TABLE endpoints DROP COLUMN url;",
        "alter table endpoints rename column url to target;",
        "ALTER TABLE events RENAME TO messages;",
        "DROP TABLE portal_links;",
        "ALTER TABLE deliveries ALTER COLUMN status TYPE INTEGER;",
        "ALTER TABLE deliveries ALTER COLUMN fifo_seq SET NOT NULL;",
        "ALTER TABLE endpoints ADD COLUMN region TEXT NOT NULL;",
    ] {
        assert!(!breaches(sql).is_empty(), "{sql}");
    }
    for sql in [
        "ALTER TABLE endpoints ADD COLUMN ordered INTEGER NOT NULL DEFAULT 0; -- DROP COLUMN in a comment",
        "ALTER TABLE deliveries ADD COLUMN fifo_seq INTEGER;",
        "DROP INDEX deliveries_due; CREATE INDEX deliveries_due ON deliveries (next_attempt_at);",
        "CREATE TABLE recoveries (id TEXT PRIMARY KEY);",
    ] {
        assert!(breaches(sql).is_empty(), "{sql}: {:?}", breaches(sql));
    }
}
