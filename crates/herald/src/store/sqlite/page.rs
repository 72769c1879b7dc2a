//! One page of a list, newest first, behind a cursor; and the `?` lists of
//! `IN (…)` conditions.

use sqlx::{sqlite::SqliteRow, QueryBuilder, Sqlite, SqlitePool};

use crate::store::{Page, Paged, StoreResult};

/// Finishes a list query (`SELECT … WHERE <conditions>`) with the cursor,
/// newest-first order and `limit + 1`, and reads the page.
pub(super) async fn fetch_page<T>(
    pool: &SqlitePool,
    mut query: QueryBuilder<'_, Sqlite>,
    page: &Page,
    read: fn(&SqliteRow) -> StoreResult<T>,
    id_of: fn(&T) -> String,
) -> StoreResult<Paged<T>> {
    if let Some(before) = &page.before {
        query.push(" AND id < ").push_bind(before.clone());
    }
    query.push(" ORDER BY id DESC LIMIT ").push_bind(i64::from(page.limit) + 1);
    let items = query.build().fetch_all(pool).await?.iter().map(read).collect::<StoreResult<Vec<_>>>()?;
    Ok(Paged::from_fetched(items, page, id_of))
}

/// `?, ?, ?` for `n` bind parameters.
pub(super) fn placeholders(n: usize) -> String {
    vec!["?"; n].join(", ")
}
