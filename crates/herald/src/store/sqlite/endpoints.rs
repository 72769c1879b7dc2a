//! Endpoints on SQLite: CRUD, secrets, and the disable / re-enable rules.

use async_trait::async_trait;
use sqlx::{QueryBuilder, Row, SqliteConnection};

use super::{
    hot_dispatch::{DISABLE_SQL, STOP_LOG_SQL, STOP_SQL},
    pool::SqliteStore,
    rows,
};
use crate::{
    domain::{AccountId, EndpointId, Timestamp},
    store::{
        columns, page::fetch_page, Endpoint, EndpointPatch, EndpointStore, NewEndpoint, Page, Paged, Sealer,
        SigningSecrets, StoreError, StoreResult,
    },
};

/// Disables an endpoint inside a transaction: pending deliveries not in
/// flight fail with an `endpoint_disabled` entry and are marked missed.
pub(super) async fn disable_in(
    conn: &mut SqliteConnection,
    endpoint: &str,
    reason: &str,
    now: Timestamp,
) -> StoreResult<()> {
    let now = now.millis();
    sqlx::query(DISABLE_SQL).bind(reason).bind(now).bind(now).bind(endpoint).execute(&mut *conn).await?;
    sqlx::query(STOP_LOG_SQL).bind(now).bind(endpoint).bind(now).execute(&mut *conn).await?;
    sqlx::query(STOP_SQL).bind(now).bind(endpoint).bind(now).execute(&mut *conn).await?;
    Ok(())
}

impl SqliteStore {
    async fn endpoint_in(conn: &mut SqliteConnection, account: &AccountId, id: &EndpointId) -> StoreResult<Endpoint> {
        let row = sqlx::query("SELECT * FROM endpoints WHERE id = ? AND account_id = ?")
            .bind(id.as_str())
            .bind(account.as_str())
            .fetch_optional(conn)
            .await?
            .ok_or(StoreError::NotFound)?;
        rows::endpoint(&row)
    }
}

