// The ibid extension: runs `ibid lsp` (stdio) for the Markdown notes of an ibid workspace — a
// folder holding `ibid.toml`, `corpus/` or `sources/` — passes the `ibid.*` settings to it, and
// offers "ibid: Restart server" and the "ibid" output channel. Everything else (diagnostics, hover,
// go to source, completion, quick fixes, code lens) comes from the server through
// vscode-languageclient.

import * as fs from "fs";
import * as path from "path";
import * as vscode from "vscode";
import {
  DidChangeConfigurationNotification,
  LanguageClient,
  LanguageClientOptions,
  Location as LspLocation,
  Position as LspPosition,
  ServerOptions,
  State,
} from "vscode-languageclient/node";

import { PROCESS_SETTINGS, ServerSettings, WORKSPACE_SETTINGS, serverSettings } from "./settings";
import { resolveServerPath } from "./serverPath";

const CLIENT_ID = "ibid";
const CLIENT_NAME = "ibid";
/** The command of the server's code lenses (`src/lsp/code_lens.rs`); shown here as a peek view. */
const SHOW_QUOTATIONS = "ibid.showQuotations";
const INSTALL_HINT =
  'Install it from the ibid repository with "cargo install --path ." (it goes to ~/.cargo/bin, which must be ' +
  'on PATH), or set "ibid.server.path" to the binary.';

let output: vscode.OutputChannel;
let client: LanguageClient | undefined;
/** The folder the running server was started for (its root), if any. */
let clientRoot: vscode.WorkspaceFolder | undefined;
/** Start/stop requests, one at a time. */
let lifecycle: Promise<void> = Promise.resolve();

function log(message: string): void {
  output.appendLine(`[${new Date().toISOString()}] ${message}`);
}

