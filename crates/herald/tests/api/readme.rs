//! The README, run as a new user runs it. Its signature verifiers (Python,
//! Node, Rust), taken from README.md when the test runs, judge a delivery
//! Herald really signed during a secret rotation: the old secret and the new
//! one are both accepted, another refused. Its `herald listen` example, the
//! command lines as written (only the port made free), forwards to the
//! Python receiver example, which processes the event.
//!
//! The Python and Node blocks are run by python3 and node as they stand, with
//! a few lines after them that call the function they define. The Rust block
//! cannot be compiled while the suite runs (cargo holds the build folder), so
//! `readme_verifier.rs` is compiled into this suite instead, and the test
//! first checks that the README's block is that file, byte for byte: what
//! runs is what the README prints. (`herald-signature` also compiles the
//! README's Rust blocks as doc tests.)

use std::{
    fs,
    path::{Path, PathBuf},
    process::Command,
};

use url::Url;

use crate::{
    examples::{require_flask, Example, Language},
    fixtures::{free_port, project_completed},
    helpers::spawn_app,
    listen::Listen,
    rotated::{a_delivery_signed_during_a_rotation, RotatedDelivery, ANOTHER_SECRET},
};

// The README's Rust verifier: `check(secret, header, raw_body) -> bool`.
include!("readme_verifier.rs");

/// The same file as text, to compare with the README's block.
const RUST_VERIFIER: &str = include_str!("readme_verifier.rs");

/// The repository's root, where the README's commands are run from.
const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

/// README.md as it is now.
fn readme() -> String {
    let path = Path::new(ROOT).join("README.md");
    fs::read_to_string(&path).unwrap_or_else(|e| panic!("{} is read: {e}", path.display()))
}

/// The text under the heading `heading` (a whole line, such as
/// `### Verifying in Python`) up to the next heading of the same level or
/// above; `#` lines inside fenced blocks are not headings.
fn section<'a>(readme: &'a str, heading: &str) -> &'a str {
    let level = heading.chars().take_while(|c| *c == '#').count();
    let mut start = None;
    let mut in_fence = false;
    let mut offset = 0;
    for line in readme.split_inclusive('\n') {
        let text = line.trim_end();
        if text.starts_with("```") {
            in_fence = !in_fence;
        } else if !in_fence && text.starts_with('#') {
            let this_level = text.chars().take_while(|c| *c == '#').count();
            match start {
                None if text == heading => start = Some(offset + line.len()),
                Some(from) if this_level <= level => return &readme[from..offset],
                _ => {}
            }
        }
        offset += line.len();
    }
    let from = start.unwrap_or_else(|| panic!("README.md has the heading `{heading}`"));
    &readme[from..]
}

/// The fenced blocks of a section tagged `language`, each without its fences.
fn blocks<'a>(section: &'a str, language: &str) -> Vec<&'a str> {
    let mut found = Vec::new();
    let mut open: Option<(bool, usize)> = None;
    let mut offset = 0;
    for line in section.split_inclusive('\n') {
        let text = line.trim_end();
        if let Some(tag) = text.strip_prefix("```") {
            match open {
                None => open = Some((tag == language, offset + line.len())),
                Some((wanted, from)) => {
                    if wanted {
                        found.push(&section[from..offset]);
                    }
                    open = None;
                }
            }
        }
        offset += line.len();
    }
    assert!(open.is_none(), "a fenced block is left open in:\n{section}");
    found
}

/// The one block tagged `language` under `heading`.
fn the_block(readme: &str, heading: &str, language: &str) -> String {
    let found = blocks(section(readme, heading), language);
    assert_eq!(found.len(), 1, "one ```{language} block under `{heading}`: {found:#?}");
    found[0].to_string()
}

/// The one line of the `sh` blocks under `heading` that contains `needle`.
fn the_line(readme: &str, heading: &str, needle: &str) -> String {
    let lines: Vec<&str> = blocks(section(readme, heading), "sh")
        .into_iter()
        .flat_map(str::lines)
        .filter(|l| l.contains(needle))
        .collect();
    assert_eq!(lines.len(), 1, "one command line with `{needle}` under `{heading}`: {lines:#?}");
    lines[0].to_string()
}

