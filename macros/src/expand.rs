//! Code generation: the rewritten handler.
//!
//! The shape, for `#[conditional(etag = E)] async fn f(a: A, last: L) -> R { … }`:
//!
//! ```text
//! async fn f(a: A, incoming: Incoming) -> ConditionalResponse<R> {    // `IncomingWith<T>` with a state
//!     let (mut parts, body, state) = incoming.split();
//!     // 1. The last argument, from the head now if its type allows (auth, tenant, `Path`…).
//!     let early = match <L as LastArgument<_, _>>::from_head(&mut parts, &state).await { … };
//!     // 2. The validators, in the order written (with `?`: in an async block whose error
//!     //    type is R's; with `?` or `.await`: an async block checked to be `Send`).
//!     let etag = etag(E);
//!     // 3. The route's policy and cache headers, built at compile time.
//!     let route = const { Route::new(require, weak_if_match, expose, cache_control, vary, ranges, strong_lm) };
//!     // 4. The preconditions: 304, 412, 428 answered here.
//!     let evaluation = match evaluate(&parts, resource(etag, None), &route) {
//!         Ok(evaluation) => evaluation,
//!         Err(response) => return refused(parts, body, response),
//!     };
//!     // 5. The last argument, from the whole request if it reads the body.
//!     let last: L = match <L as LastArgument<_, _>>::finish(early, parts, body, &state).await { … };
//!     let bind = &evaluation;                    // with `bind = …`
//!     // 6. The body as written, behind a fake return edge; then the response.
//!     let output = async move { if false { return fake_return::<R>(); } … }.await;
//!     ran(output, evaluation, route)
//! }
//! ```
//!
//! The rewritten handler has as many arguments as written (one when it had none), so
//! `#[axum::debug_handler]` placed before `#[conditional]` can call it as written.
//!
//! Locals the macro introduces are `Span::mixed_site()` identifiers, which user code cannot
//! name. Every call that checks a user's expression or type is spanned at that expression or
//! type, so that the compiler's errors point there.

use proc_macro2::{Delimiter, Group, Span, TokenStream, TokenTree};
use quote::{ToTokens, quote, quote_spanned};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{FnArg, Ident, PatType, ReturnType, Signature, Token, Type, parse_quote};

use crate::args::{Args, Validator, ValidatorKind};
use crate::handler::{self, Handler};
use crate::instrument;
use crate::model::{Last, Model};

/// The names of the locals the rewritten handler introduces; none can collide with a user's.
struct Locals {
    incoming: Ident,
    parts: Ident,
    body: Ident,
    state: Ident,
    early: Ident,
    /// The last argument's value, kept for the whole handler whatever its pattern.
    last: Ident,
    route: Ident,
    evaluation: Ident,
    output: Ident,
    value: Ident,
    error: Ident,
    etag: Ident,
    last_modified: Ident,
    exists: Ident,
    strong_last_modified: Ident,
    /// Whether the output is split into a `Result` for `#[tracing::instrument(err)]`.
    split: bool,
}

impl Locals {
    fn new(split: bool) -> Self {
        let local = |name: &str| Ident::new(name, Span::mixed_site());
        Locals {
            incoming: local("__conditional_incoming"),
            parts: local("__conditional_parts"),
            body: local("__conditional_body"),
            state: local("__conditional_state"),
            early: local("__conditional_early"),
            last: local("__conditional_last"),
            route: local("__conditional_route"),
            evaluation: local("__conditional_evaluation"),
            output: local("__conditional_output"),
            value: local("__conditional_value"),
            error: local("__conditional_error"),
            etag: local("__conditional_etag"),
            last_modified: local("__conditional_last_modified"),
            exists: local("__conditional_exists"),
            strong_last_modified: local("__conditional_strong_last_modified"),
            split,
        }
    }

