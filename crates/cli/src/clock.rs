//! The one place the command line reads the clock; everything below it takes "now" as a parameter.

/// The current time, in UTC.
pub(crate) fn now() -> time::OffsetDateTime {
    time::OffsetDateTime::now_utc()
}
