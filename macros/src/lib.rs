//! The `#[conditional]` attribute of `axum-conditional`. Depend on `axum-conditional`, which
//! re-exports it; this crate holds only the syntax rewrite.

use proc_macro::TokenStream;

/// Placeholder until the attribute lands: returns the item unchanged.
#[proc_macro_attribute]
pub fn conditional(_args: TokenStream, item: TokenStream) -> TokenStream {
    item
}
