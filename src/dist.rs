//! Laying out a release: the packaging side of the naming in [`crate::release`].
//!
//! (Being written: see issue 6.)
