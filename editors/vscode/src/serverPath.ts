// Where the `ibid` executable is: the `ibid.server.path` setting resolved the way a shell would
// (a bare name is looked up on PATH; `~` and `${workspaceFolder}` are expanded; a relative path is
// taken from the workspace folder). Checked before starting so that a missing binary gives a clear
// message instead of a spawn error.
//
// No `vscode` import here: the tests run this module under plain Node.

import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export type ServerPath =
  | { found: true; path: string }
  | { found: false; setting: string; tried: string[]; reason: string };

export interface ResolveOptions {
  /** The workspace folder the server runs in (for `${workspaceFolder}` and relative paths). */
  workspaceFolder?: string;
  /** Defaults to `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Defaults to `process.platform`. */
  platform?: NodeJS.Platform;
  /** Defaults to `os.homedir()`. */
  home?: string;
}

function isExecutableFile(candidate: string, platform: NodeJS.Platform): boolean {
  try {
    const stat = fs.statSync(candidate);
    if (!stat.isFile()) {
      return false;
    }
    if (platform === "win32") {
      return true;
    }
    fs.accessSync(candidate, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** `~`, `~/...` and `${workspaceFolder}`, `${env:NAME}` expanded. */
export function expandServerPath(setting: string, options: ResolveOptions = {}): string {
  const env = options.env ?? process.env;
  const home = options.home ?? os.homedir();
  let expanded = setting.trim();
  expanded = expanded.replace(/\$\{env:([^}]+)\}/g, (_, name: string) => env[name] ?? "");
  if (options.workspaceFolder !== undefined) {
    expanded = expanded.replace(/\$\{workspaceFolder\}/g, options.workspaceFolder);
  }
  if (expanded === "~") {
    expanded = home;
  } else if (expanded.startsWith("~/") || expanded.startsWith("~\\")) {
    expanded = path.join(home, expanded.slice(2));
  }
  return expanded;
}

/** Resolves `ibid.server.path` (empty means `ibid`) to an executable file. */
export function resolveServerPath(setting: string | undefined, options: ResolveOptions = {}): ServerPath {
  const env = options.env ?? process.env;
  const platform = options.platform ?? process.platform;
  const pathApi = platform === "win32" ? path.win32 : path.posix;
  const raw = setting === undefined || setting.trim() === "" ? "ibid" : setting.trim();
  const expanded = expandServerPath(raw, options);
  const extensions =
    platform === "win32"
      ? ["", ...(env.PATHEXT ?? ".COM;.EXE;.BAT;.CMD").split(";").filter((ext) => ext !== "")]
      : [""];
  const tried: string[] = [];
  const firstExecutable = (base: string): string | undefined => {
    for (const ext of extensions) {
      const candidate = base + ext;
      tried.push(candidate);
      if (isExecutableFile(candidate, platform)) {
        return candidate;
      }
    }
    return undefined;
  };

  const hasSeparator = expanded.includes("/") || (platform === "win32" && expanded.includes("\\"));
  if (hasSeparator || pathApi.isAbsolute(expanded)) {
    let base = expanded;
    if (!pathApi.isAbsolute(base)) {
      if (options.workspaceFolder === undefined) {
        return { found: false, setting: raw, tried: [base], reason: "a relative path needs a workspace folder" };
      }
      base = pathApi.resolve(options.workspaceFolder, base);
    }
    const found = firstExecutable(base);
    if (found !== undefined) {
      return { found: true, path: found };
    }
    return { found: false, setting: raw, tried, reason: "no executable file at this path" };
  }

  const searchPath = env.PATH ?? env.Path ?? "";
  const dirs = [...new Set(searchPath.split(pathApi.delimiter).filter((dir) => dir !== ""))];
  for (const dir of dirs) {
    const found = firstExecutable(pathApi.join(dir, expanded));
    if (found !== undefined) {
      return { found: true, path: found };
    }
  }
  return { found: false, setting: raw, tried, reason: `\`${expanded}\` is not on PATH` };
}
