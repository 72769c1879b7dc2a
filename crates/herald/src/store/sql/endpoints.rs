//! Endpoints: CRUD, secrets, and the disable / re-enable rules.
//!
//! Every change of an endpoint's enabled state first holds the endpoint row
//! (`FOR UPDATE` on PostgreSQL; SQLite's write transaction holds the whole
//! database); publishing and recording attempts read the flag under a share
//! lock, so no delivery is created or moved on against a flag that is
//! changing under it.

use async_trait::async_trait;

use super::{
    bounds::{Affected, Arg, Col, Conn},
    dialect::{Engine, Sql},
    disable::disable_in,
    rows,
    select::Select,
};
use crate::{
    domain::{AccountId, CustomHeaders, DisabledCause, EndpointId, Timestamp},
    store::{
        columns, Endpoint, EndpointPatch, EndpointStore, NewEndpoint, Page, Paged, SigningSecrets, StoreError,
        StoreResult,
    },
};

/// One endpoint of an account; `lock` is appended to the query (`""`, or an
/// engine's `FOR UPDATE`), so a transaction can hold the row while it decides.
async fn endpoint_in<C: Conn<Db: Sql>>(
    conn: &mut C,
    account: &AccountId,
    id: &EndpointId,
    lock: &str,
) -> StoreResult<Endpoint> {
    let row = sqlx::query(&format!("SELECT * FROM endpoints WHERE id = $1 AND account_id = $2{lock}"))
        .arg(id.to_string())
        .arg(account.to_string())
        .fetch_optional(conn.exec())
        .await?
        .ok_or(StoreError::NotFound)?;
    rows::endpoint(&row)
}

