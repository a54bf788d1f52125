// The vpclint extension: starts `vpclint lsp` for JSON and .http/.rest documents and adds
// three commands. Everything a finding needs (diagnostics, quick fixes, hover, completion,
// outline) comes from the server; this file only starts it and wires settings to it.
'use strict';

const path = require('path');
const vscode = require('vscode');
const { LanguageClient, TransportKind, State } = require('vscode-languageclient/node');

const FIX_ALL = 'source.fixAll.vpclint';

// JSON bodies and request files. The server itself decides whether a JSON document is a VPC
// channel request ("is it ours"); other JSON gets no diagnostics. REST Client and httpYac
// both name their language `http`; the pattern covers .http/.rest files under any language.
const SELECTOR = [
  { language: 'json' },
  { language: 'jsonc' },
  { language: 'http' },
  { language: 'rest' },
  { language: 'restclient' },
  { pattern: '**/*.{http,rest}' },
];

let client;
let output;

/** `vpclint.config`, absolute: a relative path is taken from the first workspace folder. */
function configFile() {
  const value = vscode.workspace.getConfiguration('vpclint').get('config', '').trim();
  if (!value) return undefined;
  if (path.isAbsolute(value)) return value;
  const folder = vscode.workspace.workspaceFolders && vscode.workspace.workspaceFolders[0];
  return folder ? path.join(folder.uri.fsPath, value) : value;
}

function serverOptions() {
  const settings = vscode.workspace.getConfiguration('vpclint');
  const command = settings.get('path', '').trim() || 'vpclint';
  const args = ['lsp'];
  const config = configFile();
  if (config) args.push('--config', config);
  // TransportKind.stdio makes the client add `--stdio`, which `vpclint lsp` accepts.
  return { command, args, transport: TransportKind.stdio };
}

async function start() {
  const options = serverOptions();
  output.appendLine(`starting ${options.command} ${options.args.join(' ')} --stdio`);
  client = new LanguageClient('vpclint', 'vpclint', options, {
    documentSelector: SELECTOR,
    outputChannel: output,
    traceOutputChannel: output,
  });
  try {
    await client.start();
  } catch (e) {
    const why = e && e.message ? e.message : String(e);
    output.appendLine(`vpclint lsp did not start: ${why}`);
    // Not awaited: the notification stays until the user answers it, and activation (or a
    // restart after the setting is corrected) must not wait for that.
    vscode.window
      .showErrorMessage(
        `vpclint: cannot start "${options.command} lsp" (${why}). Install vpclint or set "vpclint.path".`,
        'Open settings',
        'Show output',
      )
      .then((pick) => {
        if (pick === 'Open settings') {
          vscode.commands.executeCommand('workbench.action.openSettings', 'vpclint.path');
        } else if (pick === 'Show output') {
          output.show(true);
        }
      });
  }
}

async function stop() {
  const running = client;
  client = undefined;
  if (running && running.state !== State.Stopped) {
    try {
      await running.stop();
    } catch (e) {
      output.appendLine(`vpclint lsp did not stop cleanly: ${e && e.message ? e.message : e}`);
    }
  }
}

async function restart() {
  await stop();
  await start();
}

/** The server's fix-all for a document, as text edits (empty when nothing is fixable). */
async function fixAllEdits(document) {
  if (!client || client.state !== State.Running) return [];
  const whole = new vscode.Range(0, 0, document.lineCount, 0);
  const kind = vscode.CodeActionKind.SourceFixAll.append('vpclint');
  const actions =
    (await vscode.commands.executeCommand(
      'vscode.executeCodeActionProvider',
      document.uri,
      whole,
      kind.value,
    )) || [];
  const fix = actions.find((a) => a.kind && a.kind.value === FIX_ALL && a.edit);
  return fix ? fix.edit.get(document.uri) : [];
}

function inSelector(document) {
  return vscode.languages.match(SELECTOR, document) > 0;
}

async function fixAllCommand() {
  const editor = vscode.window.activeTextEditor;
  if (!editor || !inSelector(editor.document)) {
    vscode.window.showInformationMessage('vpclint: open a request file to fix.');
    return;
  }
  const edits = await fixAllEdits(editor.document);
  if (edits.length === 0) {
    vscode.window.setStatusBarMessage('vpclint: nothing to fix', 3000);
    return;
  }
  const edit = new vscode.WorkspaceEdit();
  edit.set(editor.document.uri, edits);
  await vscode.workspace.applyEdit(edit);
}

function activate(context) {
  // A log channel: the language client writes its errors and traces with levels.
  output = vscode.window.createOutputChannel('vpclint', { log: true });
  context.subscriptions.push(
    output,
    vscode.commands.registerCommand('vpclint.fixAll', fixAllCommand),
    vscode.commands.registerCommand('vpclint.restart', restart),
    vscode.commands.registerCommand('vpclint.showOutput', () => output.show(true)),
    vscode.workspace.onWillSaveTextDocument((event) => {
      const enabled = vscode.workspace
        .getConfiguration('vpclint', event.document.uri)
        .get('fixAll', false);
      // Only a save the user asked for: an auto-save after a delay must not rewrite text
      // under the cursor.
      if (enabled && event.reason === vscode.TextDocumentSaveReason.Manual && inSelector(event.document)) {
        event.waitUntil(fixAllEdits(event.document));
      }
    }),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration('vpclint.path') || event.affectsConfiguration('vpclint.config')) {
        restart();
      }
    }),
  );
  return start();
}

function deactivate() {
  return stop();
}

module.exports = { activate, deactivate };
