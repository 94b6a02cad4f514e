//! Integration tests of scf-rs live in `tests/tests/`; this library holds what they share.
