//! Checks of the arguments against the function, and the decisions the expansion follows.
//! Every mistake found is recorded in the pipeline's [`Ctxt`], after those of the arguments.

use proc_macro2::Span;
use quote::ToTokens;
use syn::Type;
use syn::spanned::Spanned;

use crate::args::{Args, Key, ValidatorKind};
use crate::ctxt::Ctxt;
use crate::handler::Handler;
use crate::scan::Uses;
use crate::{expand, instrument};

/// axum implements `Handler` for functions of up to 16 extractor arguments.
const MAX_ARGUMENTS: usize = 16;

/// A handler the expansion can rewrite.
pub(crate) struct Plan {
    pub(crate) args: Args,
    pub(crate) handler: Handler,
    /// How the handler's last argument is extracted: it is the one argument the rewritten
    /// handler extracts itself, in place of which axum passes the rest of the request. `None`
    /// when the handler has no argument.
    pub(crate) last: Option<Last>,
    /// The state the last argument is extracted with; `None` for `()`.
    pub(crate) state: Option<Type>,
    /// For each validator of `args.validators`, the `?` operators that apply to it.
    pub(crate) questions: Vec<Vec<Span>>,
    /// For each validator of `args.validators`, whether it `.await`s, and so may hold a value
    /// across an await point: such a validator (like one with `?`) runs as a future of its
    /// own, checked to be `Send` where it is written.
    pub(crate) awaits: Vec<bool>,
}

/// How the last argument is extracted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Last {
    /// From the head before the validators when its type allows, otherwise from the whole
    /// request once the preconditions passed: decided by the type system.
    ByType,
    /// A validator uses it, so it must come from the head, before the validators.
    Head,
}

/// Checks the function, and the arguments against it, recording every mistake in `cx`. `args`
/// is `None` when they were wrong (already recorded): then only the function itself is
/// checked, as checks against wrong arguments would report their consequences, and no plan is
/// made. The plan is meant to be expanded only if `cx` ends without error.
///
/// The checks run in source order as far as they can: the signature, then the validators
/// against the arguments, then the arguments as a whole.
pub(crate) fn validate(cx: &Ctxt, args: Option<Args>, handler: Handler) -> Option<Plan> {
    check_signature(cx, &handler);
    let args = args?;
    check_has_validator(cx, &args);
    check_strong_last_modified_has_a_date(cx, &args);
    let uses: Vec<Uses> = args.validators.iter().map(|v| Uses::of(&v.expr)).collect();
    let last = last_argument(cx, &handler, &uses);
    check_body_is_last(cx, &handler);
    check_no_return(cx, &uses);
    check_questions_have_a_result(cx, &handler, &uses);
    check_argument_count(cx, &handler);
    check_bind_hides_nothing(cx, &args, &handler);
    check_instrument_err_output(cx, &handler);
    Some(Plan {
        awaits: uses.iter().map(|u| u.awaits).collect(),
        questions: uses.into_iter().map(|u| u.questions).collect(),
        state: state_type(&args, &handler),
        args,
        handler,
        last,
    })
}

fn check_signature(cx: &Ctxt, handler: &Handler) {
    let sig = &handler.sig;
    if sig.asyncness.is_none() {
        cx.error_at(
            sig.fn_token.span,
            "`#[conditional]` needs an `async fn`: axum handlers are async, and the validator \
             expressions may `.await`; write `async fn`",
        );
    }
    if let Some(receiver) = &handler.receiver {
        cx.error_spanned_by(
            receiver,
            "a `#[conditional]` handler cannot take `self`: axum calls handlers as plain \
             functions of their extractors; move it out of the `impl` block and take what it \
             needs as extractor arguments (for example `State<…>`)",
        );
    }
}

/// `#[tracing::instrument(err)]` after `#[conditional]` needs the output split into its success
/// and error types (`expand::split_result`), which an alias with an `impl Trait` inside hides.
fn check_instrument_err_output(cx: &Ctxt, handler: &Handler) {
    let output = handler.output();
    if instrument::records_errors(&handler.outer_attrs)
        && expand::result_parts(&output).is_none()
        && expand::contains_impl_trait(&output)
    {
        cx.error_at(
            output.span(),
            "with `#[tracing::instrument(err)]` after `#[conditional]`, write the return type as \
             `Result<T, E>`: the handler's output is split into its success and error types, and \
             an `impl Trait` inside an alias cannot be"
                .to_owned(),
        );
    }
}

/// `strong_last_modified = true` says something about the `Last-Modified` of `last_modified`:
/// without one, it says nothing, and is a mistake to point at.
fn check_strong_last_modified_has_a_date(cx: &Ctxt, args: &Args) {
    if let Some(flag) = &args.strong_last_modified
        && flag.value
        && args.validator(ValidatorKind::LastModified).is_none()
    {
        cx.error_spanned_by(
            flag,
            format!(
                "`{} = true` declares the route's `Last-Modified` a strong validator, and the \
                 route has none: add `{} = …`, or remove `{}`",
                Key::StrongLastModified.name(),
                Key::LastModified.name(),
                Key::StrongLastModified.name()
            ),
        );
    }
}

