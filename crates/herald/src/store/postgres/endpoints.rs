//! Endpoints on PostgreSQL: CRUD, secrets, and the disable / re-enable rules.
//!
//! Every change of an endpoint's enabled state first locks the endpoint row
//! (`FOR UPDATE`); publishing and recording attempts read the flag under
//! `FOR SHARE`, so no delivery is created or moved on against a flag that is
//! changing under it.

use async_trait::async_trait;
use sqlx::{PgConnection, QueryBuilder};

use super::{disable::disable_in, pool::PostgresStore, rows};
use crate::{
    domain::{AccountId, EndpointId, Timestamp},
    store::{
        page::fetch_page, Endpoint, EndpointPatch, EndpointStore, NewEndpoint, Page, Paged, SigningSecrets, StoreError,
        StoreResult,
    },
};

/// One endpoint of an account; `lock` is appended to the query (`""`,
/// `" FOR UPDATE"`), so a transaction can hold the row while it decides.
pub(super) async fn endpoint_in(
    conn: &mut PgConnection,
    account: &AccountId,
    id: &EndpointId,
    lock: &str,
) -> StoreResult<Endpoint> {
    let row = sqlx::query(&format!("SELECT * FROM endpoints WHERE id = $1 AND account_id = $2{lock}"))
        .bind(id.as_str())
        .bind(account.as_str())
        .fetch_optional(conn)
        .await?
        .ok_or(StoreError::NotFound)?;
    rows::endpoint(&row)
}

#[async_trait]
impl EndpointStore for PostgresStore {
    #[tracing::instrument(skip_all, fields(account = %account, endpoint = %new.id))]
    async fn create_endpoint(
        &self,
        account: &AccountId,
        new: &NewEndpoint,
        max_per_account: u32,
        now: Timestamp,
    ) -> StoreResult<Endpoint> {
        let mut tx = self.pool.begin().await?;
        // The account row's lock queues concurrent creations for one account,
        // so each counts the endpoints the one before it committed. NO KEY
        // UPDATE leaves publishes (whose inserts only KEY SHARE it) unblocked.
        let exists = sqlx::query("SELECT 1 FROM accounts WHERE id = $1 FOR NO KEY UPDATE")
            .bind(account.as_str())
            .fetch_optional(&mut *tx)
            .await?;
        if exists.is_none() {
            return Err(StoreError::NotFound);
        }
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM endpoints WHERE account_id = $1")
            .bind(account.as_str())
            .fetch_one(&mut *tx)
            .await?;
        if count >= i64::from(max_per_account) {
            return Err(StoreError::LimitReached);
        }
        sqlx::query(
            "INSERT INTO endpoints (id, account_id, url, description, event_types, secret, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
        )
        .bind(new.id.as_str())
        .bind(account.as_str())
        .bind(new.url.as_str())
        .bind(&new.description)
        .bind(rows::type_filter_json(&new.event_types))
        .bind(self.sealer.seal(new.secret.expose())?)
        .bind(now.millis())
        .execute(&mut *tx)
        .await
        .map_err(StoreError::from_insert)?;
        let endpoint = endpoint_in(&mut tx, account, &new.id, "").await?;
        tx.commit().await?;
        Ok(endpoint)
    }

    async fn get_endpoint(&self, account: &AccountId, id: &EndpointId) -> StoreResult<Endpoint> {
        let mut conn = self.pool.acquire().await?;
        endpoint_in(&mut conn, account, id, "").await
    }

    async fn list_endpoints(&self, account: &AccountId, page: &Page) -> StoreResult<Paged<Endpoint>> {
        let mut query = QueryBuilder::new("SELECT * FROM endpoints WHERE account_id = ");
        query.push_bind(account.as_str().to_owned());
        fetch_page(&self.pool, &mut query, page, rows::endpoint, |e| e.id.to_string()).await
    }

