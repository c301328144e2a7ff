//! The pipeline, one module per stage, in the order data flows:
//! config → load → resolve (+ privacy, lint) → bodies → render (+ feeds, search) → linkcheck →
//! output, with the build cache beside render. `build` drives them.

pub mod bodies;
pub mod cache;
pub mod config;
pub mod feeds;
pub mod finder;
pub mod inputs;
pub mod linkcheck;
pub mod lint;
pub mod load;
pub mod output;
pub mod privacy;
pub mod render;
pub mod resolve;
pub mod search;
