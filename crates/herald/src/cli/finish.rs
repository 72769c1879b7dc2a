//! How a tool ends: its exit status and what it prints on the way out.

/// Ends a tool: `Ok` returns (exit status 0); an error is printed to stderr as
/// `herald <tool>: <message>`, with its root cause when it has one, and the
/// process exits with status 1. No backtrace, whatever `RUST_BACKTRACE` says:
/// these messages are for people, not for debugging Herald.
pub fn finish<E: std::error::Error>(tool: &str, outcome: Result<(), E>) -> anyhow::Result<()> {
    let Err(error) = outcome else {
        return Ok(());
    };
    eprintln!("herald {tool}: {error}");
    let mut cause = error.source();
    let mut root = None;
    while let Some(next) = cause {
        root = Some(next);
        cause = next.source();
    }
    if let Some(root) = root {
        eprintln!("  cause: {root}");
    }
    std::process::exit(1)
}
