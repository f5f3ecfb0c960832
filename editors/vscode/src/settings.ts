// The editor settings under `ibid.*` turned into the object the server takes as
// `initializationOptions` and in `workspace/didChangeConfiguration` (section `ibid`): the same keys
// as `ibid.toml` (`corpus`, `notes`, `bibliography`, and a `checks` table with `min-quote-words`,
// `claim-strictness` and one key per diagnostic code). Only values the user set are sent, so an untouched configuration
// sends `{}` and `ibid.toml` alone decides.
//
// No `vscode` import here: the tests run this module under plain Node.

/** The diagnostic codes, as in `src/diagnostic.rs` (`DiagnosticCode::as_str`). */
export const CHECK_CODES = [
  "unknown-source",
  "quote-not-found",
  "quote-misattributed",
  "quote-inexact",
  "uncited-quote",
  "uncited-claim",
  "unsupported-claim",
  "duplicate-key",
  "missing-file",
  "unreadable-file",
  "bibliography-error",
  "unclosed-quote",
  "unclosed-citation",
  "invalid-frontmatter",
  "unparsed-markdown",
  "outside-workspace",
] as const;

/** What a check can be set to (`SeveritySetting` in `src/workspace/config.rs`). */
export const SEVERITY_LEVELS = ["error", "warning", "information", "hint", "off"] as const;

/** Reads one setting below `ibid.` (`vscode.WorkspaceConfiguration.get` in the extension). */
export type SettingReader = (key: string) => unknown;

/** The `ibid` section sent to the server; every key is optional. */
export interface ServerSettings {
  corpus?: string[];
  notes?: string[];
  bibliography?: string[];
  checks?: Record<string, string | number>;
  allowOutsideRoot?: boolean;
}

/** The settings that reload the workspace when they change (the others restart the server or
 * only concern the client). */
export const WORKSPACE_SETTINGS = ["corpus", "notes", "bibliography", "checks", "allowOutsideRoot"] as const;

/** The settings that need a new server process when they change. */
export const PROCESS_SETTINGS = ["server.path", "server.extraArgs"] as const;

function stringList(value: unknown): string[] | undefined {
  if (!Array.isArray(value)) {
    return undefined;
  }
  const items = value.filter((item): item is string => typeof item === "string" && item.trim() !== "");
  return items.length > 0 ? items : undefined;
}

/** The `ibid` section for the server from the `ibid.*` settings. */
export function serverSettings(read: SettingReader): ServerSettings {
  const settings: ServerSettings = {};
  for (const key of ["corpus", "notes", "bibliography"] as const) {
    const list = stringList(read(key));
    if (list !== undefined) {
      settings[key] = list;
    }
  }

  if (read("allowOutsideRoot") === true) {
    settings.allowOutsideRoot = true;
  }

  const checks: Record<string, string | number> = {};
  const minQuoteWords = read("checks.minQuoteWords");
  if (typeof minQuoteWords === "number" && Number.isFinite(minQuoteWords)) {
    checks["min-quote-words"] = minQuoteWords;
  }
  const claimStrictness = read("checks.claimStrictness");
  if (typeof claimStrictness === "number" && Number.isFinite(claimStrictness)) {
    checks["claim-strictness"] = claimStrictness;
  }
  const severity = read("checks.severity");
  if (severity !== null && typeof severity === "object" && !Array.isArray(severity)) {
    // Passed on as written (even an unknown code or level): the server names the bad key.
    for (const [code, level] of Object.entries(severity as Record<string, unknown>)) {
      if (typeof level === "string" && level !== "" && level !== "default") {
        checks[code] = level;
      }
    }
  }
  if (Object.keys(checks).length > 0) {
    settings.checks = checks;
  }
  return settings;
}
