//! Test-only crate: the suite is in `tests/`.
