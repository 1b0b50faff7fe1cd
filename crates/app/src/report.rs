//! Transparency reports (`rightsgate/report/v1`): computed from the ledger's leaves, published through one
//! disclosure control, rendered as JSON, CSV and HTML, and verified against the ledger.