function serialized(task: () => Promise<void>): Promise<void> {
  lifecycle = lifecycle.then(task, task).catch((error: unknown) => {
    log(`error: ${errorText(error)}`);
  });
  return lifecycle;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function isFile(candidate: string): boolean {
  try {
    return fs.statSync(candidate).isFile();
  } catch {
    return false;
  }
}

function isDirectory(candidate: string): boolean {
  try {
    return fs.statSync(candidate).isDirectory();
  } catch {
    return false;
  }
}

/** The nearest folder at or above `start` holding `ibid.toml`. */
function configFolderAbove(start: string): string | undefined {
  let dir = start;
  for (;;) {
    if (isFile(path.join(dir, "ibid.toml"))) {
      return dir;
    }
    const parent = path.dirname(dir);
    if (parent === dir) {
      return undefined;
    }
    dir = parent;
  }
}

/**
 * The ibid workspace among the open folders, preferring (as the Neovim plugin does) a folder with
 * `ibid.toml` — in it or above it — then one with `corpus/`, then one with `sources/`.
 */
function findIbidRoot(): vscode.WorkspaceFolder | undefined {
  const folders = (vscode.workspace.workspaceFolders ?? []).filter((folder) => folder.uri.scheme === "file");
  for (const folder of folders) {
    const configDir = configFolderAbove(folder.uri.fsPath);
    if (configDir === undefined) {
      continue;
    }
    if (configDir === folder.uri.fsPath) {
      return folder;
    }
    // The open folder is inside an ibid workspace (say its notes/): the server needs the root.
    return { uri: vscode.Uri.file(configDir), name: path.basename(configDir), index: folder.index };
  }
  for (const marker of ["corpus", "sources"]) {
    const folder = folders.find((candidate) => isDirectory(path.join(candidate.uri.fsPath, marker)));
    if (folder !== undefined) {
      return folder;
    }
  }
  return undefined;
}

function currentSettings(root: vscode.WorkspaceFolder | undefined): ServerSettings {
  const config = vscode.workspace.getConfiguration("ibid", root?.uri);
  return serverSettings((key) => config.get(key));
}

async function showMissingServer(message: string): Promise<void> {
  const openSettings = "Open Settings";
  const showLog = "Show Log";
  const choice = await vscode.window.showErrorMessage(message, openSettings, showLog);
  if (choice === openSettings) {
    await vscode.commands.executeCommand("workbench.action.openSettings", "ibid.server.path");
  } else if (choice === showLog) {
    output.show(true);
  }
}

async function stopClient(): Promise<void> {
  const running = client;
  client = undefined;
  clientRoot = undefined;
  if (running === undefined) {
    return;
  }
  try {
    if (running.state !== State.Stopped) {
      await running.stop(5000);
    }
  } catch (error) {
    log(`stopping the server: ${errorText(error)}`);
  }
  try {
    await running.dispose();
  } catch {
    // Already stopped.
  }
}

/**
 * Starts the server for the ibid workspace. Without one it does nothing unless `force` (the restart
 * command), in which case it runs on the first folder (or none).
 */
async function startClient(force: boolean): Promise<void> {
  const root = findIbidRoot() ?? (force ? vscode.workspace.workspaceFolders?.[0] : undefined);
  if (root === undefined && !force) {
    log(
      "No ibid workspace here (no ibid.toml, corpus/ or sources/ in an open folder): the server is not " +
        'started. Run "ibid: Restart server" to start it anyway.',
    );
    return;
  }

  const config = vscode.workspace.getConfiguration("ibid", root?.uri);
  const pathSetting = config.get<string>("server.path", "ibid");
  const extraArgs = config.get<string[]>("server.extraArgs", []).filter((arg) => typeof arg === "string");
  const resolved = resolveServerPath(pathSetting, { workspaceFolder: root?.uri.fsPath });
  if (!resolved.found) {
    log(`cannot find the server \`${resolved.setting}\`: ${resolved.reason}; tried: ${resolved.tried.join(", ") || "nothing"}`);
    void showMissingServer(`ibid: cannot find the language server: ${resolved.reason.replace(/`/g, '"')}. ${INSTALL_HINT}`);
    return;
  }

  const serverOptions: ServerOptions = {
    command: resolved.path,
    args: ["lsp", ...extraArgs],
    // No `transport`: `TransportKind.stdio` would append `--stdio`, which `ibid lsp` rejects.
    options: root !== undefined ? { cwd: root.uri.fsPath } : {},
  };
  const settings = currentSettings(root);
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: "file", language: "markdown" },
      { scheme: "untitled", language: "markdown" },
    ],
    workspaceFolder: root,
    initializationOptions: settings,
    outputChannel: output,
    traceOutputChannel: output,
    diagnosticCollectionName: CLIENT_ID,
    markdown: { isTrusted: false, supportHtml: false },
    initializationFailedHandler: (error) => {
      log(`initialize failed: ${errorText(error)}`);
      return false;
    },
    middleware: {
      executeCommand: async (command, args, next) => {
        if (command === SHOW_QUOTATIONS && (await showQuotations(args))) {
          return undefined;
        }
        return next(command, args);
      },
      workspace: {
        // The server does not pull settings today; if it does, it gets the same object as pushed.
        configuration: (params, token, next) => {
          if (params.items.every((item) => item.section === "ibid")) {
            return params.items.map(() => currentSettings(clientRoot));
          }
          return next(params, token);
        },
      },
    },
  };

  log(
    `starting ${resolved.path} ${["lsp", ...extraArgs].join(" ")} for ${root?.uri.fsPath ?? "no folder"}; ` +
      `settings ${JSON.stringify(settings)}`,
  );
  const created = new LanguageClient(CLIENT_ID, CLIENT_NAME, serverOptions, clientOptions);
  client = created;
  clientRoot = root;
  try {
    await created.start();
    log(`server running (${created.initializeResult?.serverInfo?.name ?? "ibid"} ${created.initializeResult?.serverInfo?.version ?? ""})`.trim());
  } catch (error) {
    log(`the server did not start: ${errorText(error)}`);
    if (client === created) {
      client = undefined;
      clientRoot = undefined;
    }
    try {
      await created.dispose();
    } catch {
      // It never ran.
    }
    void showMissingServer(`ibid: the language server ${resolved.path} did not start: ${errorText(error)}`);
  }
}

/**
 * Runs a code lens's `ibid.showQuotations` (arguments: source URI, position, quoting locations) as
 * VS Code's references peek view. False when the arguments are not understood.
 */
async function showQuotations(args: unknown[]): Promise<boolean> {
  const running = client;
  if (running === undefined) {
    return false;
  }
  const [uri, position, locations] = args;
  if (typeof uri !== "string" || position === null || typeof position !== "object" || !Array.isArray(locations)) {
    return false;
  }
  try {
    const converter = running.protocol2CodeConverter;
    await vscode.commands.executeCommand(
      "editor.action.showReferences",
      converter.asUri(uri),
      converter.asPosition(position as LspPosition),
      (locations as LspLocation[]).map((location) => converter.asLocation(location)),
    );
    return true;
  } catch (error) {
    log(`showing the quotations: ${errorText(error)}`);
    return false;
  }
}

function restart(): Promise<void> {
  return serialized(async () => {
    log("restarting the server");
    await stopClient();
    await startClient(true);
  });
}

function pushSettings(): void {
  const running = client;
  if (running === undefined || !running.isRunning()) {
    return;
  }
  const settings = currentSettings(clientRoot);
  log(`settings changed: ${JSON.stringify(settings)}`);
  running
    .sendNotification(DidChangeConfigurationNotification.type, { settings: { ibid: settings } })
    .catch((error: unknown) => log(`sending the settings: ${errorText(error)}`));
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  output = vscode.window.createOutputChannel("ibid");
  context.subscriptions.push(output);

  context.subscriptions.push(
    vscode.commands.registerCommand("ibid.restartServer", () => restart()),
    vscode.commands.registerCommand("ibid.showOutput", () => output.show(true)),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (PROCESS_SETTINGS.some((key) => event.affectsConfiguration(`ibid.${key}`))) {
        void restart();
      } else if (WORKSPACE_SETTINGS.some((key) => event.affectsConfiguration(`ibid.${key}`))) {
        pushSettings();
      }
    }),
    vscode.workspace.onDidChangeWorkspaceFolders(() => {
      void serialized(async () => {
        const root = findIbidRoot();
        if (client === undefined) {
          await startClient(false);
        } else if (root?.uri.toString() !== clientRoot?.uri.toString()) {
          log("the ibid workspace folder changed");
          await stopClient();
          await startClient(false);
        }
      });
    }),
  );

  // An `ibid.toml` created later (`ibid init`, say) turns the folder into an ibid workspace.
  const configWatcher = vscode.workspace.createFileSystemWatcher("**/ibid.toml", false, true, true);
  context.subscriptions.push(
    configWatcher,
    configWatcher.onDidCreate(() => {
      if (client === undefined) {
        void serialized(() => startClient(false));
      }
    }),
  );

  await serialized(() => startClient(false));
}

export function deactivate(): Thenable<void> | undefined {
  return serialized(stopClient);
}