#[async_trait]
impl EndpointStore for SqliteStore {
    #[tracing::instrument(skip_all, fields(account = %account, endpoint = %new.id))]
    async fn create_endpoint(
        &self,
        account: &AccountId,
        new: &NewEndpoint,
        max_per_account: u32,
        now: Timestamp,
    ) -> StoreResult<Endpoint> {
        // BEGIN IMMEDIATE takes the write lock first: the count is serialised
        // with every other write, the hot writer's included.
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        let exists =
            sqlx::query("SELECT 1 FROM accounts WHERE id = ?").bind(account.as_str()).fetch_optional(&mut *tx).await?;
        if exists.is_none() {
            return Err(StoreError::NotFound);
        }
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM endpoints WHERE account_id = ?")
            .bind(account.as_str())
            .fetch_one(&mut *tx)
            .await?;
        if count >= i64::from(max_per_account) {
            return Err(StoreError::LimitReached);
        }
        sqlx::query(
            "INSERT INTO endpoints (id, account_id, url, description, event_types, secret, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(new.id.as_str())
        .bind(account.as_str())
        .bind(new.url.as_str())
        .bind(&new.description)
        .bind(rows::type_filter_json(&new.event_types))
        .bind(self.sealer.seal(new.secret.expose())?)
        .bind(now.millis())
        .bind(now.millis())
        .execute(&mut *tx)
        .await
        .map_err(StoreError::from_insert)?;
        let endpoint = Self::endpoint_in(&mut tx, account, &new.id).await?;
        tx.commit().await?;
        Ok(endpoint)
    }

    async fn get_endpoint(&self, account: &AccountId, id: &EndpointId) -> StoreResult<Endpoint> {
        let mut conn = self.reader.acquire().await?;
        Self::endpoint_in(&mut conn, account, id).await
    }

    async fn list_endpoints(&self, account: &AccountId, page: &Page) -> StoreResult<Paged<Endpoint>> {
        let mut query = QueryBuilder::new("SELECT * FROM endpoints WHERE account_id = ");
        query.push_bind(account.as_str().to_owned());
        fetch_page(&self.reader, &mut query, page, rows::endpoint, |e| e.id.to_string()).await
    }

    async fn update_endpoint(
        &self,
        account: &AccountId,
        id: &EndpointId,
        patch: &EndpointPatch,
        now: Timestamp,
    ) -> StoreResult<Endpoint> {
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        let current = Self::endpoint_in(&mut tx, account, id).await?;
        let url = patch.url.as_ref().unwrap_or(&current.url);
        let description = patch.description.as_ref().unwrap_or(&current.description);
        let types = patch.event_types.as_ref().unwrap_or(&current.event_types);
        sqlx::query("UPDATE endpoints SET url = ?, description = ?, event_types = ?, updated_at = ? WHERE id = ?")
            .bind(url.as_str())
            .bind(description)
            .bind(rows::type_filter_json(types))
            .bind(now.millis())
            .bind(id.as_str())
            .execute(&mut *tx)
            .await?;
        let endpoint = Self::endpoint_in(&mut tx, account, id).await?;
        tx.commit().await?;
        Ok(endpoint)
    }

    async fn delete_endpoint(&self, account: &AccountId, id: &EndpointId) -> StoreResult<()> {
        let done = sqlx::query("DELETE FROM endpoints WHERE id = ? AND account_id = ?")
            .bind(id.as_str())
            .bind(account.as_str())
            .execute(&self.writer)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn get_secrets(&self, account: &AccountId, id: &EndpointId) -> StoreResult<SigningSecrets> {
        let row = sqlx::query(
            "SELECT secret, previous_secret, previous_expires_at FROM endpoints WHERE id = ? AND account_id = ?",
        )
        .bind(id.as_str())
        .bind(account.as_str())
        .fetch_optional(&self.reader)
        .await?
        .ok_or(StoreError::NotFound)?;
        secrets(&row, &self.sealer)
    }

    async fn rotate_secret(
        &self,
        account: &AccountId,
        id: &EndpointId,
        new_secret: &str,
        previous_until: Option<Timestamp>,
        now: Timestamp,
    ) -> StoreResult<()> {
        let done = sqlx::query(
            "UPDATE endpoints SET
                previous_secret = CASE WHEN ? IS NULL THEN NULL ELSE secret END,
                previous_expires_at = ?, secret = ?, updated_at = ?
             WHERE id = ? AND account_id = ?",
        )
        .bind(previous_until.map(Timestamp::millis))
        .bind(previous_until.map(Timestamp::millis))
        .bind(self.sealer.seal(new_secret)?)
        .bind(now.millis())
        .bind(id.as_str())
        .bind(account.as_str())
        .execute(&self.writer)
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
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        Self::endpoint_in(&mut tx, account, id).await?;
        disable_in(&mut tx, id.as_str(), reason, now).await?;
        let endpoint = Self::endpoint_in(&mut tx, account, id).await?;
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
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        Self::endpoint_in(&mut tx, account, id).await?;
        sqlx::query(
            "UPDATE endpoints SET enabled = 1, disabled_reason = NULL, disabled_at = NULL, updated_at = ? WHERE id = ?",
        )
        .bind(now.millis())
        .bind(id.as_str())
        .execute(&mut *tx)
        .await?;
        let redeliver = if redeliver_missed {
            "UPDATE deliveries SET status = 'pending', schedule_base = attempt_count, next_attempt_at = ?,
                    missed = 0, updated_at = ? WHERE endpoint_id = ? AND missed = 1"
        } else {
            "UPDATE deliveries SET missed = 0, updated_at = ?2 WHERE endpoint_id = ?3 AND missed = 1 AND ?1 IS NOT NULL"
        };
        sqlx::query(redeliver)
            .bind(first_attempt_at.millis())
            .bind(now.millis())
            .bind(id.as_str())
            .execute(&mut *tx)
            .await?;
        let endpoint = Self::endpoint_in(&mut tx, account, id).await?;
        tx.commit().await?;
        Ok(endpoint)
    }
}

/// Reads the secret columns of an endpoint row, opened.
pub(super) fn secrets(row: &sqlx::sqlite::SqliteRow, sealer: &Sealer) -> StoreResult<SigningSecrets> {
    let (current, previous, until) =
        (row.try_get("secret")?, row.try_get("previous_secret")?, row.try_get("previous_expires_at")?);
    columns::signing_secrets(sealer, current, previous, until)
}
