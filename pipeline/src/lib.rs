//! Baseline: the national cyber compliance reporting pipeline.
//!
//! The stages are the architecture: [`ingest`] reads a landing zone, [`validate`] judges each
//! file against the [`contract`], [`assess`] measures every organisation against the standards
//! in force, [`aggregate`] sums the gaps across the sector, and [`run`] drives one period's
//! batch end to end, writing [`tables`] and a [`manifest`] and [`publish`]ing atomically. The
//! [`cli`] is glue that turns flags into a validated configuration and calls the stages.

pub mod aggregate;
pub mod assess;
pub mod cli;
pub mod contract;
pub mod contract_doc;
pub mod crash;
pub mod digest;
pub mod format;
pub mod generate;
pub mod hostile;
pub mod ingest;
pub mod manifest;
pub mod output;
pub mod period;
pub mod publish;
pub mod report;
pub mod run;
pub mod serve;
pub mod storage;
pub mod table;
pub mod tables;
pub mod template;
pub mod text;
pub mod validate;
