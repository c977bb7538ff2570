//! `#[tracing::instrument]` placed after `#[conditional]`: it wraps the rewritten handler, so
//! every request gets a span, 304s and 412s included. Two things of the rewrite would break it,
//! and are adapted here: the last argument is no longer a parameter (so `skip` must not name
//! it), and `err` needs the output to be a `Result`.

use quote::quote;
use syn::punctuated::Punctuated;
use syn::{Attribute, Ident, Meta, Token};

/// The outer attributes with every `instrument` adapted to the rewritten handler: `skip` no
/// longer names the last argument's bindings.
pub(crate) fn adapt(attrs: &[Attribute], last_bindings: &[Ident]) -> Vec<Attribute> {
    attrs
        .iter()
        .map(|attr| {
            let Some(args) = instrument_args(attr) else {
                return attr.clone();
            };
            let args: Vec<Meta> = args
                .into_iter()
                .filter_map(|arg| without_last(arg, last_bindings))
                .collect();
            let mut attr = attr.clone();
            if let Meta::List(list) = &mut attr.meta {
                list.tokens = quote!(#(#args),*);
            }
            attr
        })
        .collect()
}

/// Whether an `instrument` among `attrs` records errors (`err`), in which case the rewritten
/// handler returns a `Result`.
pub(crate) fn records_errors(attrs: &[Attribute]) -> bool {
    attrs
        .iter()
        .filter_map(instrument_args)
        .any(|args| args.iter().any(|arg| arg.path().is_ident("err")))
}

/// The arguments of an `instrument` attribute with a list that parses; `None` for any other
/// attribute, and for one whose syntax is not ours to judge (`instrument` reports its own
/// syntax errors).
fn instrument_args(attr: &Attribute) -> Option<Punctuated<Meta, Token![,]>> {
    if !is_instrument(attr) {
        return None;
    }
    let Meta::List(list) = &attr.meta else {
        return None;
    };
    list.parse_args_with(Punctuated::<Meta, Token![,]>::parse_terminated)
        .ok()
}

/// `#[instrument]`, `#[tracing::instrument]`, `#[::tracing::instrument]`.
fn is_instrument(attr: &Attribute) -> bool {
    attr.path()
        .segments
        .last()
        .is_some_and(|segment| segment.ident == "instrument")
}

/// `skip(…)` without the last argument's bindings, which are not parameters of the rewritten
/// handler (`instrument` rejects a `skip` of a parameter that does not exist); `None` when
/// nothing is left to skip.
fn without_last(arg: Meta, last_bindings: &[Ident]) -> Option<Meta> {
    let Meta::List(list) = &arg else {
        return Some(arg);
    };
    if !list.path.is_ident("skip") {
        return Some(arg);
    }
    let Ok(names) = list.parse_args_with(Punctuated::<Ident, Token![,]>::parse_terminated) else {
        return Some(arg);
    };
    let kept: Vec<&Ident> = names
        .iter()
        .filter(|name| !last_bindings.contains(name))
        .collect();
    if kept.is_empty() {
        return None;
    }
    let mut list = list.clone();
    list.tokens = quote!(#(#kept),*);
    Some(Meta::List(list))
}

/// The tokens of an attribute list, for tests.
#[cfg(test)]
fn tokens_of(attr: &Attribute) -> String {
    match &attr.meta {
        Meta::List(list) => list.tokens.to_string(),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use syn::parse_quote;

    use super::*;

    fn adapted(attr: Attribute, last: &[&str]) -> (String, bool) {
        let last: Vec<Ident> = last
            .iter()
            .map(|name| Ident::new(name, proc_macro2::Span::call_site()))
            .collect();
        let attrs = [attr];
        let err = records_errors(&attrs);
        (tokens_of(&adapt(&attrs, &last)[0]), err)
    }

    #[test]
    fn err_is_detected_in_every_spelling() {
        assert!(adapted(parse_quote!(#[tracing::instrument(err)]), &[]).1);
        assert!(adapted(parse_quote!(#[instrument(level = "info", err(Debug))]), &[]).1);
        assert!(!adapted(parse_quote!(#[tracing::instrument(ret)]), &[]).1);
        assert!(!adapted(parse_quote!(#[allow(err)]), &[]).1);
    }

    #[test]
    fn skip_loses_the_last_arguments_bindings_only() {
        let attr: Attribute = parse_quote!(#[instrument(skip(state, doc), ret)]);
        assert_eq!(adapted(attr, &["doc"]).0, "skip (state) , ret");
        let attr: Attribute = parse_quote!(#[instrument(skip(doc), err)]);
        assert_eq!(adapted(attr, &["doc"]), ("err".to_owned(), true));
        let attr: Attribute = parse_quote!(#[instrument(fields(doc = 1))]);
        assert_eq!(adapted(attr, &["doc"]).0, "fields (doc = 1)");
    }
}
