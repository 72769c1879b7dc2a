// Runs the README's first ```js block as written, as an .mjs file inside the
// package (so `import … from "herald-client"` resolves to this package), with
// the platform's sample receiver (seed_receiver.py) running at RECEIVER_URL.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { heraldEnv, waitFor } from "./helpers.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const seedReceiver = join(root, "..", "..", "crates", "herald", "tests", "conformance", "seed_receiver.py");

/** The first ```js block of the README. */
export function firstJsBlock(markdown) {
  const match = markdown.match(/^```js\n([\s\S]*?)^```$/m);
  if (!match) throw new Error("README.md has no ```js block");
  return match[1];
}

async function freePort() {
  const server = createServer();
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address();
  await new Promise((r) => server.close(r));
  return port;
}

const accepts = (port) =>
  new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.on("connect", () => (socket.destroy(), resolve(true)));
    socket.on("error", () => resolve(false));
  });

function run(command, args, options) {
  return new Promise((resolve) => {
    const child = spawn(command, args, options);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

test("the README's example runs against Herald and the sample receiver", async () => {
  const { url, token } = heraldEnv();
  assert.ok(existsSync(seedReceiver), seedReceiver);
  const dir = mkdtempSync(join(tmpdir(), "herald-readme-"));
  const log = join(dir, "received.jsonl");
  const secret = `whsec_${randomBytes(32).toString("base64")}`;
  const port = await freePort();
  const receiver = spawn("python3", [seedReceiver], {
    env: { ...process.env, WEBHOOK_SECRET: secret, PORT: String(port), LOG: log },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let receiverOutput = "";
  receiver.stdout.on("data", (d) => (receiverOutput += d));
  receiver.stderr.on("data", (d) => (receiverOutput += d));
  const example = join(root, `.readme-example-${process.pid}.mjs`);
  try {
    await waitFor("the sample receiver to listen", async () => receiver.exitCode === null && (await accepts(port)), { timeoutMs: 20_000 }).catch((e) => {
      throw new Error(`${e.message}\n${receiverOutput}`);
    });
    writeFileSync(example, firstJsBlock(readFileSync(join(root, "README.md"), "utf8")));
    const result = await run(process.execPath, [example], {
      cwd: dir, // not where a herald-data/ is: the example must take the env
      env: { ...process.env, HERALD_URL: url, HERALD_ADMIN_TOKEN: token, RECEIVER_URL: `http://127.0.0.1:${port}/webhooks/twin-actor`, WEBHOOK_SECRET: secret },
    });
    assert.equal(result.code, 0, `the example failed:\n${result.stdout}\n${result.stderr}`);
    assert.match(result.stdout, /published evt_/);
    assert.match(result.stdout, /done/);

    // The sample receiver accepted the event twice (the delivery and its resend), each signature checked.
    const lines = readFileSync(log, "utf8").trim().split("\n").map((l) => JSON.parse(l));
    assert.ok(lines.length >= 2, `${lines.length} requests logged`);
    assert.ok(lines.every((l) => l.accepted), "every request accepted by the sample's own check");
    assert.match(receiverOutput, /Video ready: https:\/\/storage\.twin\.actor\/videos\/project_42_final\.mp4/);
  } finally {
    rmSync(example, { force: true });
    receiver.kill();
    rmSync(dir, { recursive: true, force: true });
  }
});