    async fn update_endpoint(
        &self,
        account: &AccountId,
        id: &EndpointId,
        patch: &EndpointPatch,
        now: Timestamp,
    ) -> StoreResult<Endpoint> {
        let mut tx = self.pool.begin().await?;
        let current = endpoint_in(&mut tx, account, id, " FOR UPDATE").await?;
        let url = patch.url.as_ref().unwrap_or(&current.url);
        let description = patch.description.as_ref().unwrap_or(&current.description);
        let types = patch.event_types.as_ref().unwrap_or(&current.event_types);
        sqlx::query("UPDATE endpoints SET url = $1, description = $2, event_types = $3, updated_at = $4 WHERE id = $5")
            .bind(url.as_str())
            .bind(description)
            .bind(rows::type_filter_json(types))
            .bind(now.millis())
            .bind(id.as_str())
            .execute(&mut *tx)
            .await?;
        let endpoint = endpoint_in(&mut tx, account, id, "").await?;
        tx.commit().await?;
        Ok(endpoint)
    }

    async fn delete_endpoint(&self, account: &AccountId, id: &EndpointId) -> StoreResult<()> {
        let done = sqlx::query("DELETE FROM endpoints WHERE id = $1 AND account_id = $2")
            .bind(id.as_str())
            .bind(account.as_str())
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn get_secrets(&self, account: &AccountId, id: &EndpointId) -> StoreResult<SigningSecrets> {
        let row = sqlx::query(
            "SELECT secret, previous_secret, previous_expires_at FROM endpoints WHERE id = $1 AND account_id = $2",
        )
        .bind(id.as_str())
        .bind(account.as_str())
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        rows::secrets(&row, &self.sealer)
    }

    async fn rotate_secret(
        &self,
        account: &AccountId,
        id: &EndpointId,
        new_secret: &str,
        previous_until: Option<Timestamp>,
        now: Timestamp,
    ) -> StoreResult<()> {
        // One statement: the old secret kept is the one this row held when it was locked.
        let done = sqlx::query(
            "UPDATE endpoints SET
                previous_secret = CASE WHEN $1::BIGINT IS NULL THEN NULL ELSE secret END,
                previous_expires_at = $1, secret = $2, updated_at = $3
             WHERE id = $4 AND account_id = $5",
        )
        .bind(previous_until.map(Timestamp::millis))
        .bind(self.sealer.seal(new_secret)?)
        .bind(now.millis())
        .bind(id.as_str())
        .bind(account.as_str())
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    #[tracing::instrument(skip(self, reason, now))]
    async fn disable_endpoint(
        &self,
        account: &AccountId,
        id: &EndpointId,
        reason: &str,
        now: Timestamp,
    ) -> StoreResult<Endpoint> {
        let mut tx = self.pool.begin().await?;
        endpoint_in(&mut tx, account, id, " FOR UPDATE").await?;
        disable_in(&mut tx, id.as_str(), reason, now).await?;
        let endpoint = endpoint_in(&mut tx, account, id, "").await?;
        tx.commit().await?;
        Ok(endpoint)
    }

    #[tracing::instrument(skip(self, first_attempt_at, now))]
    async fn enable_endpoint(
        &self,
        account: &AccountId,
        id: &EndpointId,
        redeliver_missed: bool,
        first_attempt_at: Timestamp,
        now: Timestamp,
    ) -> StoreResult<Endpoint> {
        let mut tx = self.pool.begin().await?;
        endpoint_in(&mut tx, account, id, " FOR UPDATE").await?;
        sqlx::query(
            "UPDATE endpoints SET enabled = TRUE, disabled_reason = NULL, disabled_at = NULL, updated_at = $1
             WHERE id = $2",
        )
        .bind(now.millis())
        .bind(id.as_str())
        .execute(&mut *tx)
        .await?;
        // What it missed gets a fresh schedule, or is no longer owed.
        let missed = if redeliver_missed {
            sqlx::query(
                "UPDATE deliveries SET status = 'pending', schedule_base = attempt_count, next_attempt_at = $1,
                        missed = FALSE, updated_at = $2 WHERE endpoint_id = $3 AND missed",
            )
            .bind(first_attempt_at.millis())
        } else {
            sqlx::query("UPDATE deliveries SET missed = FALSE, updated_at = $1 WHERE endpoint_id = $2 AND missed")
        };
        missed.bind(now.millis()).bind(id.as_str()).execute(&mut *tx).await?;
        let endpoint = endpoint_in(&mut tx, account, id, "").await?;
        tx.commit().await?;
        Ok(endpoint)
    }
}
