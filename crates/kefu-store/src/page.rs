//! Paging of lists.

/// A page of a list: at most `limit` items from `offset` on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub limit: u32,
    pub offset: u32,
}

impl Page {
    /// Everything (the exports and the views of one record or conversation).
    pub const ALL: Page = Page { limit: u32::MAX, offset: 0 };
}

/// One page of a list and how many items the whole list has.
#[derive(Debug, Clone)]
pub struct Paged<T> {
    pub total: u64,
    pub items: Vec<T>,
}