/// Runs `program` in `folder` and returns the verdict it printed for each
/// secret, one line each: `true`/`True` or `false`/`False`.
fn verdicts(mut program: Command, folder: &Path, delivery: &RotatedDelivery, secrets: &[&str]) -> Vec<bool> {
    let body = folder.join("body");
    fs::write(&body, &delivery.body).expect("the body is written");
    let output = program
        .arg(&body)
        .arg(&delivery.signature)
        .args(secrets)
        .current_dir(folder)
        .output()
        .expect("the interpreter runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "the README's verifier ran without an error:\n{stdout}{stderr}");
    let verdicts: Vec<bool> = stdout
        .lines()
        .map(|line| match line {
            "true" | "True" => true,
            "false" | "False" => false,
            other => panic!("the verifier returns a boolean, not `{other}`:\n{stdout}{stderr}"),
        })
        .collect();
    assert_eq!(verdicts.len(), secrets.len(), "one verdict per secret:\n{stdout}{stderr}");
    verdicts
}

/// Fails the test, loudly, where `program` does not run: the README promises it works.
fn require(program: &str) {
    let runs = Command::new(program).arg("--version").output().is_ok_and(|o| o.status.success());
    assert!(runs, "`{program}` runs the README's snippet; install it (scripts/test does)");
}

/// Calls the README's Python `verify_signature(payload, header, secret)`, the
/// snippet run as a file of its own: body file, header, then secrets.
const PYTHON_CALLER: &str = r#"
import runpy, sys
verify_signature = runpy.run_path(sys.argv[1])["verify_signature"]
body = open(sys.argv[2], "rb").read()
for secret in sys.argv[4:]:
    print(repr(verify_signature(body, sys.argv[3], secret)))
"#;

/// Lines after the README's Node snippet that call its
/// `verifySignature(rawBody, header, secret)`: body file, header, then secrets.
const NODE_CALLER: &str = r#"
{
  const [bodyFile, header, ...secrets] = process.argv.slice(2);
  const rawBody = require("node:fs").readFileSync(bodyFile);
  for (const secret of secrets) console.log(String(verifySignature(rawBody, header, secret)));
}
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_readmes_python_verifier_accepts_a_delivery_signed_during_a_rotation_with_the_old_secret_or_the_new() {
    require("python3");
    let snippet = the_block(&readme(), "### Verifying in Python", "python");
    let delivery = a_delivery_signed_during_a_rotation().await;
    let folder = tempfile::tempdir().unwrap();
    let file = folder.path().join("readme_verifier.py");
    fs::write(&file, &snippet).unwrap();

    let mut python = Command::new("python3");
    python.args(["-c", PYTHON_CALLER]).arg(&file);
    let got = verdicts(python, folder.path(), &delivery, &[&delivery.old_secret, &delivery.new_secret, ANOTHER_SECRET]);

    assert_eq!(got, [true, true, false], "old secret, new secret, another secret; the snippet:\n{snippet}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_readmes_node_verifier_accepts_a_delivery_signed_during_a_rotation_with_the_old_secret_or_the_new() {
    require("node");
    let snippet = the_block(&readme(), "### Verifying in Node", "js");
    let delivery = a_delivery_signed_during_a_rotation().await;
    let folder = tempfile::tempdir().unwrap();
    let file = folder.path().join("readme_verifier.js");
    fs::write(&file, format!("{snippet}\n{NODE_CALLER}")).unwrap();

    let mut node = Command::new("node");
    node.arg(&file);
    let got = verdicts(node, folder.path(), &delivery, &[&delivery.old_secret, &delivery.new_secret, ANOTHER_SECRET]);

    assert_eq!(got, [true, true, false], "old secret, new secret, another secret; the snippet:\n{snippet}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_readmes_rust_verifier_accepts_a_delivery_signed_during_a_rotation_with_the_old_secret_or_the_new() {
    let snippet = the_block(&readme(), "### Verifying in Rust", "rust");
    assert_eq!(
        snippet, RUST_VERIFIER,
        "the README's Rust block is crates/herald/tests/api/readme_verifier.rs, which this test runs: change both"
    );
    let delivery = a_delivery_signed_during_a_rotation().await;
    let body = delivery.body.as_slice();

    let got = [&delivery.old_secret, &delivery.new_secret, ANOTHER_SECRET].map(|s| check(s, &delivery.signature, body));

    assert_eq!(got, [true, true, false], "old secret, new secret, another secret");
}

/// A README command line as a process run from `folder`: the `NAME=value`
/// words before the program set its variables; a program with a `/` is
/// relative to `folder`. Refuses shell syntax this reading would get wrong.
fn command_line(line: &str, folder: &Path) -> Command {
    let shell = ['$', '"', '\'', '`', '\\', '|', '&', ';', '<', '>', '(', ')', '*', '#'];
    assert!(!line.contains(shell), "`{line}` is a plain command line, as this test reads it");
    let mut words = line.split_whitespace().peekable();
    let mut variables = Vec::new();
    while let Some((name, value)) = words.peek().and_then(|w| w.split_once('=')) {
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_') {
            break;
        }
        variables.push((name.to_string(), value.to_string()));
        words.next();
    }
    let program = words.next().unwrap_or_else(|| panic!("`{line}` names a program"));
    let program = if program.contains('/') { folder.join(program) } else { PathBuf::from(program) };
    let mut command = Command::new(program);
    command.args(words).envs(variables).current_dir(folder);
    command
}

/// A folder laid out as the README's commands expect this repository:
/// `target/release/herald` (the binary under test) and `examples/`.
fn a_checkout() -> tempfile::TempDir {
    let folder = tempfile::tempdir().expect("a folder to run the README's commands in");
    let release = folder.path().join("target/release");
    fs::create_dir_all(&release).unwrap();
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_herald"), release.join("herald")).unwrap();
    std::os::unix::fs::symlink(Path::new(ROOT).join("examples"), folder.path().join("examples")).unwrap();
    folder
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_readmes_listen_example_forwards_an_event_to_the_python_receiver_example_which_processes_it() {
    require_flask();
    let readme = readme();
    let heading = "### `herald listen`";
    let exports = the_line(&readme, heading, "export ");
    let listen_line = the_line(&readme, heading, "herald listen");
    let receiver_line = the_line(&readme, heading, "examples/receivers/python/receiver.py");
    for variable in ["HERALD_URL=", "HERALD_KEY=", "HERALD_ACCOUNT="] {
        assert!(exports.contains(variable), "the README sets {variable}…, as this test does: {exports}");
    }
    // The port the README names, made free here: only the port changes.
    let forward_to = listen_line.split_whitespace().skip_while(|w| *w != "--forward-to").nth(1);
    let forward_to = Url::parse(forward_to.expect("--forward-to <url>")).expect("a URL");
    let readme_port = forward_to.port().expect("the URL names its port");
    assert_eq!(forward_to.path(), "/webhook", "where the receiver examples take webhooks");
    assert!(receiver_line.contains(&format!("PORT={readme_port} ")), "the receiver listens where listen forwards");
    let port = free_port();
    let listen_line = listen_line.replace(&format!(":{readme_port}/"), &format!(":{port}/"));
    let receiver_line = receiver_line.replace(&format!("PORT={readme_port} "), &format!("PORT={port} "));

    let app = spawn_app().await;
    let account = app.create_account().await;
    let checkout = a_checkout();
    let mut command = command_line(&listen_line, checkout.path());
    command.env("HERALD_URL", &app.address).env("HERALD_KEY", &app.admin_token).env("HERALD_ACCOUNT", &account);
    command.env_remove("HERALD_LISTEN_SECRET");
    let listen = Listen::spawn(command);
    let printed = listen.wait_for_lines("Signing secret: ", 1).await;
    let secret = printed[0].trim_start_matches("Signing secret: ").trim();
    assert!(receiver_line.contains("HERALD_SECRET=whsec_… "), "the secret to fill in: {receiver_line}");
    let receiver_line = receiver_line.replace("HERALD_SECRET=whsec_… ", &format!("HERALD_SECRET={secret} "));
    let receiver = Example::spawn(Language::Python, command_line(&receiver_line, checkout.path()), port).await;
    listen.wait_for_lines("Connected", 1).await;

    let event = app.publish(&account, "project.completed", project_completed(42)).await;

    receiver.wait_for_line(&format!("processed {} project.completed", event.id)).await;
    listen.wait_for_lines(&format!("{} project.completed -> 200 OK", event.id), 1).await;
    let forwarding =
        format!("Forwarding the events of account {account} at {}/ to http://127.0.0.1:{port}/webhook", app.address);
    assert!(listen.lines().contains(&forwarding), "{:#?}", listen.lines());
}
