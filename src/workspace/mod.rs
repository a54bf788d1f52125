//! The only layer that touches the file system: it finds files, resolves each one's
//! settings, reads it, takes it through its life ([`file`]) and writes fixes safely
//! ([`fs`]). `check`, standard input and the language server all come through here.

pub mod baseline;
pub mod file;
pub mod fs;
pub mod resolve;
pub mod run;
