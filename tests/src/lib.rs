//! End-to-end tests of hanse nodes; the tests live in `tests/`. This library is empty on
//! purpose: the crate exists to hold test binaries that drive real nodes.
