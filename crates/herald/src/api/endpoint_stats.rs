//! `GET /v1/accounts/{account}/endpoints/{endpoint}/stats`: an endpoint's
//! success rate over the last 24 hours, hour by hour (the portal's chart).

use axum::{extract::State, Json};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{auth::Caller, error::ApiError, path::Path, AppState};
use crate::{
    domain::Timestamp,
    store::{HourOutcomes, HOUR_MILLIS},
};

/// How many hours the statistics cover, the current one included.
pub const HOURS: i64 = 24;

/// The routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(endpoint_stats))
}

/// One hour of attempts.
#[derive(Debug, Serialize, ToSchema, PartialEq, Eq)]
pub struct HourView {
    /// The hour's start, RFC 3339.
    pub start: String,
    /// Attempts answered with a 2xx status.
    pub succeeded: u64,
    /// Attempts that failed: another status, or no answer.
    pub failed: u64,
}

/// An endpoint's attempts over the last 24 hours.
#[derive(Debug, Serialize, ToSchema)]
pub struct EndpointStatsView {
    /// The first hour counted, RFC 3339.
    pub since: String,
    /// 24 hours, oldest first; hours without attempts count zero.
    pub hours: Vec<HourView>,
    /// Attempts answered with a 2xx status over the 24 hours.
    pub succeeded: u64,
    /// Attempts that failed over the 24 hours.
    pub failed: u64,
    /// `succeeded / (succeeded + failed)`, null when there was no attempt.
    pub success_rate: Option<f64>,
}

impl EndpointStatsView {
    /// Fills the hours the store left out with zeros.
    fn of(since: Timestamp, counted: &[HourOutcomes]) -> Self {
        let hours: Vec<HourView> = (0..HOURS)
            .map(|i| {
                let start = Timestamp::from_millis(since.millis() + i * HOUR_MILLIS);
                let found = counted.iter().find(|h| h.start == start);
                HourView {
                    start: start.to_rfc3339_seconds(),
                    succeeded: found.map_or(0, |h| h.succeeded),
                    failed: found.map_or(0, |h| h.failed),
                }
            })
            .collect();
        let succeeded = hours.iter().map(|h| h.succeeded).sum::<u64>();
        let failed = hours.iter().map(|h| h.failed).sum::<u64>();
        let total = succeeded + failed;
        #[allow(clippy::cast_precision_loss)] // counts far below 2^52
        let success_rate = (total > 0).then(|| succeeded as f64 / total as f64);
        Self { since: since.to_rfc3339_seconds(), hours, succeeded, failed, success_rate }
    }
}

/// The first hour of the window that ends with the hour of `now`.
fn window_start(now: Timestamp) -> Timestamp {
    let this_hour = now.millis().div_euclid(HOUR_MILLIS) * HOUR_MILLIS;
    Timestamp::from_millis(this_hour - (HOURS - 1) * HOUR_MILLIS)
}

/// An endpoint's attempts over the last 24 hours, hour by hour.
#[utoipa::path(get, path = "/v1/accounts/{account}/endpoints/{endpoint}/stats", tag = "endpoints",
    responses((status = 200, body = EndpointStatsView), (status = 404, body = super::error::Problem)))]
async fn endpoint_stats(
    State(state): State<AppState>,
    caller: Caller,
    Path((account, endpoint)): Path<(String, String)>,
) -> Result<Json<EndpointStatsView>, ApiError> {
    let (account, endpoint) = caller.endpoint(&account, &endpoint)?;
    state.store.get_endpoint(&account, &endpoint).await.map_err(ApiError::from_store("endpoint"))?;
    let since = window_start(Timestamp::now());
    let counted =
        state.store.endpoint_outcomes(&account, &endpoint, since).await.map_err(ApiError::from_store("endpoint"))?;
    Ok(Json(EndpointStatsView::of(since, &counted)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_is_24_whole_hours_ending_with_the_current_one() {
        let now = Timestamp::from_millis(100 * HOUR_MILLIS + 1234);
        assert_eq!(window_start(now), Timestamp::from_millis(77 * HOUR_MILLIS));
    }

    #[test]
    fn missing_hours_count_zero_and_the_rate_covers_the_whole_window() {
        let since = Timestamp::from_millis(77 * HOUR_MILLIS);
        let counted = [
            HourOutcomes { start: since, succeeded: 3, failed: 1 },
            HourOutcomes { start: Timestamp::from_millis(100 * HOUR_MILLIS), succeeded: 0, failed: 4 },
        ];
        let view = EndpointStatsView::of(since, &counted);
        assert_eq!(view.hours.len(), 24);
        assert_eq!((view.hours[0].succeeded, view.hours[0].failed), (3, 1));
        assert_eq!((view.hours[23].succeeded, view.hours[23].failed), (0, 4));
        assert!(view.hours[1..23].iter().all(|h| h.succeeded == 0 && h.failed == 0));
        assert_eq!(view.success_rate, Some(3.0 / 8.0));
    }

    #[test]
    fn no_attempts_means_no_rate() {
        let view = EndpointStatsView::of(Timestamp::from_millis(0), &[]);
        assert_eq!(view.success_rate, None);
    }
}
