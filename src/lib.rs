//! vpclint: an offline linter for ROMA Connect "Create a VPC channel in a project" request
//! bodies (`POST /v2/{project_id}/apic/vpc-channels`).
//!
//! Data flows one way:
//!
//! ```text
//! bytes ──reading::decode──▶ &str ──json::parse──▶ spanned tree (json::Tree)
//!       ──rules::shape (JSON Schema)──▶ ──view::read──▶ typed parts (channel, health check,
//!       members, groups, microservice info) ──rules::{channel,backends,health,registry,…}──▶
//!       Vec<Diagnostic> (sorted, severities resolved) ──report::*──▶ text / JSON
//! ```
//!
//! Rules never print and reporters never decide: a reporter gets finished [`FileReport`]s.

pub mod base;
pub mod cli;
pub mod config;
pub mod diagnostic;
pub mod discover;
pub mod fix;
pub mod json;
pub mod json_repr;
pub mod lint;
pub mod lsp;
pub mod model;
pub mod operation;
pub mod report;
pub mod rules;
pub mod schema;
pub mod settings;
pub mod view;
pub mod workspace;

pub use lint::http;
pub use lint::{
    check_across_files, finish, lint_bytes, lint_bytes_as, lint_file, lint_owned, operation_for,
    schema_pass, FileReport, Summary,
};
pub use settings::{Flags, Settings, DEFAULT_MAX_FILE_SIZE};
