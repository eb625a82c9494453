//! The `admin.users.session.*` methods, one file each.

pub mod invalidate;
pub mod reset;
