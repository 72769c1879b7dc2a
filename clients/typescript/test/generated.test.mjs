// src/schema.ts is what ../openapi.json generates; the typed publish rejects wrong data at compile time.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const exec = promisify(execFile);

test("src/schema.ts is what the OpenAPI document generates", async () => {
  const { stdout } = await exec(process.execPath, [join(root, "scripts", "check-generated.mjs")], { cwd: root });
  assert.match(stdout, /is what \.\.\/openapi\.json generates/);
});

test("the types: test/types-check.ts compiles, each @ts-expect-error holding", async () => {
  const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
  await exec(process.execPath, [tsc, "-p", join(root, "test", "tsconfig.json")], { cwd: root }).catch((e) => {
    assert.fail(`tsc found errors in test/types-check.ts:\n${e.stdout}${e.stderr}`);
  });
});
