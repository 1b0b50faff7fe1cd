//! Tests of the assessment use case.
