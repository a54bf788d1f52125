//! `vpclint lsp`: a Language Server over stdio.
//!
//! Synchronous by design: linting a request takes microseconds to milliseconds, so one
//! thread answers faster than any async runtime would start. A second thread only reads
//! and frames messages ([`transport`]), so the main loop can see everything that has
//! arrived before it starts work. The one request whose cost grows with a document that
//! is not being linted, `documentSymbol`, runs on a thread of its own ([`outline`]) and
//! comes back to the loop as an [`Event`]:
//!
//! - **Coalescing.** The loop takes every message waiting in the queue as one batch, applies
//!   all document changes in order, answers requests (cancelled ones with -32800), and only
//!   then lints each changed document once, at its newest version. A burst of 200 edits is
//!   one lint, not 200, and a published version never goes backwards.
//! - **Config like CI.** `vpclint.toml` is found and parsed once per directory and cached;
//!   `workspace/didChangeWatchedFiles` (registered dynamically where the client allows) or a
//!   saved `vpclint.toml` drops the cache and re-lints every open document. A broken config
//!   is shown as diagnostics on the config file and with `window/showMessage`, never
//!   ignored. Settings come from [`Settings::resolve`], as for `check`.
//! - **Never dies.** A message that does not decode is answered (-32700/-32600) and
//!   logged in one line without its text; a panic in a handler is an -32603 answer. The
//!   process ends only on `exit` (0 after `shutdown`, else 1) or when its input ends.

mod complete;
mod features;
mod outline;
pub mod transport;

pub use complete::{completion, symbols};
pub use features::{apply_change, field_docs, hover, offset_of, uri, uri_to_path};

use crate::base::{panic_text, say};
use crate::config::{Config, ConfigError};
use crate::diagnostic::LineIndex;
use crate::lint::FileReport;
use crate::settings::{FixMode, Flags, Settings};
use crate::workspace::file::{self as wfile, Linted};
pub use crate::workspace::resolve::Choice;
use crate::workspace::resolve::{Resolved, Resolver};
use lsp_types::{
    CodeActionKind, CodeActionOptions, CodeActionParams, CodeActionProviderCapability,
    CompletionOptions, CompletionParams, DiagnosticOptions, DiagnosticServerCapabilities,
    DidChangeTextDocumentParams, DidCloseTextDocumentParams, DidOpenTextDocumentParams,
    DidSaveTextDocumentParams, DocumentDiagnosticParams, DocumentSymbolParams, HoverParams,
    HoverProviderCapability, OneOf, Range, SaveOptions, ServerCapabilities,
    TextDocumentSyncCapability, TextDocumentSyncKind, TextDocumentSyncOptions,
    TextDocumentSyncSaveOptions, Uri,
};
use serde_json::{json, Value};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, RecvTimeoutError, SyncSender, TryRecvError};
use std::sync::Arc;
use std::time::{Duration, Instant};
use transport::Incoming;

const INVALID_PARAMS: i64 = -32602;
const METHOD_NOT_FOUND: i64 = -32601;
const INTERNAL_ERROR: i64 = -32603;
const SERVER_NOT_INITIALIZED: i64 = -32002;
const REQUEST_CANCELLED: i64 = -32800;
const CONTENT_MODIFIED: i64 = -32801;
/// The longest a changed document waits for its diagnostics while edits keep arriving.
const PUBLISH_CEILING: Duration = Duration::from_millis(200);
/// Messages read ahead of the server: beyond this the reader waits (back-pressure), so a
/// client that floods the server cannot make it hold unbounded memory.
const READ_AHEAD: usize = 16;

pub fn capabilities() -> ServerCapabilities {
    ServerCapabilities {
        text_document_sync: Some(TextDocumentSyncCapability::Options(
            TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(TextDocumentSyncKind::INCREMENTAL),
                save: Some(TextDocumentSyncSaveOptions::SaveOptions(SaveOptions {
                    include_text: Some(true),
                })),
                ..Default::default()
            },
        )),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        completion_provider: Some(CompletionOptions {
            trigger_characters: Some(vec!["\"".into(), ":".into()]),
            ..Default::default()
        }),
        document_symbol_provider: Some(OneOf::Left(true)),
        code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
            code_action_kinds: Some(vec![
                CodeActionKind::QUICKFIX,
                CodeActionKind::new(features::FIX_ALL),
            ]),
            ..Default::default()
        })),
        diagnostic_provider: Some(DiagnosticServerCapabilities::Options(DiagnosticOptions {
            identifier: Some("vpclint".into()),
            inter_file_dependencies: false,
            workspace_diagnostics: false,
            ..Default::default()
        })),
        ..Default::default()
    }
}

