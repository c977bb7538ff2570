//! The one place mistakes are collected, from parsing the arguments to checking the function
//! against them, so that every mistake is reported at once and in the order it was found.

use std::cell::RefCell;
use std::fmt::Display;

use proc_macro2::Span;
use quote::ToTokens;

/// The mistakes found so far.
///
/// Parsing and checking record into it by shared reference and go on; the pipeline ends it
/// with [`Ctxt::check`], which gives back every mistake combined into one `syn::Error`. A context
/// dropped without `check` panics (in debug and release builds alike): an error recorded and
/// then forgotten would let a wrong handler compile, so a path that forgets to check is a bug
/// the tests should find, not a silent one.
pub(crate) struct Ctxt {
    /// In the order recorded, which is source order: arguments, then the function.
    errors: RefCell<Vec<syn::Error>>,
    checked: bool,
}

impl Ctxt {
    pub(crate) fn new() -> Self {
        Ctxt {
            errors: RefCell::new(Vec::new()),
            checked: false,
        }
    }

    /// Records a mistake at `span`.
    pub(crate) fn error_at(&self, span: Span, message: impl Display) {
        self.syn_error(syn::Error::new(span, message));
    }

    /// Records a mistake spanning the tokens of `tokens`.
    pub(crate) fn error_spanned_by(&self, tokens: impl ToTokens, message: impl Display) {
        self.syn_error(syn::Error::new_spanned(tokens.into_token_stream(), message));
    }

    /// Records an error as it is, typically a syntax error from `syn`.
    pub(crate) fn syn_error(&self, error: syn::Error) {
        self.errors.borrow_mut().push(error);
    }

    /// How many mistakes were recorded so far: a stage compares it before and after to know
    /// whether its own input was wrong.
    pub(crate) fn error_count(&self) -> usize {
        self.errors.borrow().len()
    }

    /// Ends the context: `Err` with every mistake recorded, in order, or `Ok` when none was.
    pub(crate) fn check(mut self) -> syn::Result<()> {
        self.checked = true;
        self.errors
            .take()
            .into_iter()
            .reduce(|mut all, next| {
                all.combine(next);
                all
            })
            .map_or(Ok(()), Err)
    }
}

impl Drop for Ctxt {
    fn drop(&mut self) {
        // While unwinding from another panic, a second one would abort and hide the first.
        if !self.checked && !std::thread::panicking() {
            panic!("a `Ctxt` was dropped without `check`: its errors would be lost");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn messages(error: syn::Error) -> Vec<String> {
        error.into_iter().map(|e| e.to_string()).collect()
    }

    #[test]
    #[should_panic(expected = "dropped without `check`")]
    fn dropped_unchecked_with_errors_panics() {
        let cx = Ctxt::new();
        cx.error_at(Span::call_site(), "lost");
    }

    #[test]
    #[should_panic(expected = "dropped without `check`")]
    fn dropped_unchecked_without_errors_panics_too() {
        // The check is what is enforced, not the presence of errors: a path that forgets it
        // is found by any test that goes through it.
        let _cx = Ctxt::new();
    }

    #[test]
    fn check_without_errors_is_ok() {
        assert!(Ctxt::new().check().is_ok());
    }

    #[test]
    fn check_gives_every_error_in_the_order_recorded() {
        let cx = Ctxt::new();
        cx.error_at(Span::call_site(), "first");
        cx.error_spanned_by(quote::quote!(a b), "second");
        cx.syn_error(syn::Error::new(Span::call_site(), "third"));
        assert_eq!(cx.error_count(), 3);
        let error = cx.check().expect_err("three errors were recorded");
        assert_eq!(messages(error), ["first", "second", "third"]);
    }
}
