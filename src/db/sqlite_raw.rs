//! One prepared SQLite statement run row by row through SQLite's C API, on the connection
//! that sqlx lends for it ([`sqlx::SqliteConnection::lock_handle`]). This is kaowu's only
//! unsafe code, and it is here for one job: an import's 200,000-row INSERT.
//!
//! Through sqlx, each of the 6.6 million values of such an import is wrapped in an
//! argument, handed to sqlx's worker thread, copied by SQLite (sqlx binds every text as
//! `SQLITE_TRANSIENT`, with no option to do otherwise) and freed twice; the worker thread
//! was the longest chain of the import. Here the rows are bound where they lie, as
//! `SQLITE_STATIC`, and stepped on the calling thread. No crate does this on a connection
//! that sqlx owns (rusqlite would need its own connection, outside sqlx's transaction), so
//! it is written by hand, and kept to the six calls it needs.
#![allow(unsafe_code)]

use std::ffi::{CStr, c_char, c_int};
use std::marker::PhantomData;
use std::ptr::{self, NonNull};

use libsqlite3_sys as ffi;
use sqlx::sqlite::LockedSqliteHandle;

use super::DbError;

/// A value bound to one parameter.
#[derive(Debug, Clone, Copy)]
pub enum Value<'a> {
    Int(i64),
    Text(&'a str),
    Null,
}

impl<'a> From<Option<&'a str>> for Value<'a> {
    fn from(t: Option<&'a str>) -> Self {
        t.map_or(Value::Null, Value::Text)
    }
}

/// A prepared statement on a locked handle. While it lives, sqlx's worker cannot touch the
/// connection (the handle's lock is borrowed), and it is finalized on drop.
pub struct Statement<'h> {
    db: NonNull<ffi::sqlite3>,
    stmt: NonNull<ffi::sqlite3_stmt>,
    params: usize,
    _handle: PhantomData<&'h mut ()>,
}

impl<'h> Statement<'h> {
    /// Prepares `sql` (one statement) on the locked connection.
    pub fn prepare(handle: &'h mut LockedSqliteHandle<'_>, sql: &str) -> Result<Self, DbError> {
        let db = handle.as_raw_handle();
        let len = c_int::try_from(sql.len()).expect("a statement shorter than 2 GB");
        let mut stmt = ptr::null_mut();
        // SAFETY: `db` is an open connection that this thread holds alone (the lock is
        // borrowed for 'h); `sql` is valid for `len` bytes; `stmt` is written by SQLite.
        let rc = unsafe {
            ffi::sqlite3_prepare_v3(
                db.as_ptr(),
                sql.as_ptr().cast::<c_char>(),
                len,
                ffi::SQLITE_PREPARE_PERSISTENT,
                &raw mut stmt,
                ptr::null_mut(),
            )
        };
        if rc != ffi::SQLITE_OK {
            return Err(error(db, rc));
        }
        let stmt = NonNull::new(stmt).ok_or_else(|| DbError::Sqlite {
            code: ffi::SQLITE_MISUSE,
            message: format!("no statement in {sql:?}"),
        })?;
        // SAFETY: `stmt` was just prepared on this connection.
        let params = unsafe { ffi::sqlite3_bind_parameter_count(stmt.as_ptr()) };
        Ok(Statement {
            db,
            stmt,
            params: usize::try_from(params).unwrap_or(0),
            _handle: PhantomData,
        })
    }

    /// Binds `values` to the statement's parameters, in order, and runs it to its end.
    /// The texts are bound without a copy: SQLite reads them during this call only, and
    /// they are unbound before it returns.
    pub fn execute(&mut self, values: &[Value<'_>]) -> Result<(), DbError> {
        assert_eq!(
            values.len(),
            self.params,
            "a value for each parameter of the statement"
        );
        let stmt = self.stmt.as_ptr();
        let mut rc = ffi::SQLITE_OK;
        for (i, v) in values.iter().enumerate() {
            let at = c_int::try_from(i + 1).expect("fewer than 32,767 parameters");
            // SAFETY: `stmt` is a live statement of a connection this thread holds alone;
            // a text's bytes stay borrowed until the statement is reset and unbound below,
            // so SQLITE_STATIC (no copy, no destructor) never lets SQLite read freed memory.
            rc = unsafe {
                match *v {
                    Value::Int(n) => ffi::sqlite3_bind_int64(stmt, at, n),
                    Value::Null => ffi::sqlite3_bind_null(stmt, at),
                    Value::Text(t) => ffi::sqlite3_bind_text64(
                        stmt,
                        at,
                        t.as_ptr().cast::<c_char>(),
                        t.len() as u64,
                        ffi::SQLITE_STATIC(),
                        ffi::SQLITE_UTF8 as u8,
                    ),
                }
            };
            if rc != ffi::SQLITE_OK {
                break;
            }
        }
        if rc == ffi::SQLITE_OK {
            // SAFETY: as above; every parameter is bound. Rows a statement returns are
            // stepped over: it runs to its end.
            rc = loop {
                match unsafe { ffi::sqlite3_step(stmt) } {
                    ffi::SQLITE_ROW => {}
                    ffi::SQLITE_DONE => break ffi::SQLITE_OK,
                    failed => break failed,
                }
            };
        }
        // The message belongs to the last call on the connection: read it before resetting.
        let failed = (rc != ffi::SQLITE_OK).then(|| error(self.db, rc));
        // SAFETY: as above. Reset ends the run; clearing drops every pointer to `values`.
        unsafe {
            ffi::sqlite3_reset(stmt);
            ffi::sqlite3_clear_bindings(stmt);
        }
        failed.map_or(Ok(()), Err)
    }
}

impl Drop for Statement<'_> {
    fn drop(&mut self) {
        // SAFETY: the statement is finalized once, here, on the thread that holds the lock.
        unsafe {
            ffi::sqlite3_finalize(self.stmt.as_ptr());
        }
    }
}

