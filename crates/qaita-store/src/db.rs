//! A thin common surface over SQLite (rusqlite) and PostgreSQL (postgres): the store writes
//! its SQL once with `?` placeholders, and this module binds and reads values for either.

use std::error::Error as StdError;

use bytes::BytesMut;
use postgres::types::{IsNull, ToSql, Type, to_sql_checked};
use rusqlite::types::{ToSqlOutput, ValueRef};

use crate::StoreError;

/// Which database a store talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A parameter value. Only these five kinds cross the boundary, so both backends agree
/// (`Blob` is SQLite BLOB and PostgreSQL BYTEA).
#[derive(Debug, Clone, Copy)]
pub enum Val<'a> {
    Null,
    Int(i64),
    Real(f64),
    Text(&'a str),
    Blob(&'a [u8]),
}

impl<'a> From<&'a [u8]> for Val<'a> {
    fn from(b: &'a [u8]) -> Self {
        Val::Blob(b)
    }
}

impl From<Option<i64>> for Val<'_> {
    fn from(v: Option<i64>) -> Self {
        v.map_or(Val::Null, Val::Int)
    }
}

impl<'a> From<&'a str> for Val<'a> {
    fn from(s: &'a str) -> Self {
        Val::Text(s)
    }
}

impl<'a> From<Option<&'a str>> for Val<'a> {
    fn from(s: Option<&'a str>) -> Self {
        s.map_or(Val::Null, Val::Text)
    }
}

impl From<i64> for Val<'_> {
    fn from(v: i64) -> Self {
        Val::Int(v)
    }
}

impl From<f64> for Val<'_> {
    fn from(v: f64) -> Self {
        Val::Real(v)
    }
}

impl From<Option<f64>> for Val<'_> {
    fn from(v: Option<f64>) -> Self {
        v.map_or(Val::Null, Val::Real)
    }
}

impl rusqlite::ToSql for Val<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match *self {
            Val::Null => ValueRef::Null,
            Val::Int(v) => ValueRef::Integer(v),
            Val::Real(v) => ValueRef::Real(v),
            Val::Text(s) => ValueRef::Text(s.as_bytes()),
            Val::Blob(b) => ValueRef::Blob(b),
        }))
    }
}

impl ToSql for Val<'_> {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn StdError + Sync + Send>> {
        match *self {
            Val::Null => Ok(IsNull::Yes),
            Val::Int(v) if *ty == Type::FLOAT8 => (v as f64).to_sql(ty, out),
            Val::Int(v) if *ty == Type::INT4 => i32::try_from(v)?.to_sql(ty, out),
            Val::Int(v) => v.to_sql(ty, out),
            Val::Real(v) => v.to_sql(ty, out),
            Val::Text(s) => s.to_sql(ty, out),
            Val::Blob(b) => b.to_sql(ty, out),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

/// A result row from either backend.
pub enum Row<'r> {
    Sqlite(&'r rusqlite::Row<'r>),
    Postgres(&'r postgres::Row),
}

impl Row<'_> {
    pub fn int(&self, i: usize) -> Result<i64, StoreError> {
        Ok(match self {
            Row::Sqlite(r) => r.get(i)?,
            Row::Postgres(r) => r.try_get(i)?,
        })
    }

    pub fn real(&self, i: usize) -> Result<Option<f64>, StoreError> {
        Ok(match self {
            Row::Sqlite(r) => r.get(i)?,
            Row::Postgres(r) => r.try_get(i)?,
        })
    }

    pub fn bool(&self, i: usize) -> Result<bool, StoreError> {
        Ok(match self {
            Row::Sqlite(r) => r.get::<_, i64>(i)? != 0,
            Row::Postgres(r) => r.try_get(i)?,
        })
    }

    // Part of the common surface for nullable integer columns; no domain reads one yet.
    #[allow(dead_code)]
    pub fn opt_int(&self, i: usize) -> Result<Option<i64>, StoreError> {
        Ok(match self {
            Row::Sqlite(r) => r.get(i)?,
            Row::Postgres(r) => r.try_get(i)?,
        })
    }

    pub fn blob(&self, i: usize) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(match self {
            Row::Sqlite(r) => r.get(i)?,
            Row::Postgres(r) => r.try_get(i)?,
        })
    }

    pub fn text(&self, i: usize) -> Result<Option<String>, StoreError> {
        Ok(match self {
            Row::Sqlite(r) => r.get(i)?,
            Row::Postgres(r) => r.try_get(i)?,
        })
    }
}

