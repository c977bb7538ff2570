//! Checks of the function, and of the arguments against it: they read the model and record
//! every mistake in the pipeline's [`Ctxt`], after those of the arguments. Nothing here decides
//! what the expansion does (the model holds that) or generates code.

use proc_macro2::Span;
use syn::spanned::Spanned;

use crate::args::{Args, Key, ValidatorKind};
use crate::ctxt::Ctxt;
use crate::handler::{self, Handler};
use crate::model::{Last, Model};

/// axum implements `Handler` for functions of up to 16 extractor arguments.
const MAX_ARGUMENTS: usize = 16;

/// Checks the function on its own: what is wrong with it whatever the arguments. Runs even
/// when the arguments were wrong, when checks against them would report their consequences.
pub(crate) fn function(cx: &Ctxt, handler: &Handler) {
    check_signature(cx, handler);
}

/// Checks the arguments against the function, in source order as far as they can: the
/// validators against the arguments, then the arguments as a whole. Runs after [`function`].
pub(crate) fn against_args(cx: &Ctxt, model: &Model) {
    let Model { args, handler, .. } = model;
    check_has_validator(cx, args);
    check_strong_last_modified_has_a_date(cx, args);
    check_body_not_used(cx, model);
    check_body_is_last(cx, handler);
    check_no_return(cx, args);
    check_questions_have_a_result(cx, args, handler);
    check_argument_count(cx, handler);
    check_bind_hides_nothing(cx, args, handler);
    check_instrument_err_output(cx, handler);
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
/// and error types, which an alias with an `impl Trait` inside hides.
fn check_instrument_err_output(cx: &Ctxt, handler: &Handler) {
    let output = handler.output();
    if handler.records_errors
        && handler::result_parts(&output).is_none()
        && handler::contains_impl_trait(&output)
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
    if args.validator(ValidatorKind::LastModified).is_some() {
        return;
    }
    if let Some(expr) = args.validator(ValidatorKind::StrongLastModified) {
        cx.error_spanned_by(
            &expr.expr,
            format!(
                "`{} = …` says whether the route's `Last-Modified` is a strong validator, and \
                 the route has none: add `{} = …`, or remove `{}`",
                Key::StrongLastModified.name(),
                Key::LastModified.name(),
                Key::StrongLastModified.name()
            ),
        );
    }
    if let Some(flag) = &args.strong_last_modified.written
        && flag.value
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
    // A strength without a date is reported on its own (above).
    if args
        .validators
        .iter()
        .all(|validator| validator.kind == ValidatorKind::StrongLastModified)
    {
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

/// A validator that uses the last argument needs it from the head, before the body is read: a
/// body extractor cannot be.
fn check_body_not_used(cx: &Ctxt, model: &Model) {
    if let Some(Last::Head { name, used_at }) = &model.last
        && let Some(extractor) = model.handler.params.last().and_then(|p| p.body_extractor())
    {
        cx.error_at(
            *used_at,
            format!(
                "validators run before the request body is read, so they cannot use \
                 `{name}`, which the `{extractor}` body extractor binds; compute the \
                 validators from the other arguments"
            ),
        );
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
fn check_no_return(cx: &Ctxt, args: &Args) {
    for span in args.validators.iter().flat_map(|v| &v.uses.returns) {
        cx.error_at(
            *span,
            "a validator is an expression; `return` inside it is not allowed: use `?` to answer \
             with the handler's error, or an `Option` for a missing resource",
        );
    }
}

/// A validator's `?` answers through the handler's error type, which `impl …` does not name.
fn check_questions_have_a_result(cx: &Ctxt, args: &Args, handler: &Handler) {
    if !handler.returns_opaque() {
        return;
    }
    for span in args.validators.iter().flat_map(|v| &v.uses.questions) {
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
