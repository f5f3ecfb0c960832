// The `ibid.*` settings → the server's `ibid` section (the keys of ibid.toml).
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";

import { CHECK_CODES, SEVERITY_LEVELS, serverSettings } from "../src/settings";

function reader(values: Record<string, unknown>) {
  return (key: string) => values[key];
}

test("untouched settings send an empty section", () => {
  assert.deepEqual(serverSettings(reader({})), {});
  assert.deepEqual(
    serverSettings(
      reader({ corpus: [], notes: [], bibliography: [], "checks.minQuoteWords": null, "checks.severity": {} }),
    ),
    {},
  );
});

test("lists and checks use ibid.toml's names", () => {
  const settings = serverSettings(
    reader({
      corpus: ["sources/**/*.md"],
      notes: ["notes/**/*.md", ""],
      bibliography: ["refs.bib"],
      "checks.minQuoteWords": 4,
      "checks.claimStrictness": 0.45,
      "checks.severity": { "uncited-claim": "off", "quote-inexact": "error" },
      "server.path": "/opt/ibid",
      allowOutsideRoot: true,
    }),
  );
  assert.deepEqual(settings, {
    corpus: ["sources/**/*.md"],
    notes: ["notes/**/*.md"],
    bibliography: ["refs.bib"],
    checks: {
      "min-quote-words": 4,
      "claim-strictness": 0.45,
      "uncited-claim": "off",
      "quote-inexact": "error",
    },
    allowOutsideRoot: true,
  });
});

test("values of the wrong type are left out", () => {
  const settings = serverSettings(
    reader({
      corpus: "sources",
      "checks.minQuoteWords": "4",
      "checks.claimStrictness": "high",
      "checks.severity": ["off"],
      allowOutsideRoot: "yes",
    }),
  );
  assert.deepEqual(settings, {});
});

// package.json is what users see; keep it in step with the codes and levels the server knows.
const manifest = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "..", "package.json"), "utf8"));
const properties = manifest.contributes.configuration.properties;

test("package.json offers a severity for every diagnostic code", () => {
  const severity = properties["ibid.checks.severity"];
  assert.deepEqual(Object.keys(severity.properties).sort(), [...CHECK_CODES].sort());
  for (const code of CHECK_CODES) {
    assert.deepEqual(severity.properties[code].enum, [...SEVERITY_LEVELS], code);
  }
});

test("the diagnostic codes are those of src/diagnostic.rs", () => {
  // out/test/ → editors/vscode → the repository root.
  const source = path.join(__dirname, "..", "..", "..", "..", "src", "diagnostic.rs");
  const codes = [...fs.readFileSync(source, "utf8").matchAll(/^\s*\w+ => "([a-z-]+)", \w+, "/gm)].map((m) => m[1]);
  assert.deepEqual(codes, [...CHECK_CODES]);
});

test("package.json declares every setting the extension reads", () => {
  const expected = [
    "ibid.server.path",
    "ibid.server.extraArgs",
    "ibid.trace.server",
    "ibid.corpus",
    "ibid.notes",
    "ibid.bibliography",
    "ibid.allowOutsideRoot",
    "ibid.checks.minQuoteWords",
    "ibid.checks.claimStrictness",
    "ibid.checks.severity",
  ];
  assert.deepEqual(Object.keys(properties).sort(), expected.sort());
});