#[async_trait]
impl<S: Engine> EndpointStore for S {
    #[tracing::instrument(skip_all, fields(account = %account, endpoint = %new.id))]
    async fn create_endpoint(
        &self,
        account: &AccountId,
        new: &NewEndpoint,
        max_per_account: u32,
        now: Timestamp,
    ) -> StoreResult<Endpoint> {
        let mut tx = self.begin_write().await?;
        // The account row's lock queues concurrent creations for one account,
        // so each counts the endpoints the one before it committed (on
        // PostgreSQL NO KEY UPDATE leaves publishes, whose inserts only KEY
        // SHARE it, unblocked).
        let exists = sqlx::query(&format!("SELECT 1 FROM accounts WHERE id = $1{}", S::Db::FOR_NO_KEY_UPDATE))
            .arg(account.to_string())
            .fetch_optional(tx.exec())
            .await?;
        if exists.is_none() {
            return Err(StoreError::NotFound);
        }
        let count: i64 = sqlx::query("SELECT COUNT(*) AS n FROM endpoints WHERE account_id = $1")
            .arg(account.to_string())
            .fetch_one(tx.exec())
            .await?
            .col("n")?;
        if count >= i64::from(max_per_account) {
            return Err(StoreError::LimitReached);
        }
        sqlx::query(
            "INSERT INTO endpoints (id, account_id, url, description, event_types, secret, created_at, updated_at,
                                    rate_limit, header_names, headers, content_filter, ordered)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8, $9, $10, $11, $12)",
        )
        .arg(new.id.to_string())
        .arg(account.to_string())
        .arg(new.url.as_str().to_owned())
        .arg(new.description.clone())
        .arg(columns::type_filter_json(&new.event_types))
        .arg(self.sealer().seal(new.secret.expose())?)
        .arg(now.millis())
        .arg(new.rate_limit.map(i64::from))
        .arg(columns::header_names_json(&new.headers))
        .arg(columns::sealed_headers(self.sealer(), &new.headers)?)
        .arg(new.content_filter.as_ref().map(|f| f.as_str().to_owned()))
        .arg(new.ordered)
        .execute(tx.exec())
        .await
        .map_err(StoreError::from_insert)?;
        let endpoint = endpoint_in(&mut *tx, account, &new.id, "").await?;
        tx.commit().await?;
        Ok(endpoint)
    }

    async fn get_endpoint(&self, account: &AccountId, id: &EndpointId) -> StoreResult<Endpoint> {
        let row = sqlx::query("SELECT * FROM endpoints WHERE id = $1 AND account_id = $2")
            .arg(id.to_string())
            .arg(account.to_string())
            .fetch_optional(self.reads())
            .await?
            .ok_or(StoreError::NotFound)?;
        rows::endpoint(&row)
    }

    async fn list_endpoints(&self, account: &AccountId, page: &Page) -> StoreResult<Paged<Endpoint>> {
        let mut query = Select::new("SELECT * FROM endpoints WHERE account_id = ");
        query.push_text(account.to_string());
        query.fetch_page(self, page, rows::endpoint, |e| e.id.to_string()).await
    }

    async fn update_endpoint(
        &self,
        account: &AccountId,
        id: &EndpointId,
        patch: &EndpointPatch,
        now: Timestamp,
    ) -> StoreResult<Endpoint> {
        let mut tx = self.begin_write().await?;
        let current = endpoint_in(&mut *tx, account, id, S::Db::FOR_UPDATE).await?;
        let url = patch.url.as_ref().unwrap_or(&current.url);
        let description = patch.description.as_ref().unwrap_or(&current.description);
        let types = patch.event_types.as_ref().unwrap_or(&current.event_types);
        let rate_limit = patch.rate_limit.unwrap_or(current.rate_limit);
        let content_filter = patch.content_filter.as_ref().unwrap_or(&current.content_filter);
        let ordered = patch.ordered.unwrap_or(current.ordered);
        sqlx::query(
            "UPDATE endpoints SET url = $1, description = $2, event_types = $3, updated_at = $4, rate_limit = $5,
                content_filter = $6, ordered = $7
             WHERE id = $8",
        )
        .arg(url.as_str().to_owned())
        .arg(description.clone())
        .arg(columns::type_filter_json(types))
        .arg(now.millis())
        .arg(rate_limit.map(i64::from))
        .arg(content_filter.as_ref().map(|f| f.as_str().to_owned()))
        .arg(ordered)
        .arg(id.to_string())
        .execute(tx.exec())
        .await?;
        if current.ordered && !ordered {
            // What it held in order goes as any delivery does, at once.
            sqlx::query("UPDATE deliveries SET fifo_seq = NULL WHERE endpoint_id = $1 AND fifo_seq IS NOT NULL")
                .arg(id.to_string())
                .execute(tx.exec())
                .await?;
        }
        if let Some(headers) = &patch.headers {
            sqlx::query("UPDATE endpoints SET header_names = $1, headers = $2 WHERE id = $3")
                .arg(columns::header_names_json(headers))
                .arg(columns::sealed_headers(self.sealer(), headers)?)
                .arg(id.to_string())
                .execute(tx.exec())
                .await?;
        }
        let endpoint = endpoint_in(&mut *tx, account, id, "").await?;
        tx.commit().await?;
        Ok(endpoint)
    }

    async fn delete_endpoint(&self, account: &AccountId, id: &EndpointId) -> StoreResult<()> {
        let done = sqlx::query("DELETE FROM endpoints WHERE id = $1 AND account_id = $2")
            .arg(id.to_string())
            .arg(account.to_string())
            .execute(self.writes())
            .await?;
        if done.rows() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn get_secrets(&self, account: &AccountId, id: &EndpointId) -> StoreResult<SigningSecrets> {
        let row = sqlx::query(
            "SELECT secret, previous_secret, previous_expires_at FROM endpoints WHERE id = $1 AND account_id = $2",
        )
        .arg(id.to_string())
        .arg(account.to_string())
        .fetch_optional(self.reads())
        .await?
        .ok_or(StoreError::NotFound)?;
        rows::secrets(&row, self.sealer())
    }

    async fn get_headers(&self, account: &AccountId, id: &EndpointId) -> StoreResult<CustomHeaders> {
        let row = sqlx::query("SELECT headers FROM endpoints WHERE id = $1 AND account_id = $2")
            .arg(id.to_string())
            .arg(account.to_string())
            .fetch_optional(self.reads())
            .await?
            .ok_or(StoreError::NotFound)?;
        columns::custom_headers(self.sealer(), row.col::<Option<String>>("headers")?.as_deref())
    }

    async fn rotate_secret(
        &self,
        account: &AccountId,
        id: &EndpointId,
        new_secret: &str,
        previous_until: Option<Timestamp>,
        now: Timestamp,
    ) -> StoreResult<()> {
        // One statement: the old secret kept is the one this row held when it was changed.
        let done = sqlx::query(
            "UPDATE endpoints SET
                previous_secret = CASE WHEN CAST($1 AS BIGINT) IS NULL THEN NULL ELSE secret END,
                previous_expires_at = $1, secret = $2, updated_at = $3
             WHERE id = $4 AND account_id = $5",
        )
        .arg(previous_until.map(Timestamp::millis))
        .arg(self.sealer().seal(new_secret)?)
        .arg(now.millis())
        .arg(id.to_string())
        .arg(account.to_string())
        .execute(self.writes())
        .await?;
        if done.rows() == 0 {
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
        let mut tx = self.begin_write().await?;
        endpoint_in(&mut *tx, account, id, S::Db::FOR_UPDATE).await?;
        disable_in(&mut *tx, id.as_str(), (DisabledCause::Manual, reason), None, now).await?;
        let endpoint = endpoint_in(&mut *tx, account, id, "").await?;
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
        let mut tx = self.begin_write().await?;
        endpoint_in(&mut *tx, account, id, S::Db::FOR_UPDATE).await?;
        // Noted for the platform if it was disabled, before the flag changes.
        sqlx::query(
            "INSERT INTO endpoint_changes (account_id, endpoint_id, url, change, redeliver_missed, at)
             SELECT account_id, id, url, 'enabled', $1, $2 FROM endpoints WHERE id = $3 AND NOT enabled",
        )
        .arg(redeliver_missed)
        .arg(now.millis())
        .arg(id.to_string())
        .execute(tx.exec())
        .await?;
        sqlx::query(
            "UPDATE endpoints SET enabled = TRUE, disabled_reason = NULL, disabled_at = NULL, disabled_cause = NULL,
                    updated_at = $1
             WHERE id = $2",
        )
        .arg(now.millis())
        .arg(id.to_string())
        .execute(tx.exec())
        .await?;
        // What it missed gets a fresh schedule, or is no longer owed.
        let sql = if redeliver_missed {
            format!(
                "UPDATE deliveries SET status = 'pending', schedule_base = attempt_count, next_attempt_at = $3,
                        missed = FALSE, updated_at = $1 WHERE endpoint_id = $2 AND {}",
                S::Db::MISSED
            )
        } else {
            format!(
                "UPDATE deliveries SET missed = FALSE, updated_at = $1 WHERE endpoint_id = $2 AND {}",
                S::Db::MISSED
            )
        };
        let mut missed = sqlx::query(&sql).arg(now.millis()).arg(id.to_string());
        if redeliver_missed {
            missed = missed.arg(first_attempt_at.millis());
        }
        missed.execute(tx.exec()).await?;
        let endpoint = endpoint_in(&mut *tx, account, id, "").await?;
        tx.commit().await?;
        Ok(endpoint)
    }
}
