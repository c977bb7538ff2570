//! Code generation: the rewritten handler.
//!
//! The shape, for `#[conditional(etag = E)] async fn f(a: A, body: B) -> R { … }`:
//!
//! ```text
//! async fn f(a: A, request: Request) -> Conditional<R> {
//!     let etag = etag(E);              // with `?`: in an async block whose error type is R's
//!     let route = const { Route::new(require, weak_if_match, expose, cache_control, vary) };
//!     let evaluation = match evaluate(&request, resource(etag, None), &route) {
//!         Ok(evaluation) => evaluation,
//!         Err(response) => return answered(response),   // 304, 412, 428
//!     };
//!     let body: B = match <B as DeferredExtractor<(), _>>::extract(request, &()).await { … };
//!     let bind = &evaluation;                    // with `bind = …`
//!     let output = async move { if false { return fake_return::<R>(); } … }.await;
//!     ran(output, evaluation, route)
//! }
//! ```
//!
//! Locals the macro introduces are `Span::mixed_site()` identifiers, which user code cannot
//! name. Every call that checks a user's expression or type is spanned at that expression or
//! type, so that the compiler's errors point there.

use proc_macro2::{Group, Span, TokenStream, TokenTree};
use quote::{ToTokens, quote, quote_spanned};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{FnArg, Ident, PatType, ReturnType, Token, parse_quote, parse_quote_spanned};

use crate::args::ValidatorKind;
use crate::validate::Plan;