pub enum Conn {
    Sqlite(rusqlite::Connection),
    Postgres(Box<postgres::Client>),
}

/// `?` placeholders to `$1, $2, ...` (our SQL has no `?` inside string literals).
fn numbered(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 16);
    let mut n = 0;
    for c in sql.chars() {
        if c == '?' {
            n += 1;
            out.push('$');
            out.push_str(&n.to_string());
        } else {
            out.push(c);
        }
    }
    out
}

fn pg_params<'a>(params: &'a [Val<'a>]) -> Vec<&'a (dyn ToSql + Sync)> {
    params.iter().map(|p| p as &(dyn ToSql + Sync)).collect()
}

impl Conn {
    pub fn is_closed(&self) -> bool {
        match self {
            Conn::Sqlite(_) => false,
            Conn::Postgres(c) => c.is_closed(),
        }
    }

    pub fn backend(&self) -> Backend {
        match self {
            Conn::Sqlite(_) => Backend::Sqlite,
            Conn::Postgres(_) => Backend::Postgres,
        }
    }

    /// Run a script of several statements without parameters.
    pub fn batch(&mut self, sql: &str) -> Result<(), StoreError> {
        match self {
            Conn::Sqlite(c) => c.execute_batch(sql)?,
            Conn::Postgres(c) => c.batch_execute(sql)?,
        }
        Ok(())
    }

    /// Run one statement; returns the number of rows changed.
    pub fn exec(&mut self, sql: &str, params: &[Val<'_>]) -> Result<u64, StoreError> {
        match self {
            Conn::Sqlite(c) => {
                Ok(c.prepare_cached(sql)?
                    .execute(rusqlite::params_from_iter(params.iter()))? as u64)
            }
            Conn::Postgres(c) => Ok(c.execute(numbered(sql).as_str(), &pg_params(params))?),
        }
    }

    /// Run a query and map every row.
    pub fn query<T>(
        &mut self,
        sql: &str,
        params: &[Val<'_>],
        mut map: impl FnMut(&Row<'_>) -> Result<T, StoreError>,
    ) -> Result<Vec<T>, StoreError> {
        match self {
            Conn::Sqlite(c) => {
                let mut stmt = c.prepare_cached(sql)?;
                let mut rows = stmt.query(rusqlite::params_from_iter(params.iter()))?;
                let mut out = Vec::new();
                while let Some(row) = rows.next()? {
                    out.push(map(&Row::Sqlite(row))?);
                }
                Ok(out)
            }
            Conn::Postgres(c) => {
                let rows = c.query(numbered(sql).as_str(), &pg_params(params))?;
                rows.iter().map(|r| map(&Row::Postgres(r))).collect()
            }
        }
    }

    /// A query expected to give one integer (`count(*)`, `RETURNING id`).
    pub fn query_int(&mut self, sql: &str, params: &[Val<'_>]) -> Result<i64, StoreError> {
        self.query(sql, params, |r| r.int(0))?
            .into_iter()
            .next()
            .ok_or_else(|| StoreError::Invariant(format!("query returned no row: {sql}")))
    }

    /// Insert one row and return its `id`. SQLite's own RETURNING buffers results in a temporary
    /// table, which costs more than the insert itself in bulk imports; its last rowid is free.
    pub fn insert_returning_id(
        &mut self,
        sql: &str,
        params: &[Val<'_>],
    ) -> Result<i64, StoreError> {
        match self {
            Conn::Sqlite(c) => {
                c.prepare_cached(sql)?
                    .execute(rusqlite::params_from_iter(params.iter()))?;
                Ok(c.last_insert_rowid())
            }
            Conn::Postgres(_) => self.query_int(&format!("{sql} RETURNING id"), params),
        }
    }

    pub fn begin(&mut self) -> Result<(), StoreError> {
        match self {
            // IMMEDIATE takes the write lock now, so a concurrent writer fails early, not at commit.
            Conn::Sqlite(_) => self.batch("BEGIN IMMEDIATE"),
            Conn::Postgres(_) => self.batch("BEGIN"),
        }
    }

    pub fn commit(&mut self) -> Result<(), StoreError> {
        self.batch("COMMIT")
    }

    pub fn rollback(&mut self) -> Result<(), StoreError> {
        self.batch("ROLLBACK")
    }
}

#[cfg(test)]
mod tests {
    use super::numbered;

    #[test]
    fn numbers_placeholders() {
        assert_eq!(
            numbered("SELECT a FROM t WHERE b = ? AND c = ?"),
            "SELECT a FROM t WHERE b = $1 AND c = $2"
        );
    }
}
