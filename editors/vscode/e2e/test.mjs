// The extension in a real VS Code: code-server with the .vsix installed, driven in headless
// Chromium. Run by `editors/vscode/e2e/run.sh` (which installs the tools); every expected
// count comes from `vpclint check` on the same text, never from a number written here.
//
//   VPCLINT_BIN       the vpclint executable under test (absolute)
//   VPCLINT_VSIX      the packaged extension
//   CODE_SERVER       code-server's launcher;  CHROMIUM  the browser binary
//   PLAYWRIGHT_CORE   the playwright-core package folder
//   VPCLINT_SHOTS     optional: a folder for the README's screenshots
import { execFileSync, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set (run editors/vscode/e2e/run.sh)`);
  return v;
};
const BIN = env('VPCLINT_BIN');
const VSIX = env('VPCLINT_VSIX');
const CODE_SERVER = env('CODE_SERVER');
const CHROMIUM = env('CHROMIUM');
const { chromium } = createRequire(import.meta.url)(env('PLAYWRIGHT_CORE'));
const SHOTS = process.env.VPCLINT_SHOTS;
const here = path.dirname(fileURLToPath(import.meta.url));

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'vpclint-vscode-'));
const ws = path.join(root, 'workspace');
fs.cpSync(path.join(here, 'workspace'), ws, { recursive: true });
const userData = path.join(root, 'user-data');
const extensions = path.join(root, 'extensions');
fs.mkdirSync(path.join(userData, 'User'), { recursive: true });
fs.writeFileSync(
  path.join(userData, 'User', 'settings.json'),
  JSON.stringify(
    {
      // Only vpclint's squiggles: VS Code's own JSON validation is off.
      'json.validate.enable': false,
      'vpclint.path': BIN,
      // Typed text stays as typed.
      'editor.autoClosingBrackets': 'never',
      'editor.autoClosingQuotes': 'never',
      'editor.autoIndent': 'none',
      'editor.formatOnType': false,
      'editor.quickSuggestions': { other: false, comments: false, strings: false },
      'editor.suggestOnTriggerCharacters': false,
      'editor.minimap.enabled': false,
      'editor.hover.enabled': false,
      'workbench.startupEditor': 'none',
      'workbench.secondarySideBar.defaultVisibility': 'hidden',
      'workbench.tips.enabled': false,
      'workbench.enableExperiments': false,
      'security.workspace.trust.enabled': false,
      'telemetry.telemetryLevel': 'off',
      'update.mode': 'none',
      'extensions.autoCheckUpdates': false,
      'extensions.autoUpdate': false,
      'chat.disableAIFeatures': true,
      'files.autoSave': 'off',
    },
    null,
    2,
  ),
);
// `vpclint.path` is machine-overridable: in a remote window (code-server's is one) VS Code
// also reads it from the remote machine's settings, which can arrive after the extension
// host has started. Both files name the binary, and run.sh also puts it on PATH.
fs.mkdirSync(path.join(userData, 'Machine'), { recursive: true });
fs.writeFileSync(
  path.join(userData, 'Machine', 'settings.json'),
  JSON.stringify({ 'vpclint.path': BIN }, null, 2),
);
const configFile = path.join(root, 'config.yaml');
fs.writeFileSync(configFile, '');

function vpclint(args, input) {
  try {
    return execFileSync(BIN, args, { input, cwd: ws, encoding: 'utf8', stdio: 'pipe' });
  } catch (e) {
    if (e.status === 1) return e.stdout; // findings
    throw e;
  }
}
/** vpclint's findings for `text` as the file `name`: the numbers every assertion uses. */
function findings(name, text) {
  const out = JSON.parse(
    vpclint(['check', '--no-config', '--output-format', 'json', '--stdin-filename', name, '-'], text),
  );
  return out.diagnostics;
}
function fixed(name, text) {
  return vpclint(['check', '--no-config', '--fix', '--stdin-filename', name, '-'], text);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

const common = ['--config', configFile, '--user-data-dir', userData, '--extensions-dir', extensions];
execFileSync(CODE_SERVER, [...common, '--install-extension', VSIX], { stdio: 'inherit' });
const port = await freePort();
const server = spawn(
  CODE_SERVER,
  [
    ...common,
    '--auth', 'none',
    '--bind-addr', `127.0.0.1:${port}`,
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
    ws,
  ],
  { stdio: ['ignore', 'pipe', 'pipe'], detached: true },
);
let serverLog = '';
server.stdout.on('data', (d) => (serverLog += d));
server.stderr.on('data', (d) => (serverLog += d));

let browser;
let page;
const started = Date.now();
const step = (what) => console.log(`[${((Date.now() - started) / 1000).toFixed(1)} s] ${what}`);

// Generous: .ci/run runs this beside the wheel and pre-commit builds, which load both cores.
async function until(what, fn, timeout = 120000) {
  const end = Date.now() + timeout;
  let last;
  for (;;) {
    last = await fn();
    if (last.ok) return last;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(last)}`);
    await page.waitForTimeout(100);
  }
}