/// Serve on stdin/stdout with the configs `choice` names. Returns the process exit status.
pub fn run(choice: Choice) -> i32 {
    let stdout = std::io::stdout();
    serve_with(
        std::io::BufReader::new(std::io::stdin()),
        stdout.lock(),
        choice,
    )
}

/// The server on any byte streams (the tests drive it with in-memory ones).
pub fn serve(input: impl std::io::BufRead + Send + 'static, output: impl Write) -> i32 {
    serve_with(input, output, Choice::Closest)
}

/// What the main loop waits for: a client's message, or the answer of a request run off the
/// loop (`documentSymbol`).
enum Event {
    Message(Incoming),
    Done {
        id: Value,
        result: Result<Value, (i64, String)>,
    },
}

fn serve_with(
    input: impl std::io::BufRead + Send + 'static,
    output: impl Write,
    choice: Choice,
) -> i32 {
    let (tx, rx) = sync_channel(READ_AHEAD);
    let busy = Arc::new(AtomicBool::new(false));
    let reading = Arc::clone(&busy);
    let events = tx.clone();
    let reader = std::thread::spawn(move || {
        let mut input = input;
        // The loop ends on `Closed`; a reader that failed says so too, so the server never
        // waits for a message that cannot come.
        let failed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| loop {
            let m = transport::read_message_signalled(&mut input, &reading);
            let end = matches!(m, Incoming::Closed(_));
            if tx.send(Event::Message(m)).is_err() || end {
                return;
            }
        }));
        if let Err(p) = failed {
            let why = format!("the reader failed: {}", panic_text(&*p));
            let _ = tx.send(Event::Message(Incoming::Closed(why)));
        }
    });
    let status = match Server::new(output, busy, choice, events) {
        Ok(mut server) => server.run(&rx),
        Err(why) => {
            say(&format!("vpclint lsp: {why}"));
            2
        }
    };
    drop(rx);
    // The reader may be blocked on input that never ends; it dies with the process.
    if reader.is_finished() {
        let _ = reader.join();
    }
    status
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Uninitialized,
    Running,
    ShuttingDown,
}

/// A document's lint: its report after ignores, its settings, and the text linted.
type Lint = (Linted, Arc<Resolved>, String);

struct Doc {
    uri: Uri,
    /// The client's language id: an untitled `http` document is a request file.
    language: String,
    text: String,
    version: i32,
    /// The newest version whose diagnostics were published.
    published: Option<i32>,
    /// How long the last lint of this document took (drives the wait for more edits).
    lint_time: Duration,
    /// When the last change arrived, and whether it followed the one before within 50 ms.
    last_change: Instant,
    in_burst: bool,
}

/// A request file: by its name, or by its language when it has none (`untitled:`).
fn is_request_doc(d: &Doc) -> bool {
    crate::http::is_request_file(&features::document_name(&d.uri))
        || matches!(d.language.as_str(), "http" | "rest" | "restclient")
}

/// The outline of a document; `None` when `cancelled` said so first.
fn document_symbols(text: &str, request_doc: bool, cancelled: &dyn Fn() -> bool) -> Option<Value> {
    if !request_doc {
        return outline::outline(text, cancelled).ok().map(|s| json!(s));
    }
    // One symbol per request of the family, its body's fields inside.
    let mut requests = Vec::new();
    for b in features::bodies(text) {
        let mut children = outline::outline(b.text, cancelled).ok()?;
        shift_symbols(&mut children, &b);
        #[allow(deprecated)] // `deprecated` is a required field of the type
        requests.push(lsp_types::DocumentSymbol {
            name: b.title.clone(),
            detail: Some(b.op.id.to_owned()),
            kind: lsp_types::SymbolKind::EVENT,
            tags: None,
            deprecated: None,
            range: b.request,
            selection_range: Range::new(b.request.start, b.request.start),
            children: Some(children),
        });
    }
    Some(json!(requests))
}

/// Body symbols moved to where the body sits in the request file.
fn shift_symbols(symbols: &mut [lsp_types::DocumentSymbol], b: &features::BodyAt<'_>) {
    for s in symbols {
        s.range = b.range_to_doc(s.range);
        s.selection_range = b.range_to_doc(s.selection_range);
        if let Some(c) = &mut s.children {
            shift_symbols(c, b);
        }
    }
}

fn is_config(uri: &Uri) -> bool {
    uri.as_str().ends_with(crate::config::FILE_NAME)
}

