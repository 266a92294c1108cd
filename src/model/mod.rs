//! Domain types and rules: no I/O, no SQL. Everything here is checked by unit tests beside it.

pub mod application;
pub mod attendance;
pub mod codes;
pub mod date;
pub mod fee;
pub mod flag_text;
pub mod id_number;
pub mod level;
pub mod money;
pub mod payment;
pub mod plan;
pub mod regions;
pub mod roster;
pub mod score;
pub mod seating;
pub mod session;
pub mod site;
pub mod staff;
pub mod staff_assign;
pub mod text;
pub mod violation;

/// A problem with one input row, found by a rule that looks at several rows. `column` is the
/// schema key of the column to point at (the io layer turns it into a cell reference).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowProblem {
    /// Index of the row in the slice that was checked.
    pub row: usize,
    pub column: &'static str,
    pub message: String,
}

impl RowProblem {
    pub fn new(row: usize, column: &'static str, message: impl Into<String>) -> Self {
        RowProblem {
            row,
            column,
            message: message.into(),
        }
    }
}
