// Regenerates the types from ../openapi.json into a temporary file with the
// same command as `npm run generate`, and fails if they differ from the
// committed src/schema.ts: the types cannot drift from the document.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const command = pkg.scripts.generate;
const committed = "src/schema.ts";
if (!command.includes(`--output ${committed}`)) {
  throw new Error(`the generate script should write ${committed}: ${command}`);
}
const dir = mkdtempSync(join(tmpdir(), "herald-schema-"));
try {
  const fresh = join(dir, "schema.ts");
  const args = command.replace(/^openapi-typescript\s+/, "").replace(`--output ${committed}`, `--output ${fresh}`).split(/\s+/);
  const bin = join(root, "node_modules", "openapi-typescript", "bin", "cli.js");
  execFileSync(process.execPath, [bin, ...args], { cwd: root, stdio: ["ignore", "ignore", "inherit"] });
  const want = readFileSync(fresh, "utf8");
  const have = readFileSync(join(root, committed), "utf8");
  if (want !== have) {
    console.error(`${committed} differs from what ../openapi.json generates: run \`npm run generate\` and commit it.`);
    process.exit(1);
  }
  console.log(`${committed} is what ../openapi.json generates.`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
