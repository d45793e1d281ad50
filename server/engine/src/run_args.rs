//! runArgs parsing (in progress).
