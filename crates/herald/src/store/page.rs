//! One page of a list, newest first, behind a cursor: the one way both
//! engines finish a list query.

use sqlx::{Database, Encode, Executor, IntoArguments, Pool, QueryBuilder, Type};

use super::{Page, Paged, StoreResult};

/// Finishes a list query (`SELECT … WHERE <conditions>`) with the cursor,
/// newest-first order and `limit + 1`, and reads the page.
pub async fn fetch_page<'q, DB, T>(
    pool: &Pool<DB>,
    query: &'q mut QueryBuilder<'q, DB>,
    page: &Page,
    read: fn(&DB::Row) -> StoreResult<T>,
    id_of: fn(&T) -> String,
) -> StoreResult<Paged<T>>
where
    DB: Database,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    DB::Arguments<'q>: IntoArguments<'q, DB>,
    String: Encode<'q, DB> + Type<DB>,
    i64: Encode<'q, DB> + Type<DB>,
{
    if let Some(before) = &page.before {
        query.push(" AND id < ").push_bind(before.clone());
    }
    query.push(" ORDER BY id DESC LIMIT ").push_bind(i64::from(page.limit) + 1);
    let items = QueryBuilder::build(query).fetch_all(pool).await?.iter().map(read).collect::<StoreResult<Vec<_>>>()?;
    Ok(Paged::from_fetched(items, page, id_of))
}
