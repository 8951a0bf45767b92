//! Integration tests of skyfit-core: one binary (`tests/it`), one module per concern.

mod architecture;
