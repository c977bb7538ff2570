//! The `#[conditional]` attribute of `axum-conditional`. Depend on `axum-conditional`, which
//! re-exports it; this crate holds only the syntax rewrite.

use proc_macro::TokenStream;

mod args;
mod check;
mod ctxt;
mod expand;
mod handler;
mod instrument;
mod model;
// Compiled (and unit-tested) without the feature too; only `conditional` reads the feature.
mod openapi;
mod scan;
#[cfg(test)]
mod snapshots;

// One pipeline, one direction: parse (`args`, `handler`, with `scan` and `instrument` reading
// what the tokens say) → model (`model`: what follows from the two together) → check (`check`,
// which reads the model and records mistakes) → expand (`expand`, and `openapi` for utoipa),
// which reads the model and generates code. One `ctxt::Ctxt` collects the mistakes of parse and
// check in source order. On any mistake the macro emits the errors *and* the function as
// written, so the user sees the real error and not a cascade about a missing handler.
// macros/tests/modules.rs checks that no module imports one of a later stage.

/// `#[conditional]` is defined in `axum-conditional-macros`, the syntax rewrite alone, and
/// documented in full where `axum-conditional` re-exports it:
/// [`axum_conditional::conditional`](https://docs.rs/axum-conditional/latest/axum_conditional/attr.conditional.html).
/// Depend on `axum-conditional`, whose code the rewritten handler calls.
#[proc_macro_attribute]
pub fn conditional(args: TokenStream, item: TokenStream) -> TokenStream {
    let utoipa = cfg!(feature = "utoipa");
    let output = rewrite(args.into(), item.into(), utoipa);
    if std::env::var_os("AXUM_CONDITIONAL_DEBUG").is_some_and(|v| !v.is_empty() && v != "0") {
        eprintln!("{output}");
    }
    output.into()
}

/// The whole pipeline, on tokens. With `utoipa` (the feature), a `#[utoipa::path]` below is
/// extended; a parameter rather than a `cfg` so that the tests pin both ways in one build.
fn rewrite(
    args: proc_macro2::TokenStream,
    item: proc_macro2::TokenStream,
    utoipa: bool,
) -> proc_macro2::TokenStream {
    let cx = ctxt::Ctxt::new();
    let args = args::parse(&cx, args);
    let mut model = match syn::parse2::<syn::Item>(item.clone()) {
        Ok(syn::Item::Fn(function)) => {
            let handler = handler::Handler::new(function);
            check::function(&cx, &handler);
            // Against wrong arguments (already reported), checks would report consequences.
            args.map(|args| {
                let model = model::Model::new(args, handler);
                check::against_args(&cx, &model);
                model
            })
        }
        Ok(other) => {
            cx.error_spanned_by(
                item_keyword(&other),
                "`#[conditional]` goes on an `async fn` axum handler, not on this item",
            );
            None
        }
        // The item does not parse: give it back as written and let the compiler report its
        // syntax error, plus any mistake in the arguments.
        Err(_) => {
            return match cx.check() {
                Ok(()) => item,
                Err(errors) => with_original(errors, item),
            };
        }
    };
    let documented = model.as_mut().filter(|_| utoipa).map(|model| {
        let route = openapi::Route::of(&model.args);
        let handler = &mut model.handler;
        openapi::document(&cx, route, &mut handler.outer_attrs, &handler.sig.ident)
    });
    match (cx.check(), model) {
        (Ok(()), Some(model)) => {
            let mut output = expand::expand(&model);
            output.extend(documented);
            output
        }
        (Err(errors), _) => with_original(errors, item),
        (Ok(()), None) => unreachable!("no model is made only after a mistake is recorded"),
    }
}

fn with_original(error: syn::Error, item: proc_macro2::TokenStream) -> proc_macro2::TokenStream {
    let mut output = error.to_compile_error();
    output.extend(item);
    output
}

/// The tokens to point at when the item is not a function: its keyword and name.
fn item_keyword(item: &syn::Item) -> proc_macro2::TokenStream {
    use quote::quote;
    match item {
        syn::Item::Struct(s) => {
            let (token, ident) = (&s.struct_token, &s.ident);
            quote!(#token #ident)
        }
        syn::Item::Enum(e) => {
            let (token, ident) = (&e.enum_token, &e.ident);
            quote!(#token #ident)
        }
        syn::Item::Impl(i) => {
            let token = &i.impl_token;
            quote!(#token)
        }
        syn::Item::Const(c) => {
            let (token, ident) = (&c.const_token, &c.ident);
            quote!(#token #ident)
        }
        syn::Item::Static(s) => {
            let (token, ident) = (&s.static_token, &s.ident);
            quote!(#token #ident)
        }
        syn::Item::Mod(m) => {
            let (token, ident) = (&m.mod_token, &m.ident);
            quote!(#token #ident)
        }
        syn::Item::Trait(t) => {
            let (token, ident) = (&t.trait_token, &t.ident);
            quote!(#token #ident)
        }
        other => quote::ToTokens::to_token_stream(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewrite_text(args: &str, item: &str) -> String {
        let parse = |text: &str| text.parse().expect("test input is valid tokens");
        rewrite(parse(args), parse(item), false).to_string()
    }

    /// Where `needle` is in `haystack`, failing the test when it is not.
    fn position(haystack: &str, needle: &str) -> usize {
        haystack
            .find(needle)
            .unwrap_or_else(|| panic!("`{needle}` is not in `{haystack}`"))
    }

    #[test]
    fn argument_mistakes_come_before_the_item_that_is_not_a_function() {
        let output = rewrite_text("etags = 1", "struct Handler;");
        let argument = position(&output, "unknown argument `etags`");
        let item = position(&output, "goes on an `async fn` axum handler");
        assert!(argument < item, "not in source order: {output}");
        assert!(
            output.ends_with("struct Handler ;"),
            "item not kept: {output}"
        );
    }

    #[test]
    fn argument_mistakes_come_before_the_function_mistakes() {
        let output = rewrite_text("require = yes", "fn handler() {}");
        let argument = position(&output, "`require` takes `true` or `false`");
        let function = position(&output, "needs an `async fn`");
        assert!(argument < function, "not in source order: {output}");
    }

    #[test]
    fn an_item_that_does_not_parse_is_given_back_as_written() {
        assert_eq!(
            rewrite_text("etag = tag", "fn broken -> {}"),
            "fn broken -> { }"
        );
    }

    #[test]
    fn an_item_that_does_not_parse_is_given_back_with_the_argument_mistakes() {
        let output = rewrite_text("etags = tag", "fn broken -> {}");
        position(&output, "unknown argument `etags`");
        assert!(
            output.ends_with("fn broken -> { }"),
            "item not kept: {output}"
        );
    }

    #[test]
    fn a_correct_handler_is_rewritten_without_errors() {
        let output = rewrite_text(
            "etag = tag()",
            "async fn handler() -> &'static str { \"\" }",
        );
        assert!(!output.contains("compile_error"), "errors: {output}");
        position(&output, "__private");
    }
}