struct Server<W: Write> {
    out: W,
    state: State,
    docs: HashMap<String, Doc>,
    dirty: BTreeSet<String>,
    /// Which config governs a document: the same resolver `check` uses, cached per
    /// directory until a watcher says a config changed.
    resolver: Resolver,
    /// Config errors already shown with `window/showMessage` (once each, not per keystroke).
    shown: HashSet<String>,
    /// Config files that have error diagnostics published, so they can be cleared.
    config_diagnostics: HashSet<String>,
    watch_files: bool,
    /// The client pulls diagnostics (`textDocument/diagnostic`): pushing them too would
    /// show every finding twice.
    pull: bool,
    /// The client can be asked to pull again (`workspace/diagnostic/refresh`).
    refresh: bool,
    /// The last lint of each document, by version: code actions (asked at every cursor
    /// move) and pulls do not lint again.
    cache: HashMap<String, (i32, Option<Lint>)>,
    /// Documents over `max-file-size` already told about (once per document).
    too_large: HashSet<String>,
    next_id: i64,
    output_failed: bool,
    /// Set by the reader while a message body is arriving.
    reading: Arc<AtomicBool>,
    /// `--config`/`--no-config`, kept to build the resolver again when the config changes.
    choice: Choice,
    /// Where requests run off the loop send their answers.
    events: SyncSender<Event>,
    /// Requests running off the loop, by id: their document and cancellation flag.
    jobs: HashMap<String, Job>,
}

/// A request running on its own thread.
struct Job {
    doc: String,
    id: Value,
    cancel: Arc<AtomicBool>,
}

impl<W: Write> Server<W> {
    fn new(
        out: W,
        reading: Arc<AtomicBool>,
        choice: Choice,
        events: SyncSender<Event>,
    ) -> Result<Self, String> {
        Ok(Server {
            out,
            state: State::Uninitialized,
            docs: HashMap::new(),
            dirty: BTreeSet::new(),
            resolver: Resolver::new(choice.clone(), Flags::default())?,
            shown: HashSet::new(),
            config_diagnostics: HashSet::new(),
            watch_files: false,
            pull: false,
            refresh: false,
            cache: HashMap::new(),
            too_large: HashSet::new(),
            next_id: 1,
            output_failed: false,
            reading,
            choice,
            events,
            jobs: HashMap::new(),
        })
    }

    fn run(&mut self, rx: &Receiver<Event>) -> i32 {
        loop {
            let first = rx
                .recv()
                .unwrap_or_else(|_| Event::Message(Incoming::Closed("the reader stopped".into())));
            if let Some(status) = self.process(first, rx) {
                return status;
            }
            // A burst of edits to a large document: wait for a short quiet spell before
            // linting, so that 200 edits are one lint. Small documents lint at once, and no
            // wait outlasts the ceiling, however the edits keep coming.
            let waiting_since = Instant::now();
            while !self.dirty.is_empty() {
                let quiet = self
                    .quiet_time()
                    .min(PUBLISH_CEILING.saturating_sub(waiting_since.elapsed()));
                if quiet.is_zero() {
                    break;
                }
                match rx.recv_timeout(quiet) {
                    Ok(m) => {
                        if let Some(status) = self.process(m, rx) {
                            return status;
                        }
                    }
                    Err(RecvTimeoutError::Timeout) => break,
                    Err(RecvTimeoutError::Disconnected) => {
                        let closed = Event::Message(Incoming::Closed("the reader stopped".into()));
                        if let Some(status) = self.process(closed, rx) {
                            return status;
                        }
                    }
                }
            }
            self.publish_dirty();
            if self.output_failed {
                say("vpclint lsp: cannot write to the client; exiting");
                return 1;
            }
        }
    }

    /// Handle `first` and everything already waiting behind it, as one batch: document
    /// changes are applied in order, requests answered, and a request cancelled in the same
    /// batch is answered -32800 without being run.
    fn process(&mut self, first: Event, rx: &Receiver<Event>) -> Option<i32> {
        let mut batch = vec![first];
        while !matches!(batch.last(), Some(Event::Message(Incoming::Closed(_)))) {
            match rx.try_recv() {
                Ok(m) => batch.push(m),
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => batch.push(Event::Message(Incoming::Closed(
                    "the reader stopped".into(),
                ))),
            }
        }
        let cancelled: HashSet<String> = batch
            .iter()
            .filter_map(|m| match m {
                Event::Message(Incoming::Notification { method, params })
                    if method == "$/cancelRequest" =>
                {
                    params.get("id").map(Value::to_string)
                }
                _ => None,
            })
            .collect();
        for m in batch {
            let status = match m {
                Event::Message(m) => self.handle(m, &cancelled),
                Event::Done { id, result } => {
                    // Answered only if still wanted: a cancelled or superseded job was
                    // answered when it was dropped.
                    if self.jobs.remove(&id.to_string()).is_some() {
                        self.respond(id, result);
                    }
                    None
                }
            };
            if let Some(status) = status {
                return Some(status);
            }
        }
        None
    }