pub(crate) fn expand(plan: Plan) -> TokenStream {
    let Plan {
        args,
        handler,
        deferred,
        questions,
    } = plan;
    let local = |name: &str| Ident::new(name, Span::mixed_site());
    let request = local("__conditional_request");
    let route = local("__conditional_route");
    let evaluation = local("__conditional_evaluation");
    let output = local("__conditional_output");
    let state = local("__conditional_state");
    let value = local("__conditional_value");
    let error = local("__conditional_error");
    let etag = local("__conditional_etag");
    let last_modified = local("__conditional_last_modified");

    // The signature: the deferred argument becomes a local; the request (and the state a
    // deferred extractor needs) become arguments; the output is wrapped.
    let output_ty = handler.output();
    let erased_ty = handler.erased_output();
    let error_carrier = handler.error_carrier();
    let output_span = match &handler.sig.output {
        ReturnType::Default => Span::call_site(),
        ReturnType::Type(_, ty) => ty.span(),
    };
    let mut sig = handler.sig.clone();
    let mut inputs: Punctuated<FnArg, Token![,]> = Punctuated::new();
    for (index, param) in handler.params.iter().enumerate() {
        if Some(index) != deferred {
            inputs.push(FnArg::Typed(param.arg.clone()));
        }
    }
    let state_arg = args.state.as_ref().filter(|_| deferred.is_some());
    if let Some(ty) = state_arg {
        inputs.push(parse_quote_spanned!(ty.span()=>
            #state: ::axum_conditional::__private::State<#ty>
        ));
    }
    inputs.push(parse_quote!(#request: ::axum_conditional::__private::Request));
    sig.inputs = inputs;
    sig.output = parse_quote_spanned!(output_span=>
        -> ::axum_conditional::__private::Conditional<#output_ty>
    );

    // Step 2: the validators, in the order written.
    let validators = args
        .validators
        .iter()
        .zip(&questions)
        .map(|(validator, questions)| {
            let expr = &validator.expr;
            let span = expr.span();
            let (name, converted) = match validator.kind {
                ValidatorKind::ETag => (
                    &etag,
                    quote_spanned!(span=> ::axum_conditional::__private::etag(#expr)),
                ),
                ValidatorKind::LastModified => (
                    &last_modified,
                    quote_spanned!(span=> ::axum_conditional::__private::last_modified(#expr)),
                ),
            };
            match questions.first() {
                None => quote!(let #name = #converted;),
                Some(question) => {
                    // `?` converts into the handler's error type, read off the return type.
                    // The return type is named, and moved to the `?` (its names still resolve
                    // where they were written), so that the error for a handler that does not
                    // return a `Result` is at the user's `?`.
                    let output = relocate(error_carrier.to_token_stream(), *question);
                    let fake_error = quote_spanned! {*question=>
                        if false {
                            return ::axum_conditional::__private::fallible::<#output, _, _>();
                        }
                    };
                    quote! {
                        let #name = match async {
                            #fake_error
                            ::core::result::Result::Ok(#converted)
                        }
                        .await
                        {
                            ::core::result::Result::Ok(#value) => #value,
                            ::core::result::Result::Err(#error) => {
                                return ::axum_conditional::__private::failed(#request, #error);
                            }
                        };
                    }
                }
            }
        });
    let given = |kind: ValidatorKind, name: &Ident| match args.validator(kind) {
        Some(_) => name.to_token_stream(),
        None => quote!(::core::option::Option::None),
    };
    let etag_value = given(ValidatorKind::ETag, &etag);
    let last_modified_value = given(ValidatorKind::LastModified, &last_modified);

    // Step 3: the route's policy and cache headers, built at compile time.
    let flag = |flag: &Option<syn::LitBool>| flag.as_ref().is_some_and(|f| f.value);
    let require = flag(&args.require);
    let weak_if_match = flag(&args.weak_if_match);
    // Validators are shown on 412s unless the route says otherwise.
    let expose_validators = args.expose_validators.as_ref().is_none_or(|f| f.value);
    let text = |text: &Option<syn::LitStr>| match text {
        Some(text) => quote!(::core::option::Option::Some(#text)),
        None => quote!(::core::option::Option::None),
    };
    let cache_control = text(&args.cache_control);
    let vary = text(&args.vary);

    // Step 4: the deferred extractor.
    let extract = match deferred {
        Some(index) => {
            let PatType { pat, ty, .. } = &handler.params[index].arg;
            let (state_ty, state_ref) = match state_arg {
                Some(state_ty) => (state_ty.to_token_stream(), quote!(&#state.0)),
                None => (quote!(()), quote!(&())),
            };
            quote_spanned! {ty.span()=>
                let #pat: #ty = match <#ty as ::axum_conditional::__private::DeferredExtractor<
                    #state_ty,
                    _,
                >>::extract(#request, #state_ref)
                .await
                {
                    ::core::result::Result::Ok(#value) => #value,
                    ::core::result::Result::Err(#error) => {
                        return ::axum_conditional::__private::answered(#error);
                    }
                };
            }
        }
        None => quote!(::core::mem::drop(#request);),
    };
    let bind = args
        .bind
        .as_ref()
        .map(|name| quote!(let #name: &::axum_conditional::__private::Evaluation = &#evaluation;));

    // Step 5: the body as written, behind a fake return edge that types it by the return type
    // so that `?`, `return` and `impl Trait` inside it keep working.
    let fake_return = quote_spanned!(output_span=>
        ::axum_conditional::__private::fake_return::<#erased_ty>()
    );
    let stmts = &handler.stmts;
    let outer_attrs = &handler.outer_attrs;
    let inner_attrs = &handler.inner_attrs;
    let vis = &handler.vis;

    quote! {
        #(#outer_attrs)*
        #vis #sig {
            #(#inner_attrs)*
            #(#validators)*
            let #route = const {
                ::axum_conditional::__private::Route::new(
                    #require,
                    #weak_if_match,
                    #expose_validators,
                    #cache_control,
                    #vary,
                )
            };
            let #evaluation = match ::axum_conditional::__private::evaluate(
                &#request,
                ::axum_conditional::__private::resource(#etag_value, #last_modified_value),
                &#route,
            ) {
                ::core::result::Result::Ok(#value) => #value,
                ::core::result::Result::Err(#error) => {
                    return ::axum_conditional::__private::refused(#request, #error);
                }
            };
            #extract
            #bind
            let #output = async move {
                if false {
                    return #fake_return;
                }
                #(#stmts)*
            }
            .await;
            ::axum_conditional::__private::ran(#output, #evaluation, #route)
        }
    }
}

/// `tokens` shown at `location`, each still resolving names where it was written.
fn relocate(tokens: TokenStream, location: Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|mut token| {
            if let TokenTree::Group(group) = &token {
                let mut moved = Group::new(group.delimiter(), relocate(group.stream(), location));
                moved.set_span(group.span().located_at(location));
                return TokenTree::Group(moved);
            }
            token.set_span(token.span().located_at(location));
            token
        })
        .collect()
}