/// SQLite's code and message for a failed call on `db`.
fn error(db: NonNull<ffi::sqlite3>, rc: c_int) -> DbError {
    // SAFETY: `db` is open and held by this thread; the message is copied at once.
    let (code, message) = unsafe {
        let code = ffi::sqlite3_extended_errcode(db.as_ptr());
        let msg = ffi::sqlite3_errmsg(db.as_ptr());
        let message = if msg.is_null() {
            String::new()
        } else {
            CStr::from_ptr(msg).to_string_lossy().into_owned()
        };
        (if code == ffi::SQLITE_OK { rc } else { code }, message)
    };
    DbError::Sqlite { code, message }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlx::{Connection, SqliteConnection};

    async fn table() -> SqliteConnection {
        let mut c = SqliteConnection::connect("sqlite::memory:").await.unwrap();
        sqlx::query("CREATE TABLE t (i INTEGER NOT NULL CHECK (i >= 0), s TEXT, n TEXT)")
            .execute(&mut c)
            .await
            .unwrap();
        c
    }

    #[tokio::test]
    async fn rows_go_in_as_bound_inside_the_callers_transaction() {
        let mut c = table().await;
        let mut tx = c.begin().await.unwrap();
        let texts = [
            String::from("报名序号 20260000001"),
            String::new(),
            String::from("a\0b"),
        ];
        {
            let mut h = tx.lock_handle().await.unwrap();
            let mut st =
                Statement::prepare(&mut h, "INSERT INTO t (i, s, n) VALUES (?, ?, ?)").unwrap();
            for (i, t) in texts.iter().enumerate() {
                let n = (i == 1).then_some("x");
                st.execute(&[Value::Int(i as i64), Value::Text(t), n.into()])
                    .unwrap();
            }
        }
        let rows: Vec<(i64, Option<String>, Option<String>)> =
            sqlx::query_as("SELECT i, s, n FROM t ORDER BY i")
                .fetch_all(&mut *tx)
                .await
                .unwrap();
        assert_eq!(
            rows,
            vec![
                (0, Some(texts[0].clone()), None),
                (1, Some(String::new()), Some("x".into())),
                (2, Some("a\0b".into()), None),
            ]
        );
        tx.rollback().await.unwrap();
        let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM t")
            .fetch_one(&mut c)
            .await
            .unwrap();
        assert_eq!(left, 0, "the rows were part of the rolled-back transaction");
    }

    #[tokio::test]
    async fn a_refused_row_gives_sqlites_code_and_message_and_the_statement_goes_on() {
        let mut c = table().await;
        let mut h = c.lock_handle().await.unwrap();
        let mut st = Statement::prepare(&mut h, "INSERT INTO t (i, s) VALUES (?, ?)").unwrap();
        match st.execute(&[Value::Int(-1), Value::Text("no")]) {
            Err(DbError::Sqlite { code, message }) => {
                assert_eq!(code, ffi::SQLITE_CONSTRAINT_CHECK);
                assert!(message.contains("CHECK constraint failed"), "{message}");
            }
            other => panic!("expected SQLite's refusal, got {other:?}"),
        }
        st.execute(&[Value::Int(1), Value::Text("yes")]).unwrap();
        drop(st);
        drop(h);
        let kept: Vec<(i64, String)> = sqlx::query_as("SELECT i, s FROM t")
            .fetch_all(&mut c)
            .await
            .unwrap();
        assert_eq!(kept, vec![(1, "yes".to_string())]);
    }

    #[tokio::test]
    async fn a_statement_that_does_not_parse_is_an_error() {
        let mut c = table().await;
        let mut h = c.lock_handle().await.unwrap();
        match Statement::prepare(&mut h, "INSERT INTO nowhere VALUES (?)") {
            Err(DbError::Sqlite { message, .. }) => {
                assert!(message.contains("no such table: nowhere"), "{message}");
            }
            Err(e) => panic!("expected SQLite's error, got {e:?}"),
            Ok(_) => panic!("a statement on a missing table was prepared"),
        }
    }

    #[tokio::test]
    #[should_panic(expected = "a value for each parameter")]
    async fn too_few_values_is_a_bug_caught_before_binding() {
        let mut c = table().await;
        let mut h = c.lock_handle().await.unwrap();
        let mut st = Statement::prepare(&mut h, "INSERT INTO t (i, s) VALUES (?, ?)").unwrap();
        let _ = st.execute(&[Value::Int(1)]);
    }
}
