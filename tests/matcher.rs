//! Integration tests: matcher.
