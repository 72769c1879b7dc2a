//! One page of a list (`List_AccountView`, `List_DeliveryView`, …): its items
//! and the cursor of the next page.

use serde::{Deserialize, Serialize};

/// One page of a list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    /// The items, in the list's order.
    pub data: Vec<T>,
    /// The cursor of the next page (the id of this page's last item), or
    /// `None` when this page is the last.
    #[serde(default)]
    pub next_cursor: Option<String>,
}