    /// `return` of an answer given in place of the handler.
    fn answer(&self, call: TokenStream) -> TokenStream {
        if self.split {
            quote!(return ::core::result::Result::Ok(#call);)
        } else {
            quote!(return #call;)
        }
    }
}

/// The rewritten handler, for a model that passed the checks.
pub(crate) fn expand(model: &Model) -> TokenStream {
    let Model {
        args,
        handler,
        last,
        state,
    } = model;
    let last_bindings = handler
        .params
        .last()
        .map_or(&[][..], |param| &param.bindings[..]);
    let outer_attrs = instrument::adapt(&handler.outer_attrs, last_bindings);
    let locals = Locals::new(handler.records_errors);
    let sig = signature(handler, state.as_ref(), &locals);
    let last_param = handler.params.last().map(|param| &param.arg);
    let state_ty = match state {
        Some(ty) => ty.to_token_stream(),
        None => quote!(()),
    };
    let (before, after) = last_argument(last.as_ref(), last_param, &state_ty, &locals);
    let validators = validators(args, handler, &locals);
    let route = route(args);
    let evaluate = evaluate(args, &locals);
    let bind = args.bind.as_ref().map(|name| {
        let evaluation = &locals.evaluation;
        quote!(let #name: &::axum_conditional::__private::Evaluation = &#evaluation;)
    });
    let body = body(handler, &locals);

    let Locals {
        incoming,
        parts,
        body: request_body,
        state: state_local,
        route: route_local,
        ..
    } = &locals;
    let inner_attrs = &handler.inner_attrs;
    let vis = &handler.vis;
    quote! {
        #(#outer_attrs)*
        #vis #sig {
            #(#inner_attrs)*
            #[allow(unused_mut, unused_variables)]
            let (mut #parts, #request_body, #state_local) = #incoming.split();
            #before
            #(#validators)*
            let #route_local = const { #route };
            #evaluate
            #after
            #bind
            #body
        }
    }
}

/// The signature as written, with the last argument replaced by the rest of the request (or
/// the rest of the request added, when there is no argument) and the output wrapped.
fn signature(handler: &Handler, state: Option<&Type>, locals: &Locals) -> Signature {
    let output_ty = handler.output();
    let output_span = output_span(handler);
    let mut sig = handler.sig.clone();
    let kept = handler.params.len().saturating_sub(1);
    let mut inputs: Punctuated<FnArg, Token![,]> = Punctuated::new();
    for param in &handler.params[..kept] {
        inputs.push(FnArg::Typed(param.arg.clone()));
    }
    let incoming = &locals.incoming;
    inputs.push(match state {
        Some(ty) => {
            parse_quote!(#incoming: ::axum_conditional::__private::IncomingWith<#ty>)
        }
        None => parse_quote!(#incoming: ::axum_conditional::__private::Incoming),
    });
    sig.inputs = inputs;
    sig.output = if locals.split {
        let (ok, err) = split_result(&output_ty);
        syn::parse_quote_spanned!(output_span=>
            -> ::core::result::Result<::axum_conditional::__private::ConditionalResponse<#ok>, #err>
        )
    } else {
        syn::parse_quote_spanned!(output_span=>
            -> ::axum_conditional::__private::ConditionalResponse<#output_ty>
        )
    };
    sig
}

/// The success and error types of a handler's `Result`: read off `Result<T, E>` as written
/// (so that `T` may be `impl Trait`), or else projected through `HandlerResult` (an alias such
/// as `ApiResult<T>`; one with an `impl Trait` inside is refused by `check`).
fn split_result(output: &Type) -> (TokenStream, TokenStream) {
    if let Some((ok, err)) = handler::result_parts(output) {
        return (ok.to_token_stream(), err.to_token_stream());
    }
    let span = output.span();
    (
        quote_spanned!(span=> <#output as ::axum_conditional::__private::HandlerResult>::Ok),
        quote_spanned!(span=> <#output as ::axum_conditional::__private::HandlerResult>::Err),
    )
}

fn output_span(handler: &Handler) -> Span {
    match &handler.sig.output {
        ReturnType::Default => Span::call_site(),
        ReturnType::Type(_, ty) => ty.span(),
    }
}

/// The extraction of the last argument: what runs before the validators, and what runs after
/// the preconditions passed.
fn last_argument(
    last: Option<&Last>,
    param: Option<&PatType>,
    state_ty: &TokenStream,
    locals: &Locals,
) -> (TokenStream, TokenStream) {
    let Locals {
        parts,
        body,
        state,
        early,
        last: last_value,
        value,
        error,
        ..
    } = locals;
    let answer = locals.answer(quote!(::axum_conditional::__private::answered(#error)));
    let on_error = quote! {
        ::core::result::Result::Ok(#value) => #value,
        ::core::result::Result::Err(#error) => {
            #answer
        }
    };
    let (Some(last), Some(PatType { pat, ty, .. })) = (last, param) else {
        // No argument: the body is never read.
        return (TokenStream::new(), quote!(::core::mem::drop(#body);));
    };
    match last {
        Last::Head { .. } => {
            // Bound to a local first: the value lives to the end of the handler, as an argument
            // does, even when the pattern is `_` (a guard extractor must not be dropped early).
            let before = quote_spanned! {ty.span()=>
                let #last_value: #ty = match ::axum_conditional::__private::head_argument::<
                    #ty,
                    #state_ty,
                    _,
                >(&mut #parts, &#state)
                .await
                {
                    #on_error
                };
                let #pat = #last_value;
            };
            (before, quote!(::core::mem::drop(#body);))
        }
        Last::ByType => {
            let before = quote_spanned! {ty.span()=>
                let #early = match <#ty as ::axum_conditional::__private::LastArgument<
                    #state_ty,
                    _,
                >>::from_head(&mut #parts, &#state)
                .await
                {
                    #on_error
                };
            };
            let after = quote_spanned! {ty.span()=>
                let #last_value: #ty = match <#ty as ::axum_conditional::__private::LastArgument<
                    #state_ty,
                    _,
                >>::finish(#early, #parts, #body, &#state)
                .await
                {
                    #on_error
                };
                let #pat = #last_value;
            };
            (before, after)
        }
    }
}

/// The validators, in the order written, each converted to its `Option`.
fn validators(args: &Args, handler: &Handler, locals: &Locals) -> Vec<TokenStream> {
    let error_carrier = handler.error_carrier();
    args.validators
        .iter()
        .map(|validator| validator_step(validator, &error_carrier, locals))
        .collect()
}

fn validator_step(validator: &Validator, error_carrier: &Type, locals: &Locals) -> TokenStream {
    let Locals {
        parts,
        body,
        value,
        error,
        ..
    } = locals;
    let expr = &validator.expr;
    let span = expr.span();
    let (name, converted) = match validator.kind {
        ValidatorKind::ETag => (
            &locals.etag,
            quote_spanned!(span=> ::axum_conditional::__private::etag(#expr)),
        ),
        ValidatorKind::LastModified => (
            &locals.last_modified,
            quote_spanned!(span=> ::axum_conditional::__private::last_modified(#expr)),
        ),
        ValidatorKind::Exists => (
            &locals.exists,
            quote_spanned!(span=> ::axum_conditional::__private::exists(#expr)),
        ),
        ValidatorKind::StrongLastModified => (
            &locals.strong_last_modified,
            quote_spanned!(span=> ::axum_conditional::__private::strong_last_modified(#expr)),
        ),
    };
    let Some(question) = validator.uses.questions.first() else {
        if !validator.uses.awaits {
            return quote!(let #name = #converted;);
        }
        let checked = send_checked(expr, quote_spanned!(span=> async { #converted }));
        return quote!(let #name = #checked.await;);
    };
    // `?` converts into the handler's error type, read off the return type. The return type is
    // named, and moved to the `?` (its names still resolve where they were written), so that
    // the error for a handler that does not return a `Result` is at the user's `?`.
    let output = relocate(error_carrier.to_token_stream(), *question);
    let fake_error = quote_spanned! {*question=>
        if false {
            return ::axum_conditional::__private::fallible::<#output, _, _>();
        }
    };
    // Split for `instrument(err)`, the error is the handler's own `Err`, recorded as such.
    let on_error = if locals.split {
        quote!(return ::core::result::Result::Err(#error);)
    } else {
        quote!(return ::axum_conditional::__private::failed(#parts, #body, #error);)
    };
    let checked = send_checked(
        expr,
        quote_spanned!(span=> async {
            #fake_error
            ::core::result::Result::Ok(#converted)
        }),
    );
    quote! {
        let #name = match #checked
        .await
        {
            ::core::result::Result::Ok(#value) => #value,
            ::core::result::Result::Err(#error) => {
                #on_error
            }
        };
    }
}

/// A validator that awaits or uses `?` runs as a future of its own, checked to be `Send` where
/// it is written: otherwise a non-`Send` value held across its `.await` is reported by axum's
/// `Handler` bound, at the route, about a signature the user never wrote. The call spans the
/// expression from its first token to its last, so that the error covers all of it.
fn send_checked(expr: &syn::Expr, future: TokenStream) -> TokenStream {
    let mut tokens = expr.to_token_stream().into_iter();
    let first = tokens
        .next()
        .map_or_else(Span::call_site, |token| token.span());
    let last = tokens.last().map_or(first, |token| token.span());
    let mut arguments = Group::new(Delimiter::Parenthesis, future);
    arguments.set_span(last);
    quote_spanned!(first=> ::axum_conditional::__private::send_validator #arguments)
}

/// The route's policy and cache headers, as a `const` expression.
fn route(args: &Args) -> TokenStream {
    let require = args.require.value;
    let weak_if_match = args.weak_if_match.value;
    let expose_validators = args.expose_validators.value;
    let text = |text: &Option<syn::LitStr>| match text {
        Some(text) => quote!(::core::option::Option::Some(#text)),
        None => quote!(::core::option::Option::None),
    };
    let cache_control = text(&args.cache_control);
    let vary = text(&args.vary);
    let ranges = args.ranges.value;
    let strong_last_modified = args.strong_last_modified.value;
    // Only when written: unwritten, each method keeps its default (`Policy::creates`).
    let creates = args
        .creates
        .as_ref()
        .map(|creates| quote!(.creates(#creates)));
    quote! {
        ::axum_conditional::__private::Route::new(
            #require,
            #weak_if_match,
            #expose_validators,
            #cache_control,
            #vary,
            #ranges,
            #strong_last_modified,
        ) #creates
    }
}

/// The evaluation of the preconditions, answering 304, 412 or 428 in place of the handler.
fn evaluate(args: &Args, locals: &Locals) -> TokenStream {
    let Locals {
        parts,
        body,
        route,
        evaluation,
        value,
        error,
        ..
    } = locals;
    let given = |kind: ValidatorKind, name: &Ident| match args.validator(kind) {
        Some(_) => name.to_token_stream(),
        None => quote!(::core::option::Option::None),
    };
    let etag = given(ValidatorKind::ETag, &locals.etag);
    let last_modified = given(ValidatorKind::LastModified, &locals.last_modified);
    // Without `exists`, no validator at all means no resource.
    let resource = match args.validator(ValidatorKind::Exists) {
        Some(_) => {
            let exists = &locals.exists;
            quote!(::axum_conditional::__private::resource_that(#exists, #etag, #last_modified))
        }
        None => quote!(::axum_conditional::__private::resource(#etag, #last_modified)),
    };
    // `strong_last_modified = EXPR`: the store's knowledge of this resource's date.
    let resource = match args.validator(ValidatorKind::StrongLastModified) {
        Some(_) => {
            let strong = &locals.strong_last_modified;
            quote!(::axum_conditional::__private::with_strength(#resource, #strong))
        }
        None => resource,
    };
    // `already_applied = CHECK` runs only here, on a refusal, with the request content.
    let refused = match &args.already_applied {
        Some(check) => locals.answer(quote!(
            ::axum_conditional::__private::refused_unless(#parts, #body, #error, #check).await
        )),
        None => locals.answer(quote!(
            ::axum_conditional::__private::refused(#parts, #body, #error)
        )),
    };
    quote! {
        let #evaluation = match ::axum_conditional::__private::evaluate(
            &#parts,
            #resource,
            &#route,
        ) {
            ::core::result::Result::Ok(#value) => #value,
            ::core::result::Result::Err(#error) => {
                #refused
            }
        };
    }
}

/// The body as written, behind a fake return edge that types it by the return type so that
/// `?`, `return` and `impl Trait` inside it keep working; then the finished response.
fn body(handler: &Handler, locals: &Locals) -> TokenStream {
    let Locals {
        output,
        evaluation,
        route,
        ..
    } = locals;
    let erased_ty = handler.erased_output();
    let fake_return = quote_spanned!(output_span(handler)=>
        ::axum_conditional::__private::fake_return::<#erased_ty>()
    );
    let stmts = &handler.stmts;
    let ran = if locals.split {
        quote!(::axum_conditional::__private::ran_result(#output, #evaluation, #route))
    } else {
        quote!(::axum_conditional::__private::ran(#output, #evaluation, #route))
    };
    quote! {
        let #output = async move {
            if false {
                return #fake_return;
            }
            #(#stmts)*
        }
        .await;
        #ran
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
