//! waymark: a static site generator for learning roadmaps.
//!
//! The data flows one way: [`source`] loads files, [`resolve`] checks them
//! and builds the immutable [`model`], [`render`] turns it into files, and
//! [`output`] writes them. [`build`] strings the steps together for the
//! commands in [`cli`]. [`external`], for `check --external`, is the only
//! part that uses the network.

pub mod build;
mod cache_dir;
pub mod cli;
pub mod diag;
pub mod external;
pub mod handouts;
pub mod init;
pub mod linkcheck;
pub mod markdown;
pub mod model;
pub mod output;
pub mod render;
pub mod resolve;
pub mod serve;
pub mod source;

#[cfg(test)]
mod properties;