fn check_has_validator(cx: &Ctxt, args: &Args) {
    if args.validators.is_empty() {
        cx.error_at(
            Span::call_site(),
            format!(
                "`#[conditional]` needs a validator: add `{} = …` (an `ETag` or `Option<ETag>`) \
                 and/or `{} = …` (a `SystemTime`, `HttpDate` or `LastModified`, or an `Option` \
                 of one), or at least `{} = …` (a `bool`) for a resource without one",
                Key::ETag.name(),
                Key::LastModified.name(),
                Key::Exists.name()
            ),
        );
    }
}

/// How the last argument is extracted: used by a validator, it must come from the head, and
/// so cannot be a body extractor.
fn last_argument(cx: &Ctxt, handler: &Handler, uses: &[Uses]) -> Option<Last> {
    let param = handler.params.last()?;
    let used = param.bindings.iter().find_map(|name| {
        uses.iter()
            .find_map(|u| u.find(name))
            .map(|span| (name, span))
    });
    match (used, param.body_extractor()) {
        (Some((name, span)), Some(extractor)) => {
            cx.error_at(
                span,
                format!(
                    "validators run before the request body is read, so they cannot use \
                     `{name}`, which the `{extractor}` body extractor binds; compute the \
                     validators from the other arguments"
                ),
            );
            Some(Last::Head)
        }
        (Some(_), None) => Some(Last::Head),
        (None, _) => Some(Last::ByType),
    }
}

/// Only the last argument may read the body, as in axum; say so at the argument, before
/// axum's `Handler` bound says it about a signature the user never wrote.
fn check_body_is_last(cx: &Ctxt, handler: &Handler) {
    let before_last = handler.params.len().saturating_sub(1);
    for param in &handler.params[..before_last] {
        if let Some(extractor) = param.body_extractor() {
            cx.error_spanned_by(
                &param.arg.ty,
                format!(
                    "`{extractor}` reads the request body, so it must be the handler's last \
                     argument (axum extracts the body once, last); `#[conditional]` then \
                     extracts it after the preconditions pass"
                ),
            );
        }
    }
}

/// With `?`, a validator is evaluated in an `async` block, and `return` would leave that
/// block; without, it would leave the rewritten handler, whose return type is not the user's.
/// Neither is what it reads as.
fn check_no_return(cx: &Ctxt, uses: &[Uses]) {
    for span in uses.iter().flat_map(|u| &u.returns) {
        cx.error_at(
            *span,
            "a validator is an expression; `return` inside it is not allowed: use `?` to answer \
             with the handler's error, or an `Option` for a missing resource",
        );
    }
}

/// A validator's `?` answers through the handler's error type, which `impl …` does not name.
fn check_questions_have_a_result(cx: &Ctxt, handler: &Handler, uses: &[Uses]) {
    if !handler.returns_opaque() {
        return;
    }
    for span in uses.iter().flat_map(|u| &u.questions) {
        cx.error_at(
            *span,
            "`?` in a validator needs the handler to return a `Result`, whose error type \
             answers the error; this handler returns `impl …`, so write \
             `-> Result<impl IntoResponse, YourError>`",
        );
    }
}

/// The rewritten handler takes the rest of the request in place of its last argument, so it
/// has as many arguments as written, or one when it had none.
fn check_argument_count(cx: &Ctxt, handler: &Handler) {
    let total = handler.params.len().max(1);
    if total > MAX_ARGUMENTS {
        cx.error_spanned_by(
            &handler.sig.inputs,
            format!(
                "axum handlers take at most {MAX_ARGUMENTS} arguments, and this one takes \
                 {total}; group extractors in a tuple, as in `(a, b): (ExtractorA, ExtractorB)`"
            ),
        );
    }
}

fn check_bind_hides_nothing(cx: &Ctxt, args: &Args, handler: &Handler) {
    let Some(bind) = &args.bind else {
        return;
    };
    if handler
        .params
        .iter()
        .any(|param| param.bindings.contains(bind))
    {
        cx.error_at(
            bind.span(),
            format!(
                "`{} = {bind}` would hide the argument `{bind}`; choose another name",
                Key::Bind.name()
            ),
        );
    }
}

/// The state the last argument is extracted with: the one the attribute names; or else, when
/// the last argument is itself a `State<U>`, that `U` (a `State<U>` extracts from `U`, and the
/// router's state converts to `U` since the handler asks for it); or else the `T` of the
/// handler's `State<T>` arguments when they agree; or else none (`()`, which every extractor
/// that needs no state accepts).
fn state_type(args: &Args, handler: &Handler) -> Option<Type> {
    if let Some(ty) = &args.state {
        return Some(ty.clone());
    }
    if let Some(ty) = handler.params.last().and_then(|param| param.state_type()) {
        return Some(ty.clone());
    }
    let mut found = handler.params.iter().filter_map(|param| param.state_type());
    let first = found.next()?;
    let key = first.to_token_stream().to_string();
    found
        .all(|other| other.to_token_stream().to_string() == key)
        .then(|| first.clone())
}
