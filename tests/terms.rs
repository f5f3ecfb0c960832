//! Integration tests: terms.
