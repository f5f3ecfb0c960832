// `ibid.server.path` → an executable file, or why there is none.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";

import { expandServerPath, resolveServerPath } from "../src/serverPath";

function scratch(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ibid-vscode-test-"));
  fs.mkdirSync(path.join(dir, "bin"));
  fs.writeFileSync(path.join(dir, "bin", "ibid"), "#!/bin/sh\n", { mode: 0o755 });
  fs.writeFileSync(path.join(dir, "bin", "not-executable"), "", { mode: 0o644 });
  return dir;
}

test("a bare name is looked up on PATH", () => {
  const dir = scratch();
  const env = { PATH: ["/nonexistent", path.join(dir, "bin")].join(path.delimiter) };
  assert.deepEqual(resolveServerPath("ibid", { env, platform: "linux" }), {
    found: true,
    path: path.join(dir, "bin", "ibid"),
  });
  assert.deepEqual(resolveServerPath("", { env, platform: "linux" }), {
    found: true,
    path: path.join(dir, "bin", "ibid"),
  });
});

test("a name missing from PATH says so", () => {
  const result = resolveServerPath("ibid", { env: { PATH: "/nonexistent" }, platform: "linux" });
  assert.equal(result.found, false);
  assert.ok(!result.found && result.reason.includes("not on PATH"), JSON.stringify(result));
});

test("a non-executable file is not a server", () => {
  const dir = scratch();
  const result = resolveServerPath(path.join(dir, "bin", "not-executable"), { env: {}, platform: "linux" });
  assert.equal(result.found, false);
});

test("relative paths are taken from the workspace folder, ${workspaceFolder} and ~ expand", () => {
  const dir = scratch();
  const expected = { found: true, path: path.join(dir, "bin", "ibid") };
  assert.deepEqual(resolveServerPath("bin/ibid", { workspaceFolder: dir, env: {}, platform: "linux" }), expected);
  assert.deepEqual(
    resolveServerPath("${workspaceFolder}/bin/ibid", { workspaceFolder: dir, env: {}, platform: "linux" }),
    expected,
  );
  assert.deepEqual(resolveServerPath("~/bin/ibid", { home: dir, env: {}, platform: "linux" }), expected);
  assert.equal(resolveServerPath("bin/ibid", { env: {}, platform: "linux" }).found, false);
});

test("expansion leaves other text alone", () => {
  assert.equal(expandServerPath("  /usr/bin/ibid "), "/usr/bin/ibid");
  assert.equal(expandServerPath("${env:IBID_HOME}/ibid", { env: { IBID_HOME: "/opt" } }), "/opt/ibid");
  assert.equal(expandServerPath("a~b"), "a~b");
});

test("each PATH folder is tried once", () => {
  const result = resolveServerPath("ibid", { env: { PATH: ["/nonexistent", "/nonexistent"].join(path.delimiter) }, platform: "linux" });
  assert.ok(!result.found && result.tried.length === 1, JSON.stringify(result));
});
