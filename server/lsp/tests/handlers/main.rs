//! Handler tests, in process. Each case is a readable text with `█` at the cursor.

mod support;

mod actions;
mod completion;
mod diagnostics;
mod features;
mod hover;
mod links;
mod robustness;
mod symbols;
mod transport;
