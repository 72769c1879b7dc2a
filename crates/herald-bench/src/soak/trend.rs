//! The soak's verdict: each series' least-squares slope per minute over the
//! second half of the publishing, beside its mean there, so that a figure
//! that keeps growing shows apart from one that settled after warming up.

use serde_json::{json, Map, Value};

use super::{
    sample::{Sample, SERIES},
    slope::slope,
};

/// One series' trend over the window.
pub struct Trend {
    /// The series' name.
    pub name: &'static str,
    /// Its unit.
    pub unit: &'static str,
    /// Its mean over the window.
    pub mean: Option<f64>,
    /// Its slope, per minute.
    pub per_minute: Option<f64>,
}

/// The samples the slopes are taken over: the second half of the
/// publishing (the first is warm-up; the drain after it is not steady state).
pub fn window(samples: &[Sample], publish_seconds: f64) -> Vec<&Sample> {
    samples.iter().filter(|s| s.publishing && s.t >= publish_seconds / 2.0).collect()
}

/// Every series' trend over `window`.
pub fn trends(window: &[&Sample]) -> Vec<Trend> {
    SERIES
        .iter()
        .map(|series| {
            let points: Vec<(f64, f64)> =
                window.iter().filter_map(|s| (series.value)(s).map(|v| (s.t / 60.0, v))).collect();
            let mean = (!points.is_empty()).then(|| points.iter().map(|p| p.1).sum::<f64>() / points.len() as f64);
            Trend { name: series.name, unit: series.unit, mean, per_minute: slope(&points) }
        })
        .collect()
}

/// Prints the trends as a table.
pub fn print(trends: &[Trend], window: &[&Sample]) {
    let (from, to) = (window.first().map_or(0.0, |s| s.t), window.last().map_or(0.0, |s| s.t));
    println!(
        "slopes per minute over the second half of the publishing ({from:.0}–{to:.0} s, {} samples)",
        window.len()
    );
    println!("  {:<18} {:>14} {:>16} {:>14}", "series", "mean", "slope / min", "% of mean");
    for t in trends {
        let pct = t.mean.zip(t.per_minute).filter(|(m, _)| m.abs() > 1e-9).map(|(m, s)| s / m * 100.0);
        println!(
            "  {:<18} {:>14} {:>16} {:>14}",
            t.name,
            t.mean.map_or("n/a".into(), |m| format!("{m:.1} {}", short(t.unit))),
            t.per_minute.map_or("n/a".into(), |s| format!("{s:+.2}")),
            pct.map_or("n/a".into(), |p| format!("{p:+.1} %")),
        );
    }
    println!("  (the database grows by design: events are kept for HERALD_RETENTION; the others should stay flat)");
}

fn short(unit: &str) -> &str {
    match unit {
        "deliveries/s" => "/s",
        "deliveries" => "",
        other => other,
    }
}

/// The trends as JSON: `{"rss_mib": {"mean": …, "slope_per_min": …}, …}`.
pub fn json(trends: &[Trend]) -> Value {
    let round = |v: Option<f64>| v.map(|v| (v * 1000.0).round() / 1000.0);
    let map: Map<String, Value> = trends
        .iter()
        .map(|t| (t.name.to_owned(), json!({"mean": round(t.mean), "slope_per_min": round(t.per_minute)})))
        .collect();
    Value::Object(map)
}