    /// Run `documentSymbol` on its own thread: a big document's outline must not hold up
    /// diagnostics of another, and `$/cancelRequest` stops it. `false` when it cannot be
    /// started that way (the request is then answered on the loop).
    fn spawn_symbols(&mut self, id: &Value, params: &Value) -> bool {
        let Some(key) = params
            .pointer("/textDocument/uri")
            .and_then(Value::as_str)
            .map(str::to_owned)
        else {
            return false;
        };
        let Some(d) = self.docs.get(&key) else {
            return false;
        };
        let (text, request_doc) = (d.text.clone(), is_request_doc(d));
        // One outline per document at a time: a newer request supersedes an older one,
        // which is answered "content modified" (clients then ask again or drop it).
        let stale: Vec<String> = self
            .jobs
            .iter()
            .filter(|(_, j)| j.doc == key)
            .map(|(k, _)| k.clone())
            .collect();
        for k in stale {
            if let Some(job) = self.jobs.remove(&k) {
                job.cancel.store(true, Ordering::Relaxed);
                self.respond(
                    job.id,
                    Err((CONTENT_MODIFIED, "superseded by a newer request".into())),
                );
            }
        }
        let cancel = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&cancel);
        let events = self.events.clone();
        let answer_id = id.clone();
        let spawned = std::thread::Builder::new()
            .name("vpclint-symbols".into())
            .spawn(move || {
                let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    document_symbols(&text, request_doc, &|| flag.load(Ordering::Relaxed))
                }));
                drop(text);
                let result = match out {
                    Ok(Some(v)) => Ok(v),
                    Ok(None) => Err((REQUEST_CANCELLED, "cancelled".to_owned())),
                    Err(p) => {
                        let what = panic_text(&*p);
                        say(&format!(
                            "vpclint lsp: internal error in documentSymbol: {what}"
                        ));
                        Err((INTERNAL_ERROR, format!("vpclint: internal error: {what}")))
                    }
                };
                let _ = events.send(Event::Done {
                    id: answer_id,
                    result,
                });
            });
        if spawned.is_err() {
            return false;
        }
        self.jobs.insert(
            id.to_string(),
            Job {
                doc: key,
                id: id.clone(),
                cancel,
            },
        );
        true
    }

    /// `$/cancelRequest` for a request running off the loop: stop it and answer now.
    fn cancel_job(&mut self, params: &Value) {
        let Some(id) = params.get("id") else { return };
        if let Some(job) = self.jobs.remove(&id.to_string()) {
            job.cancel.store(true, Ordering::Relaxed);
            self.respond(job.id, Err((REQUEST_CANCELLED, "cancelled".to_owned())));
        }
    }

    /// How long to wait for more edits before linting. Nothing after a lone edit, or for a
    /// document that lints in under a millisecond: a keystroke is linted at once. During a
    /// burst (this document's previous edit came less than 50 ms before): until a message
    /// that is arriving right now has landed, else 15 ms of quiet, so that the final
    /// diagnostics of a burst on a 1 MB document come well within 100 ms of its last edit.
    fn quiet_time(&self) -> Duration {
        let bursting = self
            .dirty
            .iter()
            .filter_map(|k| self.docs.get(k))
            .any(|d| d.in_burst && d.lint_time >= Duration::from_millis(1));
        if !bursting {
            Duration::ZERO
        } else if self.reading.load(Ordering::Acquire) {
            Duration::from_millis(100)
        } else {
            Duration::from_millis(15)
        }
    }

    fn exit_status(&self) -> i32 {
        if self.state == State::ShuttingDown {
            0
        } else {
            1
        }
    }

    fn send(&mut self, msg: Value) {
        if transport::write_message(&mut self.out, &msg).is_err() {
            self.output_failed = true;
        }
    }

    fn respond(&mut self, id: Value, result: Result<Value, (i64, String)>) {
        let msg = match result {
            Ok(r) => json!({"jsonrpc": "2.0", "id": id, "result": r}),
            Err((code, message)) => {
                json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}})
            }
        };
        self.send(msg);
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// Handle one message; `Some(status)` when the server must exit.
    fn handle(&mut self, m: Incoming, cancelled: &HashSet<String>) -> Option<i32> {
        match m {
            Incoming::Closed(why) => {
                let status = self.exit_status();
                say(&format!("vpclint lsp: {why}; exiting with status {status}"));
                Some(status)
            }
            Incoming::Invalid { id, code, why } => {
                say(&format!("vpclint lsp: ignored a bad message: {why}"));
                self.respond(id.unwrap_or(Value::Null), Err((code, why)));
                None
            }
            Incoming::Response { .. } => None,
            Incoming::Request { id, method, params } => {
                let off_loop = self.state == State::Running
                    && method == "textDocument/documentSymbol"
                    && !cancelled.contains(&id.to_string());
                if off_loop && self.spawn_symbols(&id, &params) {
                    return None;
                }
                let result = match self.state {
                    State::Uninitialized if method != "initialize" => Err((
                        SERVER_NOT_INITIALIZED,
                        "the server is not initialized".to_owned(),
                    )),
                    State::ShuttingDown => Err((
                        transport::INVALID_REQUEST,
                        "the server is shutting down".to_owned(),
                    )),
                    _ if cancelled.contains(&id.to_string()) => {
                        Err((REQUEST_CANCELLED, "cancelled".to_owned()))
                    }
                    _ => {
                        let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                            self.request(&method, params)
                        }));
                        out.unwrap_or_else(|p| {
                            let what = panic_text(&*p);
                            say(&format!("vpclint lsp: internal error in {method}: {what}"));
                            Err((INTERNAL_ERROR, format!("vpclint: internal error: {what}")))
                        })
                    }
                };
                self.respond(id, result);
                None
            }
            Incoming::Notification { method, params } => {
                if method == "exit" {
                    return Some(self.exit_status());
                }
                if method == "$/cancelRequest" {
                    self.cancel_job(&params);
                }
                if self.state != State::Running {
                    return None; // dropped, as the spec says, and never echoed to stderr
                }
                let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    self.notification(&method, params)
                }));
                match out {
                    Ok(Ok(())) => {}
                    Ok(Err(why)) => say(&format!("vpclint lsp: ignored {method}: {why}")),
                    Err(p) => say(&format!(
                        "vpclint lsp: internal error in {method}: {}",
                        panic_text(&*p)
                    )),
                }
                None
            }
        }
    }

    fn request(&mut self, method: &str, params: Value) -> Result<Value, (i64, String)> {
        fn parse<T: serde::de::DeserializeOwned>(params: Value) -> Result<T, (i64, String)> {
            serde_json::from_value(params)
                .map_err(|e| (INVALID_PARAMS, format!("invalid params: {e}")))
        }
        match method {
            "initialize" => {
                if self.state != State::Uninitialized {
                    return Err((transport::INVALID_REQUEST, "already initialized".into()));
                }
                let caps: lsp_types::InitializeParams = parse(params)?;
                self.pull = caps
                    .capabilities
                    .text_document
                    .as_ref()
                    .is_some_and(|t| t.diagnostic.is_some());
                self.refresh = caps
                    .capabilities
                    .workspace
                    .as_ref()
                    .and_then(|w| w.diagnostic.as_ref())
                    .and_then(|d| d.refresh_support)
                    .unwrap_or(false);
                self.watch_files = caps
                    .capabilities
                    .workspace
                    .and_then(|w| w.did_change_watched_files)
                    .and_then(|w| w.dynamic_registration)
                    .unwrap_or(false);
                self.state = State::Running;
                Ok(json!({
                    "capabilities": capabilities(),
                    "serverInfo": {"name": "vpclint", "version": env!("CARGO_PKG_VERSION")}
                }))
            }
            "shutdown" => {
                self.state = State::ShuttingDown;
                Ok(Value::Null)
            }
            "textDocument/hover" => {
                let p: HoverParams = parse(params)?;
                let pos = p.text_document_position_params;
                let key = pos.text_document.uri.as_str().to_owned();
                let op = self.operation_of(&key);
                let Some(d) = self.docs.get(&key) else {
                    return Ok(Value::Null);
                };
                if is_request_doc(d) {
                    // The request under the cursor: its body, as its operation's.
                    let Some(b) = features::body_at(&d.text, pos.position) else {
                        return Ok(Value::Null);
                    };
                    return Ok(hover(b.text, b.to_body(pos.position), b.op).map_or(
                        Value::Null,
                        |mut h| {
                            h.range = h.range.map(|r| b.range_to_doc(r));
                            json!(h)
                        },
                    ));
                }
                Ok(hover(&d.text, pos.position, op).map_or(Value::Null, |h| json!(h)))
            }
            "textDocument/completion" => {
                let p: CompletionParams = parse(params)?;
                let pos = p.text_document_position;
                let key = pos.text_document.uri.as_str().to_owned();
                let op = self.operation_of(&key);
                let Some(d) = self.docs.get(&key).filter(|d| !is_config(&d.uri)) else {
                    return Ok(Value::Null);
                };
                if is_request_doc(d) {
                    let Some(b) = features::body_at(&d.text, pos.position) else {
                        return Ok(json!([]));
                    };
                    let mut items = complete::completion(b.text, b.to_body(pos.position), b.op);
                    for item in &mut items {
                        if let Some(lsp_types::CompletionTextEdit::Edit(e)) = &mut item.text_edit {
                            e.range = b.range_to_doc(e.range);
                        }
                    }
                    return Ok(json!(items));
                }
                Ok(json!(complete::completion(&d.text, pos.position, op)))
            }
            "textDocument/documentSymbol" => {
                let p: DocumentSymbolParams = parse(params)?;
                let Some(d) = self.docs.get(p.text_document.uri.as_str()) else {
                    return Ok(Value::Null);
                };
                Ok(document_symbols(&d.text, is_request_doc(d), &|| false).unwrap_or(Value::Null))
            }
            "textDocument/codeAction" => {
                let p: CodeActionParams = parse(params)?;
                let key = p.text_document.uri.as_str().to_owned();
                let Some((linted, resolved, text)) = self.lint(&key) else {
                    return Ok(json!([]));
                };
                let only = p.context.only.unwrap_or_default();
                // Fix-all is `check --fix` in memory: the same rounds, the same applier.
                let name = features::document_name(&p.text_document.uri);
                let fixed = wfile::fix_text(
                    &name,
                    text.as_bytes(),
                    Linted {
                        report: linted.report.clone(),
                        usage: None,
                    },
                    &resolved,
                    FixMode::Apply {
                        unsafe_fixes: false,
                    },
                    &crate::workspace::file::environments(&name, &resolved).unwrap_or_default(),
                );
                let fixed = (fixed.text != text.as_bytes())
                    .then(|| String::from_utf8(fixed.text).ok())
                    .flatten();
                Ok(json!(features::code_actions(
                    &p.text_document.uri,
                    &linted.report,
                    p.range,
                    &only,
                    fixed.as_deref(),
                )))
            }
            "textDocument/diagnostic" => {
                let p: DocumentDiagnosticParams = parse(params)?;
                let key = p.text_document.uri.as_str().to_owned();
                let Some(doc) = self.docs.get(&key) else {
                    // Never "clean" for a document the server does not hold (not opened,
                    // or dropped for its size).
                    return Err((
                        INVALID_PARAMS,
                        "vpclint does not hold this document (not open, or too large to read)"
                            .into(),
                    ));
                };
                if is_config(&doc.uri) {
                    let uri = doc.uri.clone();
                    let items = self.config_document_diagnostics(&uri, &key);
                    return Ok(json!({"kind": "full", "items": items}));
                }
                let items =
                    match self.report(&key) {
                        Some(r) => features::lsp_diagnostics(&p.text_document.uri, &r),
                        None if self.too_large.contains(&key) => return Err((
                            INVALID_PARAMS,
                            "vpclint: the document is larger than max-file-size; it is not linted"
                                .into(),
                        )),
                        None => Vec::new(),
                    };
                Ok(json!({"kind": "full", "items": items}))
            }
            _ => Err((METHOD_NOT_FOUND, format!("unsupported method {method}"))),
        }
    }

    fn notification(&mut self, method: &str, params: Value) -> Result<(), String> {
        // Never serde's own words: they quote the offending value, which may be a
        // document's text with a password in it.
        let parse_err = |e: serde_json::Error| match e.classify() {
            serde_json::error::Category::Data => {
                "invalid params (a field is missing or has the wrong type)".to_owned()
            }
            _ => "invalid params (malformed)".to_owned(),
        };
        match method {
            "initialized" if self.watch_files => {
                let mut watchers = vec![
                    json!({"globPattern": "**/vpclint.toml"}),
                    json!({"globPattern": "**/.vpclint.toml"}),
                ];
                if let Choice::File(file) = &self.choice {
                    watchers.push(json!({"globPattern": file.to_string_lossy()}));
                }
                let id = self.next_id;
                self.next_id += 1;
                self.send(json!({
                    "jsonrpc": "2.0", "id": format!("vpclint-{id}"),
                    "method": "client/registerCapability",
                    "params": {"registrations": [{
                        "id": "vpclint-config-watcher",
                        "method": "workspace/didChangeWatchedFiles",
                        "registerOptions": {"watchers": watchers}
                    }]}
                }));
            }
            "textDocument/didOpen" => {
                let p: DidOpenTextDocumentParams =
                    serde_json::from_value(params).map_err(parse_err)?;
                let key = p.text_document.uri.as_str().to_owned();
                self.docs.insert(
                    key.clone(),
                    Doc {
                        uri: p.text_document.uri,
                        language: p.text_document.language_id,
                        text: p.text_document.text,
                        version: p.text_document.version,
                        published: None,
                        lint_time: Duration::ZERO,
                        last_change: Instant::now(),
                        in_burst: false,
                    },
                );
                self.cache.remove(&key);
                self.dirty.insert(key);
            }
            "textDocument/didChange" => {
                let p: DidChangeTextDocumentParams =
                    serde_json::from_value(params).map_err(parse_err)?;
                let key = p.text_document.uri.as_str().to_owned();
                // A change for a document that is not open (after didClose) is ignored.
                let Some(doc) = self.docs.get_mut(&key) else {
                    return Ok(());
                };
                for change in p.content_changes {
                    apply_change(&mut doc.text, change.range, &change.text);
                }
                doc.version = p.text_document.version;
                self.cache.remove(&key);
                let now = Instant::now();
                doc.in_burst = now.duration_since(doc.last_change) < Duration::from_millis(50);
                doc.last_change = now;
                self.dirty.insert(key);
            }
            "textDocument/didSave" => {
                let p: DidSaveTextDocumentParams =
                    serde_json::from_value(params).map_err(parse_err)?;
                let key = p.text_document.uri.as_str().to_owned();
                if let (Some(doc), Some(text)) = (self.docs.get_mut(&key), p.text) {
                    doc.text = text;
                    self.cache.remove(&key);
                }
                if is_config(&p.text_document.uri) || self.is_fixed_config(&p.text_document.uri) {
                    self.config_changed();
                } else if self.docs.contains_key(&key) {
                    self.dirty.insert(key);
                }
            }
            "textDocument/didClose" => {
                let p: DidCloseTextDocumentParams =
                    serde_json::from_value(params).map_err(parse_err)?;
                let key = p.text_document.uri.as_str().to_owned();
                self.docs.remove(&key);
                self.dirty.remove(&key);
                self.cache.remove(&key);
                self.too_large.remove(&key);
                if !self.config_diagnostics.contains(&key) {
                    self.notify(
                        "textDocument/publishDiagnostics",
                        json!({"uri": p.text_document.uri, "diagnostics": []}),
                    );
                }
            }
            "workspace/didChangeWatchedFiles" => self.config_changed(),
            _ => {} // $/cancelRequest was read with its batch; the rest is optional
        }
        Ok(())
    }

    /// The `--config` file, opened in the editor under whatever name it has.
    fn is_fixed_config(&self, uri: &Uri) -> bool {
        match &self.choice {
            Choice::File(file) => features::uri_to_path(uri).is_some_and(|p| &p == file),
            _ => false,
        }
    }

    /// A config file changed: forget every parsed config and re-lint every open document.
    fn config_changed(&mut self) {
        self.resolver.clear();
        if !self.resolver.hierarchical() {
            // `--config FILE` was read once when the resolver was made: read it again.
            if let Ok(r) = Resolver::new(self.choice.clone(), Flags::default()) {
                self.resolver = r;
            }
        }
        self.cache.clear();
        if self.pull && self.refresh {
            let id = self.next_id;
            self.next_id += 1;
            self.send(json!({"jsonrpc": "2.0", "id": format!("vpclint-{id}"),
                "method": "workspace/diagnostic/refresh"}));
        }
        self.shown.clear();
        // Errors shown on config files that are not open are cleared; if they still hold,
        // the re-lint below shows them again.
        let stale: Vec<String> = self
            .config_diagnostics
            .drain()
            .filter(|k| !self.docs.contains_key(k))
            .collect();
        for key in stale {
            if let Some(u) = uri(&key) {
                self.notify(
                    "textDocument/publishDiagnostics",
                    json!({"uri": u, "diagnostics": []}),
                );
            }
        }
        self.dirty.extend(self.docs.keys().cloned());
    }

    /// What an open JSON document is the body of, as `check` decides it: the config's
    /// `[[operations]]`, else the default. (A request file's bodies each have their own.)
    fn operation_of(&mut self, key: &str) -> &'static crate::operation::Operation {
        let path = self.docs.get(key).and_then(|d| uri_to_path(&d.uri));
        let Some(path) = path else {
            return crate::operation::default();
        };
        match self.resolver.for_file(&path) {
            Ok(r) => crate::lint::operation_for(
                &path.to_string_lossy(),
                r.config.as_deref(),
                &r.settings,
            ),
            Err(_) => crate::operation::default(),
        }
    }

    /// Lint one open request document with its directory's config, as `check` would.
    fn report(&mut self, key: &str) -> Option<FileReport> {
        self.lint(key).map(|(l, _, _)| l.report)
    }

    /// The document's life up to its ignores (the workspace's `lint_text`): its report, its
    /// settings and its text; cached per version.
    fn lint(&mut self, key: &str) -> Option<Lint> {
        let version = self.docs.get(key)?.version;
        if let Some((v, hit)) = self.cache.get(key) {
            if *v == version {
                return hit.clone();
            }
        }
        let fresh = self.lint_uncached(key);
        self.cache.insert(key.to_owned(), (version, fresh.clone()));
        fresh
    }

    fn lint_uncached(&mut self, key: &str) -> Option<Lint> {
        let doc = self.docs.get(key)?;
        if is_config(&doc.uri) {
            return None;
        }
        let (uri, text, language) = (doc.uri.clone(), doc.text.clone(), doc.language.clone());
        let path = uri_to_path(&uri);
        let resolved = match path.as_deref().map(|p| self.resolver.for_file(p)) {
            Some(Ok(r)) => r,
            Some(Err(b)) => {
                self.show_config_error(&b.file, &b.error);
                Arc::new(Resolved {
                    config: None,
                    settings: Settings::default(),
                })
            }
            None => Arc::new(Resolved {
                config: None,
                settings: Settings::default(),
            }),
        };
        let limit = resolved.settings.max_file_size;
        if text.len() as u64 > limit {
            if self.too_large.insert(key.to_owned()) {
                self.notify(
                    "window/showMessage",
                    json!({"type": 2, "message": format!(
                        "vpclint: {} is larger than max-file-size ({} > {limit} bytes); it is not linted",
                        uri.as_str(), text.len()
                    )}),
                );
            }
            return None;
        }
        self.too_large.remove(key);
        let mut name = features::document_name(&uri);
        // An untitled request file has no `.http` name: its language says what it is.
        if matches!(language.as_str(), "http" | "rest" | "restclient")
            && !crate::http::is_request_file(&name)
        {
            name.push_str(".http");
        }
        let linted = features::lint_named(&name, &text, &resolved)?;
        Some((linted, resolved, text))
    }

    /// A broken config is never silent: diagnostics on the file, and one message.
    fn show_config_error(&mut self, file: &Path, e: &ConfigError) {
        let Some(uri) = path_to_uri(file) else { return };
        self.notify(
            "textDocument/publishDiagnostics",
            json!({"uri": uri, "diagnostics": [config_error_diagnostic(e)]}),
        );
        self.config_diagnostics.insert(uri.as_str().to_owned());
        if self
            .shown
            .insert(format!("{}:{}", file.display(), e.message))
        {
            self.notify(
                "window/showMessage",
                json!({"type": 1, "message": format!(
                    "vpclint: {} is invalid ({}); documents are linted without it until it is fixed",
                    file.display(), e.message
                )}),
            );
        }
    }

    fn publish_dirty(&mut self) {
        let keys: Vec<String> = std::mem::take(&mut self.dirty).into_iter().collect();
        for key in keys {
            let Some(doc) = self.docs.get(&key) else {
                continue;
            };
            if doc.published.is_some_and(|p| p > doc.version) {
                continue; // never publish an older version over a newer one
            }
            let (uri, version) = (doc.uri.clone(), doc.version);
            if self.pull && !is_config(&uri) {
                // The client asks for them (`textDocument/diagnostic`).
                if let Some(doc) = self.docs.get_mut(&key) {
                    doc.published = Some(version);
                }
                continue;
            }
            let started = Instant::now();
            let diagnostics = if is_config(&uri) {
                self.config_document_diagnostics(&uri, &key)
            } else {
                match self.report(&key) {
                    Some(r) => features::lsp_diagnostics(&uri, &r),
                    None => Vec::new(),
                }
            };
            self.notify(
                "textDocument/publishDiagnostics",
                json!({"uri": uri, "version": version, "diagnostics": diagnostics}),
            );
            if let Some(doc) = self.docs.get_mut(&key) {
                doc.published = Some(version);
                doc.lint_time = started.elapsed();
            }
        }
    }

    /// An open `vpclint.toml` is checked as `check` would read it, as the user types.
    fn config_document_diagnostics(&mut self, uri: &Uri, key: &str) -> Vec<lsp_types::Diagnostic> {
        let Some(doc) = self.docs.get(key) else {
            return Vec::new();
        };
        let root = uri_to_path(uri)
            .and_then(|p| p.parent().map(Path::to_path_buf))
            .unwrap_or_default();
        self.config_diagnostics.remove(key);
        match Config::parse(crate::config::FILE_NAME, root, doc.text.clone()) {
            Ok(_) => Vec::new(),
            Err(e) => vec![config_error_diagnostic(&e)],
        }
    }
}

/// A config error as an LSP diagnostic on the config file, located like `check` locates it.
fn config_error_diagnostic(e: &ConfigError) -> lsp_types::Diagnostic {
    let index = LineIndex::new(&e.text);
    lsp_types::Diagnostic {
        range: e.span.map_or_else(lsp_types::Range::default, |s| {
            features::lsp_range(&index, &e.text, s)
        }),
        severity: Some(lsp_types::DiagnosticSeverity::ERROR),
        code: Some(lsp_types::NumberOrString::String("invalid-config".into())),
        source: Some("vpclint".into()),
        message: match &e.help {
            Some(h) => format!("{}\nhelp: {h}", e.message),
            None => e.message.clone(),
        },
        ..Default::default()
    }
}

fn path_to_uri(p: &Path) -> Option<Uri> {
    let mut s = String::from("file://");
    for b in p.to_str()?.bytes() {
        if b.is_ascii_alphanumeric() || b"/-_.~".contains(&b) {
            s.push(b as char);
        } else {
            s.push_str(&format!("%{b:02X}"));
        }
    }
    uri(&s)
}