/**
 * `act`, then `probe` until it says ok; `act` again every `every` ms while it does not. A
 * key press can land before the workbench is ready for it (a quick-open list not yet
 * filtered, code actions not yet computed): on a loaded machine one try is not enough.
 */
async function retrying(what, act, probe, { every = 10000, timeout = 120000 } = {}) {
  const end = Date.now() + timeout;
  let last;
  for (;;) {
    await act();
    const next = Math.min(Date.now() + every, end);
    for (;;) {
      last = await probe();
      if (last.ok) return last;
      if (Date.now() > next) break;
      await page.waitForTimeout(100);
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(last)}`);
    await page.keyboard.press('Escape');
  }
}

async function waitForServer() {
  const end = Date.now() + 180000;
  while (Date.now() < end) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/healthz`);
      if (r.ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`code-server did not start:\n${serverLog}`);
}

/** Squiggles in the visible editor, by severity. */
async function squiggles() {
  return page.evaluate(() => {
    const editor = document.querySelector('.editor-group-container.active .monaco-editor');
    if (!editor) return { error: 0, warning: 0, info: 0 };
    const n = (c) => editor.querySelectorAll(`.cdr.squiggly-${c}, .squiggly-${c}`).length;
    return { error: n('error'), warning: n('warning'), info: n('info') };
  });
}

function bySeverity(diags) {
  const count = { error: 0, warning: 0, info: 0 };
  for (const d of diags) count[d.severity] += 1;
  return count;
}

async function expectSquiggles(what, diags) {
  const want = bySeverity(diags);
  await until(`${what}: squiggles ${JSON.stringify(want)}`, async () => {
    const got = await squiggles();
    return { ok: JSON.stringify(got) === JSON.stringify(want), got, want };
  });
  step(`${what}: squiggles ${JSON.stringify(want)}`);
}

async function openFile(name) {
  await retrying(
    `${name} in the editor`,
    async () => {
      await page.keyboard.press('Control+P');
      await page.waitForSelector('.quick-input-widget input', { state: 'visible' });
      await page.keyboard.type(name);
      // Enter opens the focused row: wait until that is the file, not a recent one.
      await until(`quick open focuses ${name}`, async () => {
        const rows = await page.locator('.quick-input-list .monaco-list-row.focused').allInnerTexts();
        return { ok: rows.some((r) => r.includes(name)), rows };
      });
      await page.keyboard.press('Enter');
    },
    async () => {
      const tab = await page.locator('.tab.active').getAttribute('aria-label').catch(() => null);
      return { ok: !!tab && tab.includes(name), tab };
    },
  );
  await page.locator('.editor-group-container.active .monaco-editor .view-lines').click();
}

async function gotoLine(line, column) {
  await page.keyboard.press('Control+G');
  await page.waitForSelector('.quick-input-widget input', { state: 'visible' });
  await page.keyboard.type(`${line}:${column}`);
  await page.keyboard.press('Enter');
  await page.waitForSelector('.quick-input-widget', { state: 'hidden' });
}

async function save(name) {
  const file = path.join(ws, name);
  const before = fs.statSync(file).mtimeMs;
  await page.keyboard.press('Control+S');
  await until(`${name} saved`, async () => ({ ok: fs.statSync(file).mtimeMs !== before }));
  await until(`${name} shown as saved`, async () => {
    const dirty = await page.locator('.tab.active.dirty').count();
    return { ok: dirty === 0 };
  });
  return fs.readFileSync(file, 'utf8');
}

