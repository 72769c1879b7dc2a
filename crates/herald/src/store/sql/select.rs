//! A `SELECT` put together piece by piece (a list's filters, its cursor),
//! its placeholders numbered as the values are pushed, and one page of a
//! list read with it.

use super::{bounds::Arg, dialect::Engine};
use crate::store::{Page, Paged, StoreResult};

/// A value bound to a pushed placeholder.
enum Value {
    Text(String),
    Int(i64),
}

/// A `SELECT` being put together.
pub struct Select {
    sql: String,
    values: Vec<Value>,
}

impl Select {
    /// Starts with `sql`.
    pub fn new(sql: impl Into<String>) -> Self {
        Self { sql: sql.into(), values: Vec::new() }
    }

    /// Appends SQL.
    pub fn push(&mut self, sql: &str) -> &mut Self {
        self.sql.push_str(sql);
        self
    }

    /// Appends a placeholder bound to a text.
    pub fn push_text(&mut self, value: impl Into<String>) -> &mut Self {
        self.bind(Value::Text(value.into()))
    }

    /// Appends a placeholder bound to a number.
    pub fn push_int(&mut self, value: i64) -> &mut Self {
        self.bind(Value::Int(value))
    }

    fn bind(&mut self, value: Value) -> &mut Self {
        self.values.push(value);
        self.sql.push_str(&format!("${}", self.values.len()));
        self
    }

    /// Runs it: every row.
    pub async fn fetch_all<S: Engine>(self, store: &S) -> StoreResult<Vec<<S::Db as sqlx::Database>::Row>> {
        let mut query = sqlx::query(&self.sql);
        for value in self.values {
            query = match value {
                Value::Text(text) => query.arg(text),
                Value::Int(n) => query.arg(n),
            };
        }
        Ok(query.fetch_all(store.reads()).await?)
    }

    /// Finishes a list query (`SELECT … WHERE <conditions>`) with the
    /// cursor, newest-first order and `limit + 1`, and reads the page.
    pub async fn fetch_page<S: Engine, T>(
        mut self,
        store: &S,
        page: &Page,
        read: fn(&<S::Db as sqlx::Database>::Row) -> StoreResult<T>,
        id_of: fn(&T) -> String,
    ) -> StoreResult<Paged<T>> {
        if let Some(before) = &page.before {
            self.push(" AND id < ").push_text(before.clone());
        }
        self.push(" ORDER BY id DESC LIMIT ").push_int(i64::from(page.limit) + 1);
        let items = self.fetch_all(store).await?.iter().map(read).collect::<StoreResult<Vec<_>>>()?;
        Ok(Paged::from_fetched(items, page, id_of))
    }
}