async function runCommand(title) {
  await page.keyboard.press('F1');
  await page.waitForSelector('.quick-input-widget input', { state: 'visible' });
  await page.keyboard.type(title);
  await until(`command "${title}"`, async () => {
    const rows = await page.locator('.quick-input-list .monaco-list-row').allInnerTexts();
    return { ok: rows.length > 0 && rows[0].includes(title), rows };
  });
  await page.keyboard.press('Enter');
}

async function shot(name) {
  if (SHOTS) {
    fs.mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: path.join(SHOTS, name) });
  }
}

try {
  await waitForServer();
  step('code-server is up');
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  page = await browser.newPage({ viewport: { width: 1400, height: 1100 } });
  await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(ws)}`);
  await page.waitForSelector('.monaco-workbench', { timeout: 180000 });
  step('workbench loaded');

  // 1. A request with known findings: squiggles, Problems and F8 each count them once.
  const channel = fs.readFileSync(path.join(ws, 'channel.json'), 'utf8');
  const channelFindings = findings('channel.json', channel);
  if (channelFindings.length < 3) throw new Error('channel.json should have at least 3 findings');
  await openFile('channel.json');
  await expectSquiggles('channel.json', channelFindings);

  await page.keyboard.press('Control+Shift+M');
  const problems = await until('Problems rows', async () => {
    const rows = await page.locator('.markers-panel .monaco-list-row').allInnerTexts();
    // A finding's row names its source, vpclint, and its rule; its labels are rows of their own.
    const markers = rows.filter((r) => r.includes('\nvpclint\n'));
    return { ok: markers.length === channelFindings.length, markers, rows };
  });
  step(`Problems panel: ${problems.markers.length} vpclint rows`);
  const status = await page.locator('[id="status.problems"]').getAttribute('aria-label');
  const counted = (status.match(/\d+/g) || []).map(Number).reduce((a, b) => a + b, 0);
  if (counted !== channelFindings.length) {
    throw new Error(`status bar "${status}" counts ${counted}, vpclint ${channelFindings.length}`);
  }
  step(`status bar: ${status}`);
  await shot('diagnostics.png');
  // The panel closed again, so that the whole document is in view: squiggles are drawn
  // only on visible lines.
  await page.keyboard.press('Control+J');
  await page.waitForSelector('.markers-panel', { state: 'hidden' });

  await page.locator('.editor-group-container.active .monaco-editor .view-lines').click();
  await gotoLine(1, 1);
  const title = await retrying('F8 peek', () => page.keyboard.press('F8'), async () => {
    const text = await page
      .locator('.marker-widget .peekview-title, .zone-widget .peekview-title')
      .first()
      .innerText()
      .catch(() => '');
    const m = text.match(/(\d+) of (\d+)/);
    return { ok: !!m, text, total: m ? Number(m[2]) : 0 };
  });
  if (title.total !== channelFindings.length) {
    throw new Error(`F8 says "${title.text}", vpclint has ${channelFindings.length} findings`);
  }
  step(`F8: ${title.text.replace(/\s+/g, ' ')}`);
  await page.keyboard.press('Escape');

  // 2. A quick fix: the fixable finding's light bulb, applied, saved, compared with --fix.
  const fixable = channelFindings.find((d) => d.fix && d.fix.applicability === 'safe');
  if (!fixable) throw new Error(`no safe fix among ${JSON.stringify(channelFindings)}`);
  const menu = await retrying(
    'quick fix menu',
    async () => {
      await gotoLine(fixable.span.start.line, fixable.span.start.column);
      await page.keyboard.press('Control+.');
    },
    async () => {
    const items = await page.locator('.action-widget .monaco-list-row').allInnerTexts();
      return { ok: items.some((i) => i.includes(fixable.fix.message || 'write')), items };
    },
  );
  await shot('quick-fix.png');
  const pick = menu.items.findIndex((i) => i.includes(fixable.fix.message || 'write'));
  await page.locator('.action-widget .monaco-list-row').nth(pick).click();
  const afterFix = await save('channel.json');
  const want = fixed('channel.json', channel);
  if (afterFix !== want) {
    throw new Error(`after the quick fix:\n${afterFix}\nvpclint check --fix gives:\n${want}`);
  }
  step(`quick fix "${menu.items[pick]}" gives vpclint check --fix's text`);
  await expectSquiggles('channel.json after the fix', findings('channel.json', afterFix));

  // 3. Diagnostics follow an edit: `"timeout" : 10` becomes `"timeout" : 5` (fixed), then
  // `"port" : 22` becomes `"port" : 0` (a new finding), unsaved.
  const lines = afterFix.split('\n');
  const timeoutLine = lines.findIndex((l) => l.includes('"timeout"')) + 1;
  await gotoLine(timeoutLine, 1);
  await page.keyboard.press('End');
  await page.keyboard.press('Shift+Home');
  await page.keyboard.type('    "timeout" : 5,');
  let edited = afterFix.replace('"timeout" : 10,', '"timeout" : 5,');
  await expectSquiggles('after an edit that fixes a finding', findings('channel.json', edited));
  const portLine = lines.findIndex((l) => l.includes('"port" : 22')) + 1;
  await gotoLine(portLine, 1);
  await page.keyboard.press('End');
  await page.keyboard.press('Shift+Home');
  await page.keyboard.type('  "port" : 0,');
  edited = edited.replace('  "port" : 22,', '  "port" : 0,');
  const editedFindings = findings('channel.json', edited);
  if (!editedFindings.some((d) => d.pointer === '/port')) throw new Error('port 0 should be a finding');
  await expectSquiggles('after an edit that adds a finding', editedFindings);

  // 4. "vpclint: Fix all" on a document with fixes to make.
  const fixme = fs.readFileSync(path.join(ws, 'fixme.json'), 'utf8');
  await openFile('fixme.json');
  await expectSquiggles('fixme.json', findings('fixme.json', fixme));
  await runCommand('vpclint: Fix all');
  const allFixed = await until('Fix all applied', async () => ({
    ok: (await page.locator('.tab.active.dirty').count()) === 1,
  }));
  void allFixed;
  const savedAll = await save('fixme.json');
  if (savedAll !== fixed('fixme.json', fixme)) {
    throw new Error(`after Fix all:\n${savedAll}\nvpclint check --fix gives:\n${fixed('fixme.json', fixme)}`);
  }
  step('Fix all gives vpclint check --fix\'s text');

  // 5. A .http file: a diagnostic inside its body, and completion of the request's
  // operation (members of POST …/members), not of the default one.
  const http = fs.readFileSync(path.join(ws, 'members.http'), 'utf8');
  const httpFindings = findings('members.http', http);
  await openFile('members.http');
  await expectSquiggles('members.http', httpFindings);
  const second = http.split('\n').findIndex((l) => l.includes('"10.0.0.2"')) + 1;
  const suggestions = await retrying(
    'completion in the .http body',
    async () => {
      await gotoLine(second, http.split('\n')[second - 1].indexOf('{') + 2);
      await page.keyboard.press('Control+Space');
    },
    async () => {
      const items = await page.locator('.suggest-widget .monaco-list-row .label-name').allInnerTexts();
      return { ok: items.length > 0, items };
    },
  );
  await shot('http-completion.png');
  const labels = suggestions.items.map((s) => s.replace(/"/g, ''));
  for (const wanted of ['is_backup', 'member_group_name']) {
    if (!labels.includes(wanted)) throw new Error(`completion lacks ${wanted}: ${labels}`);
  }
  for (const unwanted of ['name', 'instance_ids', 'vpc_health_config', 'host', 'weight']) {
    if (labels.includes(unwanted)) throw new Error(`completion offers ${unwanted}: ${labels}`);
  }
  step(`completion in members.http: ${labels.join(', ')}`);
  await page.keyboard.press('Escape');

  console.log(`vscode e2e: all checks passed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
} catch (e) {
  process.exitCode = 1;
  console.error(`vscode e2e failed: ${e.stack || e}`);
  if (page) {
    const file = path.join(root, 'failure.png');
    await page.screenshot({ path: file }).catch(() => {});
    console.error(`screenshot: ${file}`);
  }
  const logs = path.join(userData, 'logs');
  if (fs.existsSync(logs)) {
    for (const f of fs.readdirSync(logs, { recursive: true })) {
      const file = path.join(logs, String(f));
      if (String(f).includes('vpclint') && fs.statSync(file).isFile()) {
        console.error(`--- ${f}\n${fs.readFileSync(file, 'utf8').slice(-4000)}`);
      }
    }
  }
  console.error(`--- code-server\n${serverLog.slice(-4000)}`);
} finally {
  if (browser) await browser.close().catch(() => {});
  try {
    process.kill(-server.pid, 'SIGTERM');
  } catch {}
  if (!process.exitCode) fs.rmSync(root, { recursive: true, force: true });
}
